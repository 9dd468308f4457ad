// Package oscal reads and checks NIST OSCAL documents and turns catalogs
// and profiles into demarc frameworks.
//
// Documents in JSON or YAML are decoded into the Go types of
// github.com/defenseunicorns/go-oscal, strictly: a member no OSCAL release
// knows is an error, never dropped. Each document is validated against the
// official NIST JSON schema of the release it declares (go-oscal embeds
// them), compiled once per release; findings carry the file, line and the
// field path of the offending value.
//
// Beyond the schema, Validate checks what no schema can: that the uuids an
// SSP's inherited and satisfied statements name exist, with the right
// kind, in the leveraged SSP; that they sit on components that really are
// external; that statement ids exist as parts in the catalog; and that
// leveraged authorizations, components, roles and parties referenced exist.
//
// Import resolves a profile against its catalogs — include-all,
// include-controls by id or pattern with or without child controls,
// exclude-controls, nested profiles — and maps each control to demarc's
// responsibility areas through a built-in framework, so that NIST and
// FedRAMP baselines become frameworks a system's matrix can be computed
// for. Nothing is ever fetched from the network.
package oscal
