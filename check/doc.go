// Package check verifies the customer's part of the shared responsibility
// model against real configuration: it evaluates policies — data, not
// code — over the resources of configuration snapshots and turns the
// results into evidence for the controls of every framework.
//
// # Policies
//
// A policy file is YAML with a top-level "policies" list (the schema is
// SchemaJSON). Each policy names the responsibility areas it evidences —
// so every result counts for every framework control mapped to those areas
// — and one or more rules, each for a set of resource types in the format's
// own vocabulary (aws_s3_bucket, AWS::S3::Bucket, apps/v1/Deployment; a
// "*" matches any run of characters, as in */Deployment). A rule is a CEL
// expression that is true when the resource complies, optionally guarded
// by a "when" expression that says whether the policy applies at all.
//
// Expressions see:
//
//	resource   the resource's attributes, map(string, dyn)
//	meta       the resource's id, type, name, format and provider, a map
//
// and, besides CEL's standard library, the string, set and base64
// extensions and optional types, these functions:
//
//	related(type)            attributes of the linked resources of type, a list
//	related(x, type)         the same for x, the resource or one that
//	                         related() returned
//	get(v, path)             the value at a path such as "versioning.enabled"
//	                         (a list of one block is looked through); null
//	                         when missing
//	get(v, path, default)    the same, with a default for a missing or null value
//	values(v, path)          every value at path across all list elements, flat
//	isSet(v, path)           the attribute is present and not empty; a
//	                         reference written in source counts as set
//	valueOr(x, placeholder)  placeholder when x is a reference written in
//	                         source that could not be resolved, else x
//	isTrue(x), isFalse(x)    true/false, also written as strings or numbers
//	isEmpty(x)               null, "", [], {}
//	isOpenCIDR(x)            a source that means "anywhere": 0.0.0.0/0, ::/0, *,
//	                         Internet, Any
//	coversPort(from, to, p)  a port range (numbers or strings; -1 or "*" for
//	                         all) that includes port p
//	parseJSON(x)             a JSON document held in a string, decoded; other
//	                         values unchanged
//	containers(resource)     every container of a Kubernetes workload, of
//	                         any kind (Pod, Deployment, CronJob …), with
//	                         init and ephemeral containers
//	podSpec(resource)        the pod spec of a Kubernetes workload, or {}
//
// Expressions are type-checked when loaded, and one whose estimated
// worst-case cost exceeds the budget is rejected. The estimate bounds every
// evaluation over inputs of the size it assumes; an expression that
// iterates over larger inputs runs under a run-time cost limit and a
// deadline, and stops, indeterminate, when it reaches either. A policy that fails to load is reported with
// its file, line and id, and every other policy still runs.
//
// # Results
//
// Each rule that matches a resource yields a Result: pass, fail,
// indeterminate (the answer depends on a value known only after apply or
// an unresolved reference — never a failure) or not-applicable. Report
// combines results with a resolved system: per control, verified, failing,
// manual (not verifiable from configuration) or not-applicable, with
// evidence records (time, SHA-256 of every input, tool version) that an
// auditor can check later; it writes tables, JSON, Markdown, SARIF 2.1.0
// and JUnit XML.
//
// The Evaluator interface is the seam for other policy languages: an
// engine for Rego policies can produce the same Results.
package check
