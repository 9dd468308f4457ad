package bad.undefined

import rego.v1

deny contains msg if {
	no_such_function(input)
	msg := "x"
}
