package demarc

// LogKind is the kind of record a log source produces.
type LogKind string

// Kinds of log source.
const (
	LogControlPlane LogKind = "control-plane"     // management API and console actions
	LogDataAccess   LogKind = "data-access"       // reads and writes of the data
	LogNetworkFlow  LogKind = "network-flow"      // connections through the network
	LogOS           LogKind = "os"                // system and security logs of hosts
	LogApplication  LogKind = "application"       // the application's own events
	LogFindings     LogKind = "security-findings" // threat detection and posture findings
	LogSignIn       LogKind = "sign-in"           // authentication events
	LogDNS          LogKind = "dns"               // name resolution queries
	LogConfig       LogKind = "resource-config"   // configuration history of resources
)

// LogKinds lists every log kind.
var LogKinds = []LogKind{LogControlPlane, LogDataAccess, LogNetworkFlow, LogOS, LogApplication, LogFindings, LogSignIn, LogDNS, LogConfig}

// LogSource is a log a service supplies: whether it is on by default or the
// customer must enable it, how long the provider keeps it, and the areas
// whose monitoring it evidences.
type LogSource struct {
	ID      string  `json:"id" yaml:"id"`
	Title   string  `json:"title" yaml:"title"`
	Kind    LogKind `json:"kind" yaml:"kind"`
	Default bool    `json:"default" yaml:"default"` // on without the customer doing anything
	// RetentionDays is how long the provider keeps it by default; 0 when it
	// keeps nothing unless the customer sends it somewhere.
	RetentionDays int      `json:"retention_days" yaml:"retention_days"`
	Areas         []AreaID `json:"areas" yaml:"areas"`
	Note          string   `json:"note,omitempty" yaml:"note,omitempty"`
}
