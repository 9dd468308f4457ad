# METADATA
# title: S3 buckets in Terraform plans
# scope: package
# custom:
#   areas: [data.encryption-at-rest]
package terraform.s3

import rego.v1

# Buckets the plan creates or keeps.
buckets contains r if {
	some r in input.resource_changes
	r.type == "aws_s3_bucket"
	not "delete" in r.change.actions
}

# METADATA
# title: S3 buckets are encrypted at rest
# description: Every S3 bucket has a server-side encryption configuration.
# custom:
#   severity: high
#   types: [aws_s3_bucket]
#   remediation: Add a server_side_encryption_configuration block to the bucket.
deny_unencrypted contains msg if {
	some r in buckets
	count(object.get(r.change.after, "server_side_encryption_configuration", [])) == 0
	msg := sprintf("%s has no server-side encryption", [r.address])
}

# METADATA
# title: S3 buckets are not public
# custom:
#   severity: critical
#   areas: [data.access-governance]
#   types: [aws_s3_bucket]
deny_public contains {"msg": msg, "resource": r.address} if {
	some r in buckets
	r.change.after.acl in {"public-read", "public-read-write"}
	msg := sprintf("bucket %s is readable by anyone (acl %s)", [r.change.after.bucket, r.change.after.acl])
}

# Untyped: it vouches for the whole file when it finds nothing.
warn_force_destroy contains msg if {
	some r in buckets
	r.change.after.force_destroy == true
	msg := sprintf("%s can be destroyed with its objects", [r.address])
}
