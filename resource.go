package demarc

// Resource is one configured cloud or Kubernetes object read from a
// configuration snapshot — a Terraform plan or state, a CloudFormation
// template, a Kubernetes manifest, a cloud inventory export — in one model,
// whatever the format, so that policies meet every format the same way.
type Resource struct {
	// ID is stable and unique within a snapshot: the Terraform address
	// (aws_s3_bucket.logs), the CloudFormation logical id
	// (AWS::S3::Bucket/LogsBucket), the Kubernetes kind/namespace/name, or
	// the inventory's resource id.
	ID string `json:"id"`
	// Type is the format's own type name: aws_s3_bucket, AWS::S3::Bucket,
	// apps/v1/Deployment, storage.googleapis.com/Bucket …
	Type string `json:"type"`
	Name string `json:"name"`
	// Format is the input it came from: terraform-plan, terraform-state,
	// cloudformation, kubernetes, aws-config, gcp-asset, azure-resource-graph.
	Format string `json:"format"`
	// Provider is the platform: aws, azure, gcp or kubernetes.
	Provider string `json:"provider"`
	// Attributes are the resource's settings as JSON-like values.
	Attributes map[string]any `json:"attributes"`
	// Unknown lists attribute paths whose values are only known after
	// apply (Terraform's after_unknown) or that could not be resolved
	// (an unresolved CloudFormation reference); checks on them are
	// indeterminate, not failures.
	Unknown []string `json:"unknown,omitempty"`
	// Sensitive lists attribute paths whose values must never be printed.
	Sensitive []string `json:"sensitive,omitempty"`
	// Related holds the ids of resources linked to this one, by type — a
	// bucket's separate encryption configuration, a security group's rules
	// — resolved before evaluation.
	Related map[string][]string `json:"related,omitempty"`
	// Pos is where the resource is defined, when the format tells.
	Pos Position `json:"position"`
}

// Snapshot is every resource read from one input file, with its digest so
// that evidence can name exactly what was checked.
type Snapshot struct {
	File      string     `json:"file"`
	Format    string     `json:"format"`
	SHA256    string     `json:"sha256"`
	Resources []Resource `json:"resources"`
	// Problems are parts of the file that could not be read; the rest of
	// the file was still read.
	Problems Problems `json:"problems,omitempty"`
}
