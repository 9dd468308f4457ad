package snapshot

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/demarc-io/demarc"
)

// parseAWSConfig reads an AWS Config configuration snapshot (the file
// Config delivers to S3: {"fileVersion", "configSnapshotId",
// "configurationItems": […]}) or the output of get-resource-config-history
// (configurationItems) or batch-get-resource-config (baseConfigurationItems),
// where configuration and supplementary configuration are JSON strings.
// Deleted and unrecorded items are left out; relationships become links.
func parseAWSConfig(file string, data []byte) (*parsed, error) {
	var top map[string]any
	if err := decodeJSON(file, data, &top); err != nil {
		return nil, err
	}
	key := "configurationItems"
	if _, ok := top[key]; !ok {
		key = "baseConfigurationItems"
	}
	items, ok := top[key].([]any)
	if !ok {
		return nil, demarc.Problems{{Pos: demarc.Position{File: file, Line: 1}, Field: key, Message: "expected a list of configuration items"}}.Err()
	}
	lines := memberLines(data, key)
	p := &parsed{}
	byKey := map[string]string{}
	var relations [][]any
	for i, it := range items {
		line := lines[strconv.Itoa(i)]
		field := fmt.Sprintf("%s[%d]", key, i)
		r, rel, ok := awsConfigItem(file, asMap(it), line, field, &p.problems)
		if !ok {
			continue
		}
		byKey[r.Type+"|"+str(asMap(it)["resourceId"])] = r.ID
		p.resources = append(p.resources, r)
		relations = append(relations, rel)
	}
	for i, rel := range relations {
		for _, x := range rel {
			m := asMap(x)
			if to, ok := byKey[str(m["resourceType"])+"|"+str(m["resourceId"])]; ok {
				p.refs = append(p.refs, ref{from: i, to: to})
			}
		}
	}
	p.byValue = true
	return p, nil
}

func awsConfigItem(file string, it map[string]any, line int, field string, problems *demarc.Problems) (demarc.Resource, []any, bool) {
	typ, id := str(it["resourceType"]), str(it["resourceId"])
	if it == nil || typ == "" || id == "" {
		*problems = append(*problems, demarc.Problem{Pos: demarc.Position{File: file, Line: line}, Field: field,
			Message: "missing resourceType or resourceId; expected an AWS Config configuration item; skipped"})
		return demarc.Resource{}, nil, false
	}
	switch str(it["configurationItemStatus"]) {
	case "ResourceDeleted", "ResourceDeletedNotRecorded", "ResourceNotRecorded":
		return demarc.Resource{}, nil, false
	}
	attrs, ok := jsonObject(it["configuration"])
	if !ok {
		*problems = append(*problems, demarc.Problem{Pos: demarc.Position{File: file, Line: line}, Field: field + ".configuration",
			Message: "not a JSON object or a string holding one; configuration left empty"})
	}
	if supp := asMap(it["supplementaryConfiguration"]); supp != nil {
		out := make(map[string]any, len(supp))
		for k, v := range supp {
			out[k] = jsonText(v)
		}
		attrs["supplementaryConfiguration"] = out
	}
	for _, k := range []string{"tags", "awsRegion", "awsAccountId", "availabilityZone"} {
		if v, present := it[k]; present && attrs[k] == nil {
			attrs[k] = normalize(v)
		}
	}
	arn := firstNonEmpty(str(it["ARN"]), str(it["arn"]))
	rid := arn
	if rid == "" {
		rid = typ + "/" + id
	}
	rel, _ := it["relationships"].([]any)
	return demarc.Resource{
		ID:         rid,
		Type:       typ,
		Name:       firstNonEmpty(str(it["resourceName"]), id),
		Format:     FormatAWSConfig,
		Provider:   "aws",
		Attributes: attrs,
		Pos:        demarc.Position{File: file, Line: line},
	}, rel, true
}

// jsonObject returns v as an object: an object as it is, a string holding
// a JSON object decoded. A missing value is an empty object.
func jsonObject(v any) (map[string]any, bool) {
	switch t := v.(type) {
	case nil:
		return map[string]any{}, true
	case map[string]any:
		return normalize(t).(map[string]any), true
	case string:
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(t))
		dec.UseNumber()
		if dec.Decode(&m) == nil && m != nil {
			return normalize(m).(map[string]any), true
		}
	}
	return map[string]any{}, false
}

