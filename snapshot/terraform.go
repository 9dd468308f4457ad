package snapshot

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/demarc-io/demarc"
)

// attrWalker converts a Terraform object value into the model's
// attributes, recording the paths its companion trees mark unknown
// (after_unknown) or sensitive (after_sensitive, sensitive_values).
type attrWalker struct {
	unknown   []string
	sensitive []string
	// secretNames marks, besides what Terraform marks, every value under
	// a name that holds secrets by convention (password, secret, token …):
	// a state holds them in clear text and may not say they are sensitive.
	secretNames bool
}

// object converts v; a missing or non-object value yields an empty map.
func (w *attrWalker) object(v, unknown, sensitive any) map[string]any {
	if unknown == true {
		w.unknown = append(w.unknown, "")
		return map[string]any{}
	}
	if sensitive == true {
		w.sensitive = append(w.sensitive, "")
	}
	out, _ := w.value(v, unknown, sensitive, "", 0).(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	return out
}

// maxValueDepth bounds the nesting of values read from outside input, so
// that hostile input cannot exhaust the stack.
const maxValueDepth = 200

func (w *attrWalker) value(v, unknown, sensitive any, path string, depth int) any {
	if depth > maxValueDepth {
		w.unknown = append(w.unknown, path)
		return nil
	}
	if sensitive == true && path != "" {
		w.sensitive = append(w.sensitive, path)
	}
	switch t := v.(type) {
	case map[string]any:
		// The value was decoded for this walk alone: change it in place,
		// and write paths only where they are recorded or descended into.
		um, sm := asMap(unknown), asMap(sensitive)
		for k, u := range um {
			if _, present := t[k]; !present && u == true {
				w.unknown = append(w.unknown, JoinPath(path, k))
			}
		}
		for k, e := range t {
			switch {
			case um[k] == true:
				w.unknown = append(w.unknown, JoinPath(path, k))
				delete(t, k)
				continue
			case sm[k] == true || sensitive == true:
			case w.secretNames && secretName(k):
				if _, isString := e.(string); isString {
					w.sensitive = append(w.sensitive, JoinPath(path, k))
				}
			}
			switch e.(type) {
			case string, bool, nil:
				if sm[k] == true {
					w.sensitive = append(w.sensitive, JoinPath(path, k))
				}
			default:
				t[k] = w.value(e, um[k], sm[k], JoinPath(path, k), depth+1)
			}
		}
		return t
	case []any:
		ul, sl := asList(unknown), asList(sensitive)
		sm := asMap(sensitive)
		for i, e := range t {
			var u, s any
			if i < len(ul) {
				u = ul[i]
			}
			if i < len(sl) {
				s = sl[i]
			} else if sm != nil {
				s = sm[strconv.Itoa(i)]
			}
			if u == true {
				w.unknown = append(w.unknown, JoinPath(path, i))
				t[i] = nil
				continue
			}
			t[i] = w.value(e, u, s, JoinPath(path, i), depth+1)
		}
		for i := len(t); i < len(ul); i++ {
			if ul[i] == true {
				w.unknown = append(w.unknown, JoinPath(path, i))
			}
		}
		return t
	case json.Number:
		return number(string(t))
	case float64:
		return wholeNumber(t)
	}
	return v
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// secretWords are the parts of attribute names that hold secrets by
// convention; refSuffixes end the names of references to secrets or of
// settings about them (secret_arn, token_ttl), which are not secret.
var (
	secretWords = []string{"password", "passwd", "secret", "private_key", "token", "credential",
		"connection_string", "access_key", "sas_url", "api_key", "passphrase"}
	refSuffixes = []string{"_arn", "_arns", "_id", "_ids", "_name", "_names", "_version", "_enabled", "_type", "_length",
		"_expiry", "_rotation", "_status", "_state", "_count", "_prefix", "_ttl", "_days", "_period", "_policy", "_location"}
)

// secretName reports whether an attribute name conventionally holds a
// secret.
func secretName(key string) bool {
	k := strings.ToLower(key)
	found := false
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			found = true
			break
		}
	}
	if !found {
		return false
	}
	for _, ref := range refSuffixes {
		if strings.HasSuffix(k, ref) {
			return false
		}
	}
	return true
}

