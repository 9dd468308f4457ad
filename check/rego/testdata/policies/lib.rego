package lib.k8s

import rego.v1

containers contains c if {
	some c in input.spec.containers
}

containers contains c if {
	some c in input.spec.template.spec.containers
}
