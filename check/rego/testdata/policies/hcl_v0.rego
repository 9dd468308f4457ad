# A policy in the Rego syntax before OPA 1.0, over Terraform source.
package main

deny[msg] {
	lb := input.resource.aws_alb_listener[name][_]
	lb.protocol == "HTTP"
	msg = sprintf("ALB `%v` is using HTTP rather than HTTPS", [name])
}

warn[msg] {
	sg := input.resource.aws_security_group[name][_]
	rule := sg.ingress[_]
	rule.cidr_blocks[_] == "0.0.0.0/0"
	msg = sprintf("security group `%v` allows ingress from anywhere on port %v", [name, rule.from_port])
}
