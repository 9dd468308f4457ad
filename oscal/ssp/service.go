package ssp

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"

	oscal "github.com/defenseunicorns/go-oscal/src/types/oscal-1-1-3"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/resolve"
)

// serviceView is one service as its statements alone describe it: a
// system of one component that uses it, resolved.
type serviceView struct {
	lib      *library.Library
	svc      *demarc.Service
	provider string // the provider's title
	res      *resolve.Resolution
	cells    []demarc.Assignment // per library area
}

func newServiceView(e *resolve.Engine, svc *demarc.Service) (*serviceView, error) {
	lib := e.Library()
	if svc == nil || lib.Service(svc.ID) != svc {
		return nil, demarc.Errorf(demarc.EInvalid, "service is not in the library")
	}
	sys := &demarc.System{Name: string(svc.ID), Components: []demarc.Component{{Name: string(svc.ID), Service: svc.ID}}}
	res, err := e.Resolve(sys)
	if err != nil {
		return nil, err
	}
	v := &serviceView{lib: lib, svc: svc, provider: string(svc.Provider), res: res, cells: res.Cells(0)}
	if p := lib.Provider(svc.Provider); p != nil {
		v.provider = p.Title
	}
	return v, nil
}

// assignments returns the service's assignment of each area of c that
// exists for it, and the areas that do not.
func (v *serviceView) assignments(c *demarc.Control) (applicable []*demarc.Assignment, notApplicable []demarc.AreaID) {
	for _, a := range c.Areas {
		ai := v.lib.AreaIndex(a)
		if ai < 0 {
			continue
		}
		asg := &v.cells[ai]
		if asg.Owner == demarc.OwnerNotApplicable {
			notApplicable = append(notApplicable, a)
			continue
		}
		applicable = append(applicable, asg)
	}
	return applicable, notApplicable
}

// partText returns the text of the party's part in asg, or "".
func partText(asg *demarc.Assignment, kind demarc.PartyKind) string {
	for _, p := range asg.Parts {
		if p.Party.Kind == kind {
			return p.Text
		}
	}
	return ""
}

// providerOrigins is the control origination of a service's assignments
// from its provider's side: the provider's own part is corporate for
// governance areas and system-specific otherwise; the customer's part of a
// dependent share is customer-configured, and a part the customer does
// alone or for its own scope is customer-provided.
func providerOrigins(lib areaLookup, asgs []*demarc.Assignment) []string {
	var out []string
	for _, asg := range asgs {
		own := originSystem
		if governance(lib, asg.Area) {
			own = originCorporate
		}
		switch asg.Owner {
		case demarc.OwnerProvider:
			out = appendOnce(out, own)
		case demarc.OwnerCustomer:
			out = appendOnce(out, originCustomerProvided)
		case demarc.OwnerShared:
			out = appendOnce(out, own)
			if asg.Sharing == demarc.SharingDependent {
				out = appendOnce(out, originCustomerConfigured)
			} else {
				out = appendOnce(out, originCustomerProvided)
			}
		}
	}
	return sortOrigins(out)
}

// serviceProps describe a service so that Import can read it back.
func serviceProps(svc *demarc.Service) []oscal.Property {
	return []oscal.Property{
		prop(propProvider, string(svc.Provider)),
		prop(propService, string(svc.ID)),
		prop(propModel, string(svc.Model)),
		prop(propCategory, svc.Category),
	}
}

// Write writes doc as JSON indented by two spaces, the form OSCAL tools
// read and people can diff.
func Write(w io.Writer, doc *oscal.OscalCompleteSchema) error {
	var compact bytes.Buffer
	enc := json.NewEncoder(&compact)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := w.Write(indent(compact.Bytes()))
	return err
}

// indent returns compact JSON src indented by two spaces. It is
// json.Indent for input encoding/json wrote — no white space outside
// strings — at a fraction of the cost, which matters for plans of tens of
// megabytes: strings are copied whole.
func indent(src []byte) []byte {
	dst := make([]byte, 0, len(src)*2)
	pad := []byte("\n")
	newline := func(depth int) {
		for len(pad) < 1+2*depth {
			pad = append(pad, ' ', ' ')
		}
		dst = append(dst, pad[:1+2*depth]...)
	}
	depth := 0
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '"':
			end := stringEnd(src, i+1)
			dst = append(dst, src[i:end]...)
			i = end - 1
		case '{', '[':
			dst = append(dst, c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, src[i+1])
				i++
				continue
			}
			depth++
			newline(depth)
		case '}', ']':
			depth--
			newline(depth)
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			newline(depth)
		case ':':
			dst = append(dst, ':', ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// stringEnd returns the index just past the quote that closes the JSON
// string whose content starts at i.
func stringEnd(src []byte, i int) int {
	for {
		j := bytes.IndexByte(src[i:], '"')
		if j < 0 {
			return len(src)
		}
		i += j
		backslashes := 0
		for k := i - 1; k >= 0 && src[k] == '\\'; k-- {
			backslashes++
		}
		i++
		if backslashes%2 == 0 {
			return i
		}
	}
}

// joinLines writes parts as a markdown list under a heading line.
func joinLines(head string, lines []string) string {
	if len(lines) == 0 {
		return head
	}
	return head + "\n\n- " + strings.Join(lines, "\n- ")
}
