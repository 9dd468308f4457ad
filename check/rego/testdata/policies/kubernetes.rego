# METADATA
# scope: package
# custom:
#   areas: [container.workload-config]
package kubernetes.pods

import rego.v1

import data.lib.k8s

# METADATA
# title: Pods do not share the host's IPC namespace
# custom:
#   severity: high
deny_host_ipc contains msg if {
	input.spec.hostIPC == true
	msg := sprintf("%s %s shares the host IPC namespace", [input.kind, input.metadata.name])
}

# METADATA
# title: Containers do not run as root
# custom:
#   severity: medium
violation_run_as_root contains msg if {
	some c in k8s.containers
	c.securityContext.runAsUser == 0
	msg := sprintf("container %s of %s runs as root", [c.name, input.metadata.name])
}

# METADATA
# title: Containers name their image's tag
warn_latest contains msg if {
	some c in k8s.containers
	endswith(c.image, ":latest")
	msg := sprintf("container %s uses the latest tag", [c.name])
}

exception contains rules if {
	input.metadata.labels["demarc.io/allow-root"] == "true"
	rules := ["run_as_root"]
}
