// Package snapshot reads configuration snapshots — Terraform plans, states
// and HCL source, CloudFormation templates, Kubernetes manifests and cloud
// inventory exports — into one resource model, demarc.Snapshot, so that a
// policy meets every format the same way.
//
// # Reading
//
// Read reads one file (or a directory of .tf files, which Terraform treats
// as one module); ParseBytes reads bytes already in memory, such as a
// snippet from a policy's examples; Walk reads many files and folders in
// parallel and hands each snapshot to a callback as soon as it is read.
// The format is recognised from the content, with the file name as a hint;
// Formats lists the names a caller may pass to ParseBytes.
//
// A file that cannot be read at all is an error naming the file, line and
// field and what was expected. A file of which only parts are bad (one
// broken document in a multi-document manifest, one malformed resource in
// a template) yields a snapshot of the good parts, with the bad parts in
// Snapshot.Problems. Error messages never quote attribute values, so a
// Terraform state, which holds secrets, cannot leak through them.
//
// # The resource model
//
// Every resource has an ID unique in its snapshot, a Type in its format's
// own vocabulary and Attributes as JSON-like values: map[string]any,
// []any, string, bool, nil, int64 for whole numbers and float64 for the
// others — whatever the input format. In particular:
//
//   - Terraform (plan, state and HCL): the ID is the resource address
//     (module.net.aws_security_group.web[0]); Attributes follow the
//     provider schema as Terraform prints it in a plan, so a nested block
//     is a list of objects in every Terraform format
//     (versioning[0].enabled). A data source has the Type "data.<type>"
//     so that policies on managed resources never meet it.
//   - CloudFormation: the ID is "<Type>/<LogicalId>", Name the logical id,
//     Attributes the resolved Properties.
//   - Kubernetes: the ID is "<Kind>/<namespace>/<name>" ("<Kind>/<name>"
//     when the manifest names no namespace), Type "<apiVersion>/<Kind>"
//     (v1/Pod, apps/v1/Deployment), Attributes the whole object.
//   - AWS Config: the ID is the ARN (or "<resourceType>/<resourceId>"),
//     Type the resource type (AWS::S3::Bucket), Attributes the
//     configuration with "supplementaryConfiguration" and "tags" beside it.
//   - Google Cloud Asset Inventory: the ID is the asset name, Type the
//     asset type, Attributes the resource data (and "iamPolicy").
//   - Azure Resource Graph: the ID is the resource id, Type the resource
//     type in lower case, Attributes the whole record.
//
// # Unknown and sensitive values
//
// Resource.Unknown lists the paths whose values cannot be known before
// apply or could not be resolved statically (a reference to another
// resource's id, an unresolved CloudFormation Ref); such values are absent
// from Attributes (nil inside a list). Resource.Sensitive lists the paths
// whose values must never be shown. Paths are written like
// rule[0].apply_server_side_encryption_by_default[0].sse_algorithm, with a
// key that is not a plain name quoted in brackets:
// metadata.labels["app.kubernetes.io/name"]. The empty path stands for the
// whole resource. IsUnknown, IsSensitive and Redacted answer the questions
// a policy engine asks about them.
//
// # Links between resources
//
// Related is filled before a snapshot is returned: when one resource
// refers to another (a Terraform reference, a CloudFormation Ref or
// GetAtt, an AWS Config relationship, or an attribute holding the other's
// id or ARN), each lists the other under its type. A policy on a bucket
// can thus see the bucket's separate public access block, encryption,
// versioning and logging resources. Index looks resources up by id and
// follows these links.
//
// # Terraform source
//
// A folder of .tf files is read as Terraform reads a module, without
// running it: literal values as written, variables from terraform.tfvars,
// *.auto.tfvars or their defaults, locals, the built-in functions that
// depend only on their arguments, and the configured (not computed)
// values of other resources (aws_s3_bucket.b.bucket). A block is one
// resource whatever its count or for_each; count = 1 and a single for_each
// element bind count.index and each. Left unknown: variables without a
// value, computed attributes, functions that read files, the clock or the
// network (file, templatefile, timestamp …), whose results could also
// carry local secrets into evidence. Child modules are not expanded: Walk
// reads a local module's folder as a module of its own. Terraform's JSON
// syntax (.tf.json) is not read; read the plan instead.
package snapshot
