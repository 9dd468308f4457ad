package ssp

import (
	"sort"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
)

// LookupServices returns the services of lib that ids name, followed,
// when provider is not empty, by every service of that provider in id
// order: what ComponentDefinition and Leveraged take. An unknown provider
// or service is an ENotFound error that suggests the nearest known id.
func LookupServices(lib *library.Library, ids []string, provider string) ([]*demarc.Service, error) {
	ids = append([]string(nil), ids...)
	if provider != "" {
		p := lib.Provider(demarc.ProviderID(provider))
		if p == nil {
			var known []string
			for _, x := range lib.Providers() {
				known = append(known, string(x.ID))
			}
			return nil, demarc.Errorf(demarc.ENotFound, "unknown provider %q%s; known: %s", provider, library.Suggest(provider, known), strings.Join(known, ", "))
		}
		var own []string
		for _, s := range p.Services {
			own = append(own, string(s.ID))
		}
		sort.Strings(own)
		ids = append(ids, own...)
	}
	var out []*demarc.Service
	for _, id := range ids {
		s := lib.Service(demarc.ServiceID(id))
		if s == nil {
			var known []string
			for _, x := range lib.Services() {
				known = append(known, string(x.ID))
			}
			return nil, demarc.Errorf(demarc.ENotFound, "unknown service %q%s", id, library.Suggest(id, known))
		}
		out = append(out, s)
	}
	return out, nil
}

// LookupFrameworks returns the frameworks of lib that ids name; no ids
// means every framework. An unknown id is an ENotFound error that lists
// the known ones.
func LookupFrameworks(lib *library.Library, ids []string) ([]*demarc.Framework, error) {
	if len(ids) == 0 {
		return lib.Frameworks(), nil
	}
	var out []*demarc.Framework
	for _, id := range ids {
		fw := lib.Framework(demarc.FrameworkID(id))
		if fw == nil {
			var known []string
			for _, f := range lib.Frameworks() {
				known = append(known, string(f.ID))
			}
			return nil, demarc.Errorf(demarc.ENotFound, "unknown framework %q%s; known: %s", id, library.Suggest(id, known), strings.Join(known, ", "))
		}
		out = append(out, fw)
	}
	return out, nil
}
