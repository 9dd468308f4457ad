package bad.good

import rego.v1

deny contains "every document fails" if {
	true
}
