package snapshot

import (
	"slices"
	"strings"

	"github.com/demarc-io/demarc"
)

// ref is an explicit reference found while parsing: resource number from
// refers to the resource whose id is to.
type ref struct {
	from int
	to   string
}

// linker joins the resources of one snapshot: explicit references first,
// then attribute values that name another resource's id, ARN or name.
type linker struct {
	res   []demarc.Resource
	byID  map[string]int
	edges map[[2]int]bool
}

// link fills Related on every resource from refs and, when byValue is
// set, from attribute values that identify other resources.
func link(res []demarc.Resource, refs []ref, byValue bool) {
	l := &linker{res: res, byID: make(map[string]int, len(res)), edges: map[[2]int]bool{}}
	for i := range res {
		l.byID[res[i].ID] = i
	}
	for _, r := range refs {
		if to, ok := l.byID[r.to]; ok {
			l.add(r.from, to)
		}
	}
	if byValue {
		l.byValue()
	}
	l.fill()
}

func (l *linker) add(a, b int) {
	if a == b {
		return
	}
	if a > b {
		a, b = b, a
	}
	l.edges[[2]int{a, b}] = true
}

func (l *linker) fill() {
	for e := range l.edges {
		a, b := &l.res[e[0]], &l.res[e[1]]
		relate(a, b)
		relate(b, a)
	}
	for i := range l.res {
		for _, ids := range l.res[i].Related {
			slices.Sort(ids)
		}
	}
}

func relate(r, other *demarc.Resource) {
	if r.Related == nil {
		r.Related = map[string][]string{}
	}
	if !slices.Contains(r.Related[other.Type], other.ID) {
		r.Related[other.Type] = append(r.Related[other.Type], other.ID)
	}
}

// identity is one value that identifies a resource, and the attribute it
// came from.
type identity struct {
	res int
	key string
}

// byValue links a resource to another when one of its attribute values
// equals an identifying value of the other. An ARN, an Azure resource id
// or a Google self link identifies exactly; a bare id or name (a bucket
// name, sg-0123) links only when the attribute's name says what it points
// at (bucket → aws_s3_bucket, security_group_id → aws_security_group), so
// that a common word like "default" links nothing by chance.
func (l *linker) byValue() {
	ids := map[string][]identity{}
	for i := range l.res {
		for key, v := range identityValues(&l.res[i]) {
			ids[v] = append(ids[v], identity{res: i, key: key})
		}
	}
	if len(ids) == 0 {
		return
	}
	for i := range l.res {
		r := &l.res[i]
		own := identityKeys(r)
		for key, v := range r.Attributes {
			if own[key] {
				continue
			}
			l.scan(i, key, v, ids, 0)
		}
	}
}

// maxLinkDepth bounds how deep byValue looks into attributes.
const maxLinkDepth = 12

func (l *linker) scan(from int, key string, v any, ids map[string][]identity, depth int) {
	if depth > maxLinkDepth {
		return
	}
	switch t := v.(type) {
	case string:
		l.match(from, key, t, ids)
	case []any:
		for _, e := range t {
			l.scan(from, key, e, ids, depth+1)
		}
	case map[string]any:
		for k, e := range t {
			l.scan(from, k, e, ids, depth+1)
		}
	}
}

func (l *linker) match(from int, key, value string, ids map[string][]identity) {
	if len(value) < 2 {
		return
	}
	exact := preciseID(value)
	cands := ids[value]
	if cands == nil && exact {
		cands = ids[strings.ToLower(value)]
	}
	for _, c := range cands {
		if exact || stemMatches(key, l.res[c.res].Type) {
			l.add(from, c.res)
		}
	}
}

// preciseID reports whether a value is an identifier that names one
// resource whatever attribute holds it.
func preciseID(v string) bool {
	return strings.HasPrefix(v, "arn:") || strings.HasPrefix(strings.ToLower(v), "/subscriptions/") ||
		strings.HasPrefix(v, "https://www.googleapis.com/") || strings.HasPrefix(v, "//")
}

// identityKeys are the attributes of r that hold its own identity, which
// never link it to anything.
func identityKeys(r *demarc.Resource) map[string]bool {
	keys := map[string]bool{"id": true, "arn": true, "self_link": true, "name": true, "selfLink": true}
	if r.Type == "aws_s3_bucket" {
		keys["bucket"] = true
	}
	return keys
}

// identityValues returns the values that identify r, by the attribute
// they came from.
func identityValues(r *demarc.Resource) map[string]string {
	out := map[string]string{}
	switch r.Format {
	case FormatTerraform, FormatTerraformPlan, FormatTerraformState:
		for k := range identityKeys(r) {
			if s, ok := r.Attributes[k].(string); ok && s != "" {
				out[k] = s
			}
		}
	case FormatAzureResourceGraph:
		out["id"] = strings.ToLower(r.ID)
	case FormatAWSConfig:
		if strings.HasPrefix(r.ID, "arn:") {
			out["arn"] = r.ID
		}
	case FormatGCPAsset:
		if s, ok := r.Attributes["selfLink"].(string); ok {
			out["selfLink"] = s
		}
		out["name"] = r.ID
	}
	return out
}

// stemMatches reports whether an attribute's name says it points at a
// resource of type typ: bucket → aws_s3_bucket, kms_key_id → aws_kms_key,
// vpc_security_group_ids → aws_security_group, role → aws_iam_role.
func stemMatches(key, typ string) bool {
	stem := strings.ToLower(key)
	for _, suffix := range []string{"_ids", "_id", "_arns", "_arn", "_names", "_name", "_self_link", "_link"} {
		if s, ok := strings.CutSuffix(stem, suffix); ok {
			stem = s
			break
		}
	}
	typ = strings.ToLower(typ)
	for _, s := range []string{stem, strings.TrimSuffix(stem, "s")} {
		for s != "" {
			if len(s) >= 3 && (typ == s || strings.HasSuffix(typ, "_"+s)) {
				return true
			}
			_, rest, found := strings.Cut(s, "_")
			if !found {
				break
			}
			s = rest
		}
	}
	return false
}