// tfAddress is a parsed Terraform resource address.
type tfAddress struct {
	module string // the module instance path, "" for the root
	mode   string // "data" or ""
	typ    string
	name   string
	key    string // the instance key as written inside brackets, "" for none
}

// resource returns the resource part of the address without its key:
// aws_s3_bucket.logs or data.aws_iam_policy_document.p.
func (a tfAddress) resource() string {
	if a.mode == "data" {
		return "data." + a.typ + "." + a.name
	}
	return a.typ + "." + a.name
}

// configKey identifies the configuration block an instance comes from:
// the address without any instance key, in modules too.
func (a tfAddress) configKey() string {
	m := stripKeys(a.module)
	if m == "" {
		return a.resource()
	}
	return m + "." + a.resource()
}

// parseAddress parses a resource address (module.a["x"].aws_s3_bucket.b[0])
// or a reference (aws_s3_bucket.b.id, data.x.y.attr); ok is false for
// references to anything but a resource (var.x, local.y, count.index …).
func parseAddress(s string) (tfAddress, bool) {
	parts := splitTraversal(s)
	var a tfAddress
	var mod []string
	for len(parts) >= 2 && parts[0].name == "module" {
		seg := "module." + parts[1].name + parts[1].index
		mod = append(mod, seg)
		parts = parts[2:]
	}
	a.module = strings.Join(mod, ".")
	if len(parts) > 0 && parts[0].name == "data" && parts[0].index == "" {
		a.mode = "data"
		parts = parts[1:]
	}
	if len(parts) < 2 || parts[0].index != "" {
		return a, false
	}
	switch parts[0].name {
	case "var", "local", "count", "each", "path", "terraform", "self", "module", "data", "provider":
		return a, false
	}
	a.typ, a.name, a.key = parts[0].name, parts[1].name, parts[1].index
	return a, a.typ != "" && a.name != ""
}

type traversalPart struct {
	name  string
	index string // "[0]" or `["k"]` as written, "" for none
}

// splitTraversal splits a.b[0].c["k.x"] into its parts, keeping each
// index with the name before it.
func splitTraversal(s string) []traversalPart {
	var parts []traversalPart
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] != '.' && s[j] != '[' {
			j++
		}
		p := traversalPart{name: s[i:j]}
		for j < len(s) && s[j] == '[' {
			end := indexEnd(s, j)
			if end < 0 {
				return append(parts, p)
			}
			if p.index == "" {
				p.index = s[j : end+1]
			}
			j = end + 1
		}
		parts = append(parts, p)
		if j < len(s) && s[j] == '.' {
			j++
		}
		i = j
	}
	return parts
}

// indexEnd returns the position of the ] closing the [ at start, skipping
// a quoted key.
func indexEnd(s string, start int) int {
	if start+1 < len(s) && s[start+1] == '"' {
		q, err := strconv.QuotedPrefix(s[start+1:])
		if err != nil {
			return -1
		}
		end := start + 1 + len(q)
		if end < len(s) && s[end] == ']' {
			return end
		}
		return -1
	}
	end := strings.IndexByte(s[start:], ']')
	if end < 0 {
		return -1
	}
	return start + end
}

// stripKeys removes instance keys from a module path:
// module.a["x"].module.b[0] → module.a.module.b.
func stripKeys(module string) string {
	if !strings.Contains(module, "[") {
		return module
	}
	var out []string
	for _, p := range splitTraversal(module) {
		out = append(out, p.name)
	}
	return strings.Join(out, ".")
}

