package snapshot

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
)

// kubeBuilder collects the objects of Kubernetes manifests.
type kubeBuilder struct {
	file     string
	res      []demarc.Resource
	refs     [][]string // per object: ids of the objects it names
	seen     map[string]int
	problems demarc.Problems
}

// parseKubernetesYAML reads a multi-document YAML stream of Kubernetes
// objects; a List object (kind: List, or any *List with items) adds each
// of its items. A document that is not a Kubernetes object, or that
// cannot be parsed, is a problem; the others are still read. streamErr is
// the syntax error that ended the stream early, if any.
func parseKubernetesYAML(file string, docs []yamlDoc, streamErr error) (*parsed, error) {
	b := &kubeBuilder{file: file, seen: map[string]int{}}
	for i, d := range docs {
		c := newYAMLConverter(file)
		v, err := c.value(d.root, 0)
		if err != nil {
			b.problems = append(b.problems, problemsOf(err)...)
			continue
		}
		var itemLines []int
		if items := mapValue(d.root, "items"); items != nil && items.Kind == yaml.SequenceNode {
			for _, it := range items.Content {
				itemLines = append(itemLines, it.Line)
			}
		}
		b.object(v, d.root.Line, itemLines, fmt.Sprintf("document %d", i+1))
	}
	if streamErr != nil {
		b.problems = append(b.problems, problemsOf(streamErr)...)
	}
	return b.result(), nil
}

// parseKubernetesJSON reads one Kubernetes object or list in JSON, as
// kubectl get -o json prints it.
func parseKubernetesJSON(file string, data []byte) (*parsed, error) {
	var v any
	if err := decodeJSON(file, data, &v); err != nil {
		return nil, err
	}
	b := &kubeBuilder{file: file, seen: map[string]int{}}
	lines := memberLines(data, "items")
	itemLines := make([]int, len(lines))
	for i := range itemLines {
		itemLines[i] = lines[strconv.Itoa(i)]
	}
	b.object(normalize(v), 1, itemLines, "document")
	return b.result(), nil
}

// object adds one decoded document: an object, or a list of them.
func (b *kubeBuilder) object(v any, line int, itemLines []int, where string) {
	m, ok := v.(map[string]any)
	if !ok {
		b.problem(line, where, "expected a Kubernetes object (a mapping with apiVersion and kind); document skipped")
		return
	}
	kind, _ := m["kind"].(string)
	if items, isList := m["items"].([]any); isList && strings.HasSuffix(kind, "List") {
		for i, it := range items {
			l := line
			if i < len(itemLines) {
				l = itemLines[i]
			}
			b.item(it, l, fmt.Sprintf("items[%d]", i))
		}
		return
	}
	b.item(m, line, where)
}

func (b *kubeBuilder) problem(line int, field, msg string) {
	b.problems = append(b.problems, demarc.Problem{Pos: demarc.Position{File: b.file, Line: line}, Field: field, Message: msg})
}

func (b *kubeBuilder) item(v any, line int, where string) {
	m, ok := v.(map[string]any)
	if !ok {
		b.problem(line, where, "expected a Kubernetes object (a mapping with apiVersion and kind); skipped")
		return
	}
	apiVersion, ok1 := m["apiVersion"].(string)
	kind, ok2 := m["kind"].(string)
	if !ok1 || !ok2 || apiVersion == "" || kind == "" {
		b.problem(line, where, "missing apiVersion or kind; expected a Kubernetes object; skipped")
		return
	}
	meta := asMap(m["metadata"])
	name := str(meta["name"])
	if name == "" {
		name = str(meta["generateName"])
	}
	ns := str(meta["namespace"])
	id := kubeID(kind, ns, name)
	if n := b.seen[id]; n > 0 {
		b.problem(line, where, fmt.Sprintf("%s is defined more than once in this file", id))
		b.seen[id] = n + 1
		id = fmt.Sprintf("%s#%d", id, n+1)
	} else {
		b.seen[id] = 1
	}
	r := demarc.Resource{
		ID:         id,
		Type:       apiVersion + "/" + kind,
		Name:       name,
		Format:     FormatKubernetes,
		Provider:   "kubernetes",
		Attributes: m,
		Pos:        demarc.Position{File: b.file, Line: line},
	}
	if kind == "Secret" {
		for _, k := range []string{"data", "stringData"} {
			if _, present := m[k]; present {
				r.Sensitive = append(r.Sensitive, k)
			}
		}
	}
	b.res = append(b.res, r)
	b.refs = append(b.refs, kubeRefs(kind, ns, m))
}

