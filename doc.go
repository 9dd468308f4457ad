// Package demarc is the vocabulary of the cloud shared responsibility model:
// layers and responsibility areas, owners and duties, service models,
// providers and services, frameworks and controls, systems and their
// components, and the matrices that say who does what.
//
// The package imports only the standard library. Loading content lives in
// package library, resolution in package resolve, and the command line in
// cmd/demarc.
package demarc