// jsonText decodes a string holding a JSON object or list, as AWS Config
// writes supplementary configuration; other values stay as they are.
func jsonText(v any) any {
	s, ok := v.(string)
	if !ok {
		return normalize(v)
	}
	t := strings.TrimSpace(s)
	if t == "" || t[0] != '{' && t[0] != '[' {
		return s
	}
	var out any
	dec := json.NewDecoder(strings.NewReader(t))
	dec.UseNumber()
	if dec.Decode(&out) != nil {
		return s
	}
	return normalize(out)
}

// parseGCPAssets reads a Google Cloud Asset Inventory export: one asset
// per line (gcloud asset export writes NDJSON with snake_case names) or a
// JSON list of assets (gcloud asset list --format=json, camelCase). An
// asset exported twice, once with its resource and once with its IAM
// policy, becomes one resource.
func parseGCPAssets(file string, data []byte) (*parsed, error) {
	g := &gcpBuilder{file: file, byName: map[string]int{}}
	if first := firstByte(data); first == '[' {
		var list []any
		if err := decodeJSON(file, data, &list); err != nil {
			return nil, err
		}
		lines := memberLines(data)
		for i, a := range list {
			g.asset(asMap(normalize(a)), lines[strconv.Itoa(i)], fmt.Sprintf("[%d]", i))
		}
	} else if err := g.lines(data); err != nil {
		return nil, err
	}
	return g.result(), nil
}

type gcpBuilder struct {
	file     string
	res      []demarc.Resource
	parents  []string
	byName   map[string]int
	problems demarc.Problems
}

// maxBadLines is how many unreadable lines of NDJSON are reported one by
// one before the rest of the file is given up.
const maxBadLines = 20

// lines reads NDJSON; a line that is not JSON is a problem, and the other
// lines are still read, unless the first line already is not an asset.
func (g *gcpBuilder) lines(data []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), len(data)+1)
	bad := 0
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var v map[string]any
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			p := jsonProblem(g.file, line, err)
			p.Pos.Line = n
			p.Message += "; expected one Cloud Asset Inventory asset per line"
			if len(g.res) == 0 && bad == 0 && len(g.problems) == 0 {
				return demarc.Problems{p}.Err()
			}
			g.problems = append(g.problems, p)
			if bad++; bad > maxBadLines {
				g.problems = append(g.problems, demarc.Problem{Pos: demarc.Position{File: g.file, Line: n},
					Message: fmt.Sprintf("more than %d lines are not JSON; the rest of the file is not read", maxBadLines)})
				return nil
			}
			continue
		}
		g.asset(normalize(v).(map[string]any), n, "line "+strconv.Itoa(n))
		if len(g.problems) > maxBadLines {
			g.problems = append(g.problems, demarc.Problem{Pos: demarc.Position{File: g.file, Line: n},
				Message: fmt.Sprintf("more than %d lines are not assets; the rest of the file is not read", maxBadLines)})
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		return demarc.Problems{{Pos: demarc.Position{File: g.file}, Message: "reading NDJSON: " + err.Error()}}.Err()
	}
	if len(g.res) == 0 && len(g.problems) > 0 {
		return g.problems.Err()
	}
	return nil
}

// gcpField reads a field by its export (snake_case) or API (camelCase)
// name.
func gcpField(m map[string]any, snake, camel string) any {
	if v, ok := m[snake]; ok {
		return v
	}
	return m[camel]
}

