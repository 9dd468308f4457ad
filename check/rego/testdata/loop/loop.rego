package loop

import rego.v1

deny contains msg if {
	input.kind == "Pod"
	msg := "pods are fine"
	false
}

# METADATA
# title: A rule that never finishes
deny_forever contains msg if {
	some i in numbers.range(1, 100000)
	some j in numbers.range(1, 100000)
	some k in numbers.range(1, 100000)
	i + j + k < 0
	msg := "unreachable"
}
