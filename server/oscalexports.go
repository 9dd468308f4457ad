package server

import (
	"bytes"
	"sort"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/oscal/ssp"
	"github.com/demarc-io/demarc/render"
)

// exportComponentDefinition writes provider statements as an OSCAL
// component definition, as 'demarc export oscal-component-definition'
// does, over the organisation's library: by default the services the
// system uses, in the system's frameworks.
func (s *Server) exportComponentDefinition(c *call) (*reply, error) {
	sv, err := c.system()
	if err != nil {
		return nil, err
	}
	rp, err := c.answer(sv, func() (*reply, error) {
		q := c.query()
		services, provider, frameworks := listParam(q.str("service")), q.str("provider"), listParam(q.str("framework"))
		opts := oscalStamp(q)
		if q.err != nil {
			return nil, q.err
		}
		if len(services) > 0 && provider != "" {
			return nil, errorf(EBadRequest, "query parameters service and provider exclude each other")
		}
		if len(services) == 0 && provider == "" {
			services = systemServices(sv.sys)
		}
		if len(frameworks) == 0 {
			frameworks = systemFrameworks(sv.sys)
		}
		lib := sv.basis.lib
		svcs, err := ssp.LookupServices(lib, services, provider)
		if err != nil {
			return nil, err
		}
		fws, err := ssp.LookupFrameworks(lib, frameworks)
		if err != nil {
			return nil, err
		}
		doc, err := ssp.ComponentDefinition(sv.basis.engine, svcs, fws, opts)
		if err != nil {
			return nil, err
		}
		return rendered(render.JSON, func(b *bytes.Buffer) error { return ssp.Write(b, doc) })
	})
	if err != nil {
		return nil, err
	}
	return download(rp, fileName(sv.sys.Name, "-components.json")), nil
}

// exportResponsibility writes one service as its provider's leveraged
// plan, as 'demarc export oscal-responsibility' does.
func (s *Server) exportResponsibility(c *call) (*reply, error) {
	sv, err := c.system()
	if err != nil {
		return nil, err
	}
	q := c.query()
	service, fwID := q.str("service"), q.str("framework")
	opts := oscalStamp(q)
	if q.err != nil {
		return nil, q.err
	}
	if service == "" {
		used := systemServices(sv.sys)
		if len(used) != 1 {
			return nil, errorf(EBadRequest, "query parameter service is required: the system uses %d services (%s)", len(used), strings.Join(used, ", "))
		}
		service = used[0]
	}
	rp, err := c.answer(sv, func() (*reply, error) {
		fw, err := sv.framework(fwID)
		if err != nil {
			return nil, err
		}
		svcs, err := ssp.LookupServices(sv.basis.lib, []string{service}, "")
		if err != nil {
			return nil, err
		}
		doc, err := ssp.Leveraged(sv.basis.engine, svcs[0], fw, opts)
		if err != nil {
			return nil, err
		}
		return rendered(render.JSON, func(b *bytes.Buffer) error { return ssp.Write(b, doc) })
	})
	if err != nil {
		return nil, err
	}
	return download(rp, fileName(strings.ReplaceAll(service, "/", "-"), "-leveraged.json")), nil
}

// oscalStamp reads as_of: the document's last-modified stamp, today by
// default, so that the same content gives the same document all day and
// the answer can be cached.
func oscalStamp(q *query) ssp.Options {
	if d := q.date("as_of"); !d.IsZero() {
		return ssp.Options{LastModified: d.Time}
	}
	return ssp.Options{LastModified: demarc.Today().Time}
}

// listParam splits a comma-separated query parameter.
func listParam(v string) []string {
	var out []string
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// systemServices lists the services a system's components use, once
// each, in id order.
func systemServices(sys *demarc.System) []string {
	seen := map[string]bool{}
	var out []string
	for _, comp := range sys.Components {
		if id := string(comp.Service); id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// systemFrameworks lists the system's frameworks, or the default one.
func systemFrameworks(sys *demarc.System) []string {
	var out []string
	for _, f := range sys.Frameworks {
		out = append(out, string(f))
	}
	if len(out) == 0 {
		out = []string{defaultFramework}
	}
	return out
}