// tfRefs resolves the references of Terraform configuration blocks to the
// instances a plan or state holds.
type tfRefs struct {
	addrs     []tfAddress
	res       []demarc.Resource
	instances map[string][]int // configKey → resource numbers
	values    map[int]map[string]bool
}

func newTFRefs(addrs []tfAddress, res []demarc.Resource) *tfRefs {
	t := &tfRefs{addrs: addrs, res: res, instances: map[string][]int{}, values: map[int]map[string]bool{}}
	for i, a := range addrs {
		k := a.configKey()
		t.instances[k] = append(t.instances[k], i)
	}
	return t
}

// resolve returns the refs from resource number from to the targets named
// by references: absolute addresses, or addresses relative to the module
// from lives in. sameKey says the block is repeated by count or for_each
// and refers to its peers, so that instance n links to instance n.
func (t *tfRefs) resolve(from int, references []string, absolute, sameKey bool, ids []string) []ref {
	src := t.addrs[from]
	var out []ref
	for _, r := range references {
		target, ok := parseAddress(r)
		if !ok {
			continue
		}
		key := target.key
		if !absolute {
			target.module = joinModule(src.module, target.module)
		}
		cands := t.instances[target.configKey()]
		for _, c := range t.pick(from, key, sameKey, cands) {
			out = append(out, ref{from: from, to: ids[c]})
		}
	}
	return out
}

func joinModule(base, rel string) string {
	switch {
	case rel == "":
		return base
	case base == "":
		return rel
	}
	return base + "." + rel
}

// pick narrows the candidate instances of a referenced block to those
// the reference means.
func (t *tfRefs) pick(from int, key string, sameKey bool, cands []int) []int {
	if len(cands) <= 1 {
		return cands
	}
	src := t.addrs[from]
	var inModule []int
	for _, c := range cands {
		if t.addrs[c].module == src.module {
			inModule = append(inModule, c)
		}
	}
	if len(inModule) > 0 {
		cands = inModule
	}
	want := key
	if want == "" && sameKey {
		want = src.key
	}
	if want == "" {
		return t.mentioned(from, cands)
	}
	for _, c := range cands {
		if t.addrs[c].key == want {
			return []int{c}
		}
	}
	return cands
}

// mentioned narrows the instances of a block to those whose id or ARN
// appears among the values of resource from — in a state, the one
// security group of several that a rule names — or keeps them all when
// none does.
func (t *tfRefs) mentioned(from int, cands []int) []int {
	vals, ok := t.values[from]
	if !ok {
		vals = map[string]bool{}
		stringValues(t.res[from].Attributes, vals, 0)
		t.values[from] = vals
	}
	var out []int
	for _, c := range cands {
		for _, k := range []string{"id", "arn"} {
			if s, isStr := t.res[c].Attributes[k].(string); isStr && s != "" && vals[s] {
				out = append(out, c)
				break
			}
		}
	}
	if len(out) == 0 {
		return cands
	}
	return out
}

// stringValues collects the string values in v.
func stringValues(v any, into map[string]bool, depth int) {
	if depth > maxLinkDepth {
		return
	}
	switch t := v.(type) {
	case string:
		into[t] = true
	case []any:
		for _, e := range t {
			stringValues(e, into, depth+1)
		}
	case map[string]any:
		for k, e := range t {
			if k != "id" && k != "arn" {
				stringValues(e, into, depth+1)
			}
		}
	}
}

// terraformResource builds a resource of a Terraform plan or state.
func terraformResource(addr tfAddress, id, providerAddr, format string, w *attrWalker, attrs map[string]any, pos demarc.Position) demarc.Resource {
	typ := addr.typ
	if addr.mode == "data" {
		typ = "data." + typ
	}
	return demarc.Resource{
		ID:         id,
		Type:       typ,
		Name:       addr.name,
		Format:     format,
		Provider:   terraformProvider(addr.typ, providerAddr),
		Attributes: attrs,
		Unknown:    w.unknown,
		Sensitive:  w.sensitive,
		Pos:        pos,
	}
}
