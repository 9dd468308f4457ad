package bad.boolean

import rego.v1

deny if {
	input.kind == "Pod"
}

# METADATA
# custom:
#   severity: severe
#   areas: [data.no-such-area, data.backup]
#   types: 7
warn_meta contains "x" if {
	input.kind == "Pod"
}
