// Package rego runs users' existing OPA/Rego policies — written for
// conftest — beside demarc's built-in CEL policies, so that their findings
// evidence responsibility areas, and through them framework controls,
// exactly as the built-in checks do. OPA is used as a library; Engine
// implements check.Evaluator, so its results flow into the same reports
// (table, JSON, SARIF, JUnit).
//
// # Policies
//
// Load reads .rego files (directories recursively; *_test.rego files are
// tests, not policies, and are left out) in Rego v1, or v0 — the syntax
// before OPA 1.0 — for a file that is not v1. As in conftest, the rules
// evaluated are those named deny, violation or warn, each optionally with
// a suffix (deny_public_bucket), in every package; other rules are
// helpers. A rule yields a set of messages: strings, or objects with a
// string "msg" field. An exception rule in the same package waives rules
// by suffix, as conftest's does ("" waives the bare deny, violation and
// warn):
//
//	exception contains ["public_bucket"] if { input.metadata.labels.public == "ok" }
//
// All files are compiled together, so packages may import each other. A
// file that cannot be read, parsed or compiled is reported with its file
// and line, and left out; the other files still load. A rule written as a
// boolean ("deny if { … }") yields no messages and is reported, not run.
//
// # Mapping to areas: METADATA
//
// Each deny, violation and warn rule is one check.Policy with the id
// "<package>.<rule>" (kubernetes.pods.deny_privileged). What it evidences
// is read from OPA's METADATA annotations — the rule's own, then its
// document's, its package's and its parent packages', the nearest one
// deciding each field:
//
//	# METADATA
//	# title: S3 buckets are encrypted at rest
//	# description: Every bucket has a server-side encryption configuration.
//	# custom:
//	#   areas: [data.encryption-at-rest]   # responsibility areas (library ids)
//	#   severity: high                     # low, medium, high, critical (any case)
//	#   types: [aws_s3_bucket]             # resource types it checks; "*" matches any run
//	#   remediation: Add a server_side_encryption_configuration block.
//	deny_unencrypted contains msg if { … }
//
// A package-scoped annotation ("# scope: package") maps all of its rules
// at once. Without areas a rule still runs and its findings are reported,
// but it evidences no control. Without a severity, deny and violation
// rules are DefaultFailureSeverity (high) and warn rules
// DefaultWarningSeverity (low): a warning is a failing result of low
// severity. An unknown area or severity is reported; the rule runs
// without it.
//
// # Input
//
// Rules see what conftest gives them: each input file whole, read as
// conftest reads it, so that existing policies work unchanged:
//
//   - JSON (a Terraform plan or state, a CloudFormation template, kubectl
//     output, an Azure Resource Graph result): the document, numbers as
//     float64.
//   - YAML: the document under YAML 1.1 rules, as conftest's YAML library
//     reads it — yes/no/on/off are booleans, a CloudFormation short form
//     (!Ref Bucket) keeps only its scalar, timestamps stay strings, keys
//     become strings. A file is split into documents where a line holds
//     "---" alone, and each document is evaluated on its own.
//   - Terraform source (.tf): conftest's HCL-as-JSON shape — blocks under
//     their type and labels, each wrapped in a list
//     (input.resource.aws_s3_bucket.logs[0].versioning[0].enabled), literal
//     values as values and every other expression as its source text in
//     "${…}". Each .tf file of a module is its own input.
//   - A list at the top of a file is evaluated element by element, as in
//     conftest. Files conftest has no reader for are read too: .tfstate as
//     JSON, .template as JSON or YAML, .ndjson and .jsonl one document per
//     line.
//
// Each file is converted to Rego input once and evaluated by one prepared
// query per package, which yields all of the package's rules at once.
// Files are read again from the paths the snapshots name, after checking
// that their SHA-256 is still the snapshot's, so that the evidence names
// exactly what was checked; a file that changed is reported, not checked.
// Only files the snapshot reader accepts as configuration are checked.
//
// # Results
//
// Every finding is a failing result (Reason holds its message) attached to
// the resource it is about — the first of:
//
//  1. the resource a "resource" or "address" field of the finding names
//     (its id, or among the rule's types its name);
//  2. the resource defined at or before the line of a conftest "_loc"
//     field ({"msg": …, "_loc": {"line": 12}});
//  3. the one resource of the document the finding came from (a
//     Kubernetes manifest document, say);
//  4. the one resource whose id the message names as a whole word
//     (aws_s3_bucket.logs), or among the rule's types whose name it names;
//  5. else a stand-in for the whole file, of type FileType.
//
// A rule with types passes every resource of those types that it found
// nothing wrong with, unless a finding could not be attached to a
// resource; a rule without types passes the document (its one resource, or
// the file) when it yields nothing. A waived rule is not applicable to
// what it covers. An evaluation error makes the rules of the package
// indeterminate for that document, with OPA's message and position.
//
// # Sandbox and limits
//
// Policies are compiled without UnsafeBuiltins (http.send,
// net.lookup_ip_addr, opa.runtime): a policy that calls one fails to load,
// saying so. Each evaluation — one package over one document — has a
// deadline (Options.Deadline, DefaultDeadline). A watchdog stops an
// evaluation that overruns it; the package is evaluated once more with a
// tracer to find the rule and line it was running, reported in Problems,
// and not evaluated on the remaining files (its rules are indeterminate
// there), so that a policy that loops costs one deadline, not one per
// file. Files are spread over every core.
package rego
