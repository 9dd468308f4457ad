// Package ssp exchanges the shared responsibility model with OSCAL, NIST's
// machine-readable language of security plans, whose leveraged-authorization
// assemblies — export, provided, responsibility, inherited, satisfied — are
// exactly that model.
//
// It writes three documents, in OSCAL 1.1.3 JSON (the newest 1.1 release,
// the one github.com/defenseunicorns/go-oscal types and NIST's schema agree
// on best):
//
//   - Export: a system's security plan. Each provider service the system
//     uses is a leveraged component (implementation-point external, with a
//     leveraged authorization per provider); the customer's own components
//     are internal. Every control has by-components: "inherited" entries on
//     the leveraged component for what the provider does, "satisfied"
//     entries for what the customer does in answer to the provider's
//     statement, and a by-component on the customer's own component with the
//     teams responsible.
//   - ComponentDefinition: the library's statements for one or more
//     services, one component each, with per-framework control
//     implementations whose responsibility is carried as properties
//     (component definitions have no export assembly).
//   - Leveraged: one service as its provider's leveraged system — a minimal
//     security plan whose by-components export provided capabilities and
//     customer responsibilities, so that a customer plan can inherit from it.
//
// And it reads leveraged security plans back (Read, Import): the released
// shape (by-component/export/provided/responsibilities) and NIST's
// shared-responsibility prototype (provided and responsibilities directly on
// by-components, "exportable" flags, a "shared-responsibility" root), with
// every defect reported by document, JSON path, value and expectation, and
// what is sound turned into a library provider statement.
//
// # Control origination
//
// Plans carry FedRAMP's control-origination property
// (ns https://fedramp.gov/ns/oscal), one property per origin, as FedRAMP
// expresses hybrids. In a customer's plan the customer is the plan's
// "service provider": a provider's part that the customer can inherit
// (provider-owned, or dependently shared) is "inherited"; the customer's own
// part is "sp-corporate" for governance areas and "sp-system" otherwise.
// Independent sharing — each party doing the same duty for its own scope —
// is never inherited: only the customer's own origination is listed. In a
// provider's documents (component definition, leveraged plan) the provider
// is the service provider: its part is sp-corporate or sp-system, the
// customer's part of a dependent share is "customer-configured" and a part
// the customer does alone, or for its own scope, is "customer-provided".
// demarc's exact owner and sharing travel beside them as properties in
// demarc's own namespace (NS).
//
// # Identifiers
//
// Every UUID is a version 5 UUID (RFC 4122 §4.3) of a name that says what
// it identifies, so the same input always yields the same document, and a
// customer plan's provided-uuid and responsibility-uuid references match the
// provider's leveraged plan exported separately.
package ssp