func (g *gcpBuilder) asset(a map[string]any, line int, where string) {
	name := str(a["name"])
	typ := str(gcpField(a, "asset_type", "assetType"))
	if name == "" || typ == "" {
		g.problems = append(g.problems, demarc.Problem{Pos: demarc.Position{File: g.file, Line: line}, Field: where,
			Message: "missing name or asset_type; expected a Cloud Asset Inventory asset; skipped"})
		return
	}
	resource := asMap(a["resource"])
	i, seen := g.byName[name]
	if !seen {
		i = len(g.res)
		g.byName[name] = i
		g.res = append(g.res, demarc.Resource{
			ID:         name,
			Type:       typ,
			Name:       name[strings.LastIndexByte(name, '/')+1:],
			Format:     FormatGCPAsset,
			Provider:   "gcp",
			Attributes: map[string]any{},
			Pos:        demarc.Position{File: g.file, Line: line},
		})
		g.parents = append(g.parents, "")
	}
	r := &g.res[i]
	if data := asMap(resource["data"]); data != nil {
		for k, v := range data {
			r.Attributes[k] = v
		}
	}
	if loc := str(resource["location"]); loc != "" && r.Attributes["location"] == nil {
		r.Attributes["location"] = loc
	}
	if policy := gcpField(a, "iam_policy", "iamPolicy"); policy != nil {
		r.Attributes["iamPolicy"] = policy
	}
	if parent := str(resource["parent"]); parent != "" {
		g.parents[i] = parent
	}
}

func (g *gcpBuilder) result() *parsed {
	p := &parsed{resources: g.res, problems: g.problems, byValue: true}
	for i, parent := range g.parents {
		if parent != "" {
			p.refs = append(p.refs, ref{from: i, to: parent})
		}
	}
	return p
}

// parseAzureResourceGraph reads the result of an Azure Resource Graph
// query: az graph query -o json ({"data": [...], "count": …}), the REST
// API's response (data as a list or as a table of columns and rows), or a
// plain JSON list of records. Every record must have an id and a type.
func parseAzureResourceGraph(file string, data []byte) (*parsed, error) {
	var v any
	if err := decodeJSON(file, data, &v); err != nil {
		return nil, err
	}
	records, lines, err := azureRecords(file, data, normalize(v))
	if err != nil {
		return nil, err
	}
	p := &parsed{byValue: true}
	seen := map[string]bool{}
	for i, rec := range records {
		line := lines[strconv.Itoa(i)]
		m := asMap(rec)
		id, typ := str(m["id"]), str(m["type"])
		if id == "" || typ == "" {
			p.problems = append(p.problems, demarc.Problem{Pos: demarc.Position{File: file, Line: line}, Field: fmt.Sprintf("data[%d]", i),
				Message: "missing id or type; expected an Azure resource record; skipped"})
			continue
		}
		if seen[strings.ToLower(id)] {
			continue
		}
		seen[strings.ToLower(id)] = true
		p.resources = append(p.resources, demarc.Resource{
			ID:         id,
			Type:       strings.ToLower(typ),
			Name:       str(m["name"]),
			Format:     FormatAzureResourceGraph,
			Provider:   "azure",
			Attributes: m,
			Pos:        demarc.Position{File: file, Line: line},
		})
	}
	return p, nil
}

// azureRecords finds the records of a Resource Graph result and the line
// of each.
func azureRecords(file string, data []byte, v any) ([]any, map[string]int, error) {
	if list, ok := v.([]any); ok {
		return list, memberLines(data), nil
	}
	top := asMap(v)
	switch d := top["data"].(type) {
	case []any:
		return d, memberLines(data, "data"), nil
	case map[string]any:
		recs, err := azureTable(file, d)
		return recs, memberLines(data, "data", "rows"), err
	}
	return nil, nil, demarc.Problems{{Pos: demarc.Position{File: file, Line: 1}, Field: "data",
		Message: "missing; expected the records of an Azure Resource Graph query"}}.Err()
}

// azureTable turns the table form ({"columns": [{"name"}], "rows": [[…]]})
// into records.
func azureTable(file string, t map[string]any) ([]any, error) {
	cols, ok1 := t["columns"].([]any)
	rows, ok2 := t["rows"].([]any)
	if !ok1 || !ok2 {
		return nil, demarc.Problems{{Pos: demarc.Position{File: file}, Field: "data",
			Message: "expected a list of records or a table with columns and rows"}}.Err()
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = str(asMap(c)["name"])
	}
	out := make([]any, 0, len(rows))
	for _, r := range rows {
		cells, _ := r.([]any)
		rec := make(map[string]any, len(names))
		for i, n := range names {
			if i < len(cells) && n != "" {
				rec[n] = cells[i]
			}
		}
		out = append(out, rec)
	}
	return out, nil
}

func firstByte(data []byte) byte {
	for _, c := range data {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}