// kubeID names an object kind/namespace/name, or kind/name when the
// manifest gives no namespace.
func kubeID(kind, ns, name string) string {
	if ns == "" {
		return kind + "/" + name
	}
	return kind + "/" + ns + "/" + name
}

// kubeRefs lists the objects an object names: a binding's role and
// service accounts, a pod's service account, volumes, config maps and
// secrets, an autoscaler's target.
func kubeRefs(kind, ns string, m map[string]any) []string {
	var out []string
	add := func(k, name string) {
		if name != "" {
			out = append(out, kubeID(k, ns, name))
		}
	}
	spec := asMap(m["spec"])
	switch kind {
	case "RoleBinding", "ClusterRoleBinding":
		role := asMap(m["roleRef"])
		if rk := str(role["kind"]); rk == "ClusterRole" {
			out = append(out, kubeID(rk, "", str(role["name"])))
		} else {
			add(rk, str(role["name"]))
		}
		for _, s := range asList(m["subjects"]) {
			sm := asMap(s)
			if str(sm["kind"]) == "ServiceAccount" {
				out = append(out, kubeID("ServiceAccount", firstNonEmpty(str(sm["namespace"]), ns), str(sm["name"])))
			}
		}
	case "HorizontalPodAutoscaler":
		target := asMap(spec["scaleTargetRef"])
		add(str(target["kind"]), str(target["name"]))
	}
	if pod := podSpec(kind, spec); pod != nil {
		add("ServiceAccount", str(pod["serviceAccountName"]))
		for _, v := range asList(pod["volumes"]) {
			vm := asMap(v)
			add("PersistentVolumeClaim", str(asMap(vm["persistentVolumeClaim"])["claimName"]))
			add("ConfigMap", str(asMap(vm["configMap"])["name"]))
			add("Secret", str(asMap(vm["secret"])["secretName"]))
		}
		for _, list := range []string{"containers", "initContainers", "ephemeralContainers"} {
			for _, c := range asList(pod[list]) {
				cm := asMap(c)
				for _, e := range asList(cm["envFrom"]) {
					em := asMap(e)
					add("ConfigMap", str(asMap(em["configMapRef"])["name"]))
					add("Secret", str(asMap(em["secretRef"])["name"]))
				}
				for _, e := range asList(cm["env"]) {
					from := asMap(asMap(e)["valueFrom"])
					add("ConfigMap", str(asMap(from["configMapKeyRef"])["name"]))
					add("Secret", str(asMap(from["secretKeyRef"])["name"]))
				}
			}
		}
	}
	return out
}

// podSpec returns the pod template's spec of a workload, or the spec of a
// Pod; nil for other kinds.
func podSpec(kind string, spec map[string]any) map[string]any {
	switch kind {
	case "Pod":
		return spec
	case "CronJob":
		return asMap(asMap(asMap(asMap(spec["jobTemplate"])["spec"])["template"])["spec"])
	}
	if t := asMap(spec["template"]); t != nil {
		return asMap(t["spec"])
	}
	return nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (b *kubeBuilder) result() *parsed {
	p := &parsed{resources: b.res, problems: b.problems}
	for i, targets := range b.refs {
		for _, t := range targets {
			p.refs = append(p.refs, ref{from: i, to: t})
		}
	}
	return p
}
