// Package library holds demarc's built-in content — areas, service models,
// providers and services, frameworks — as embedded YAML, and loads,
// validates and indexes it. User library files in the same format extend or
// replace the built-in entries.
package library

import (
	"sort"
	"sync"

	"github.com/demarc-io/demarc"
)

// Library is a loaded, validated and indexed set of content. It is
// read-only after loading and safe for concurrent use.
type Library struct {
	areas      []demarc.Area
	areaIndex  map[demarc.AreaID]int
	models     map[demarc.Model]*demarc.ServiceModel
	providers  map[demarc.ProviderID]*demarc.Provider
	services   map[demarc.ServiceID]*demarc.Service
	frameworks map[demarc.FrameworkID]*demarc.Framework
	controls   map[demarc.FrameworkID]map[demarc.ControlID]*demarc.Control
	incidents  []demarc.IncidentType
	regs       []demarc.Regulation
	features   []demarc.FeatureInfo
}

var (
	builtinOnce sync.Once
	builtinLib  *Library
	builtinErr  error
)

// Builtin returns the built-in library, loaded once. An error means the
// embedded content is defective.
func Builtin() (*Library, error) {
	builtinOnce.Do(func() {
		builtinLib, builtinErr = Load(nil)
	})
	return builtinLib, builtinErr
}

// Areas returns every area in catalog order.
func (l *Library) Areas() []demarc.Area { return l.areas }

// AreaIndex returns the position of id in Areas, or -1 when there is none.
func (l *Library) AreaIndex(id demarc.AreaID) int {
	if i, ok := l.areaIndex[id]; ok {
		return i
	}
	return -1
}

// Area returns the area with id, or nil when there is none.
func (l *Library) Area(id demarc.AreaID) *demarc.Area {
	if i, ok := l.areaIndex[id]; ok {
		return &l.areas[i]
	}
	return nil
}

// Model returns the service model with id, or nil when there is none.
func (l *Library) Model(id demarc.Model) *demarc.ServiceModel { return l.models[id] }

// Models returns every service model, from on-prem to SaaS.
func (l *Library) Models() []*demarc.ServiceModel {
	order := []demarc.Model{demarc.ModelOnPrem, demarc.ModelIaaS, demarc.ModelCaaS, demarc.ModelPaaS, demarc.ModelFaaS, demarc.ModelSaaS}
	var out []*demarc.ServiceModel
	for _, id := range order {
		if m := l.models[id]; m != nil {
			out = append(out, m)
		}
	}
	return out
}

// Provider returns the provider with id, or nil when there is none.
func (l *Library) Provider(id demarc.ProviderID) *demarc.Provider { return l.providers[id] }

// Providers returns every provider sorted by id.
func (l *Library) Providers() []*demarc.Provider { return sortedValues(l.providers) }

// Service returns the service with id, or nil when there is none.
func (l *Library) Service(id demarc.ServiceID) *demarc.Service { return l.services[id] }

// Services returns every service sorted by id.
func (l *Library) Services() []*demarc.Service { return sortedValues(l.services) }

// Framework returns the framework with id, or nil when there is none.
func (l *Library) Framework(id demarc.FrameworkID) *demarc.Framework { return l.frameworks[id] }

// Frameworks returns every framework sorted by id.
func (l *Library) Frameworks() []*demarc.Framework { return sortedValues(l.frameworks) }

// Control returns a control of a framework, or nil when either is unknown.
// Control ids match case-insensitively ("SI-2" finds "si-2").
func (l *Library) Control(fw demarc.FrameworkID, id demarc.ControlID) *demarc.Control {
	return l.controls[fw][demarc.ControlID(lower(string(id)))]
}

func sortedValues[K ~string, V any](m map[K]*V) []*V {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	out := make([]*V, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// Incidents returns every incident type in library order.
func (l *Library) Incidents() []demarc.IncidentType { return l.incidents }

// Incident returns the incident type with id, or nil when there is none.
func (l *Library) Incident(id string) *demarc.IncidentType {
	for i := range l.incidents {
		if l.incidents[i].ID == id {
			return &l.incidents[i]
		}
	}
	return nil
}

// Regulations returns every regulation in library order.
func (l *Library) Regulations() []demarc.Regulation { return l.regs }

// Regulation returns the regulation with id, or nil when there is none.
func (l *Library) Regulation(id string) *demarc.Regulation {
	for i := range l.regs {
		if l.regs[i].ID == id {
			return &l.regs[i]
		}
	}
	return nil
}

// Features returns every security feature a system can require.
func (l *Library) Features() []demarc.FeatureInfo { return l.features }

// Feature returns the feature with id, or nil when there is none.
func (l *Library) Feature(id string) *demarc.FeatureInfo {
	for i := range l.features {
		if l.features[i].ID == id {
			return &l.features[i]
		}
	}
	return nil
}
