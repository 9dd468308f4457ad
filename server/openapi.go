package server

import (
	"encoding"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/demarc-io/demarc"
)

// openAPIDocument describes the route table in OpenAPI 3.1. Schemas are
// generated from the Go types that the handlers decode and encode, so the
// document cannot describe fields the API does not have.
func (s *Server) openAPIDocument() ([]byte, error) {
	g := &schemaGen{defs: map[string]any{}, names: map[reflect.Type]string{}}
	paths := map[string]map[string]any{}
	tags := map[string]bool{}
	for _, rt := range s.routes {
		p := openAPIPath(rt.path)
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		paths[p][strings.ToLower(rt.method)] = g.operation(rt)
		tags[rt.tag] = true
	}
	var tagList []map[string]string
	for _, t := range []string{"operations", "sign-in", "identity", "organisations", "members", "tokens", "systems", "attestations", "providers",
		"analysis", "exports", "imports", "checks", "library", "publications", "subscriptions", "sign-offs", "audit"} {
		if tags[t] {
			tagList = append(tagList, map[string]string{"name": t})
			delete(tags, t)
		}
	}
	for t := range tags {
		tagList = append(tagList, map[string]string{"name": t}) // a tag missing above: still listed
	}
	g.schema(reflect.TypeOf(ErrorBody{})) // defines ErrorBody for the Error response
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "demarc",
			"version": "1",
			"description": "Who secures what: the cloud shared responsibility model as a shared service. " +
				"Paths under /api/v1/orgs/{org} act for one organisation (id or slug), as a member with a role; x-roles lists the roles that may call each operation. " +
				"Reads return an ETag; updates and deletes require If-Match (428 without, 412 when stale). Errors are {\"error\": {\"code\", \"message\"}}.",
		},
		"paths": paths,
		"tags":  tagList,
		"components": map[string]any{
			"schemas": g.defs,
			"securitySchemes": map[string]any{
				"token":   map[string]any{"type": "http", "scheme": "bearer", "description": "an API token, dmc_…"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": sessionCookie, "description": "a session from /auth/login; changes also need the " + CSRFHeader + " header"},
			},
			"responses": map[string]any{
				"Error": map[string]any{"description": "an error", "content": map[string]any{"application/json": map[string]any{"schema": ref("ErrorBody")}}},
			},
		},
	}
	return json.MarshalIndent(doc, "", "  ")
}

// openAPIPath turns a ServeMux path into an OpenAPI path template:
// "{id...}" becomes "{id}".
func openAPIPath(p string) string { return strings.ReplaceAll(p, "...}", "}") }

var pathParam = regexp.MustCompile(`\{([a-z]+)(\.\.\.)?\}`)

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

func (g *schemaGen) operation(rt *route) map[string]any {
	op := map[string]any{"operationId": rt.id, "summary": rt.sum, "tags": []string{rt.tag}}
	if rt.doc != "" {
		op["description"] = rt.doc
	}
	switch {
	case rt.public:
		op["security"] = []any{}
	default:
		op["security"] = []any{map[string]any{"token": []string{}}, map[string]any{"session": []string{}}}
	}
	if !rt.public && !rt.identified {
		op["x-roles"] = rt.roles
	}
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
		desc := pathParamDoc[m[1]]
		if m[2] != "" {
			desc += "; may contain slashes"
		}
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "description": desc, "schema": map[string]any{"type": "string"}})
	}
	for _, p := range rt.params {
		sch := map[string]any{"type": "string"}
		switch p.typ {
		case "integer":
			sch = map[string]any{"type": "integer", "minimum": 0}
		case "boolean":
			sch = map[string]any{"type": "boolean"}
		case "date":
			sch = map[string]any{"type": "string", "format": "date"}
		}
		if len(p.enum) > 0 {
			sch["enum"] = p.enum
		}
		q := map[string]any{"name": p.name, "in": "query", "schema": sch}
		if p.doc != "" {
			q["description"] = p.doc
		}
		params = append(params, q)
	}
	if rt.ifMatch {
		params = append(params, map[string]any{"name": "If-Match", "in": "header", "required": true,
			"description": "the ETag of the version the change was made against", "schema": map[string]any{"type": "string"}})
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if rt.body != nil {
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.body))}}}
	}
	if len(rt.upload) > 0 {
		op["requestBody"] = uploadBody(rt)
	}
	status := rt.status
	if status == 0 {
		status = 200
	}
	okResp := map[string]any{"description": strings.ToLower(http2text(status))}
	content := map[string]any{}
	if rt.resp != nil {
		content["application/json"] = map[string]any{"schema": g.schema(reflect.TypeOf(rt.resp))}
	}
	for _, m := range rt.media {
		if _, dup := content[m]; !dup {
			content[m] = map[string]any{"schema": map[string]any{"type": "string"}}
		}
	}
	if len(content) > 0 {
		okResp["content"] = content
	}
	if status == 200 || status == 201 {
		okResp["headers"] = map[string]any{"ETag": map[string]any{"schema": map[string]any{"type": "string"}, "description": "the representation's entity tag"}}
	}
	if status == 303 {
		okResp["headers"] = map[string]any{"Location": map[string]any{"schema": map[string]any{"type": "string"}}}
	}
	op["responses"] = map[string]any{
		itoa(status): okResp,
		"4XX":        map[string]any{"$ref": "#/components/responses/Error"},
		"5XX":        map[string]any{"$ref": "#/components/responses/Error"},
	}
	return op
}

// uploadBody describes a body that is a file, or for multipart/form-data
// the files of each part.
func uploadBody(rt *route) map[string]any {
	file := map[string]any{"type": "string", "format": "binary"}
	content := map[string]any{}
	for _, m := range rt.upload {
		if m != "multipart/form-data" {
			content[m] = map[string]any{"schema": file}
			continue
		}
		props := map[string]any{}
		for _, p := range rt.parts {
			sch := map[string]any{"type": "string", "format": "binary", "description": p.doc}
			if p.typ == "array" {
				sch = map[string]any{"type": "array", "items": file, "description": p.doc}
			}
			props[p.name] = sch
		}
		content[m] = map[string]any{"schema": map[string]any{"type": "object", "properties": props}}
	}
	return map[string]any{"required": true, "content": content}
}

var pathParamDoc = map[string]string{
	"org":     "organisation id (org_…) or slug",
	"member":  "member id (mem_…)",
	"token":   "token id (tok_…)",
	"id":      "document id (doc_…), or a library entry id",
	"version": "version number, from 1",
	"run":     "check run number, from 1",
	"target":  "control id (si-2) or area id (os.patching)",
	"kind":    "providers, services, frameworks, areas or models",
	"pub":     "publication id (pub_…)",
	"sub":     "subscription id (sub_…)",
	"signoff": "sign-off id (so_…)",
}

func http2text(status int) string {
	switch status {
	case 200:
		return "OK"
	case 201:
		return "Created"
	case 204:
		return "No content"
	case 303:
		return "See other"
	}
	return "Success"
}

// schemaGen makes JSON Schemas (draft 2020-12, as OpenAPI 3.1 uses) from
// Go types, following encoding/json's rules: json tags, omitempty and
// omitzero make a field optional, embedded structs are flattened, and
// types that marshal themselves as text are strings.
type schemaGen struct {
	defs  map[string]any
	names map[reflect.Type]string
}

var (
	timeType          = reflect.TypeOf(time.Time{})
	dateType          = reflect.TypeOf(demarc.Date{})
	textMarshalerType = reflect.TypeOf((*encoding.TextMarshaler)(nil)).Elem()
	jsonMarshalerType = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
)

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == dateType:
		return map[string]any{"type": "string", "format": "date"}
	case t.Implements(jsonMarshalerType) || reflect.PointerTo(t).Implements(jsonMarshalerType):
		return map[string]any{}
	case t.Implements(textMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType):
		return map[string]any{"type": "string"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}
		}
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		return g.structRef(t)
	}
	return map[string]any{}
}

// structRef defines a struct once under components/schemas and refers
// to it.
func (g *schemaGen) structRef(t reflect.Type) map[string]any {
	if name, ok := g.names[t]; ok {
		return ref(name)
	}
	name := schemaName(t)
	for _, taken := range g.names {
		if taken == name {
			name = pkgName(t) + name
		}
	}
	g.names[t] = name
	props := map[string]any{}
	var required []string
	g.fields(t, props, &required)
	def := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		def["required"] = required
	}
	g.defs[name] = def
	return ref(name)
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.fields(ft, props, required)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			*required = append(*required, name)
		}
	}
}

var pkgPath = regexp.MustCompile(`[\w./-]*\.`)

// schemaName names a type for components/schemas: List[demarc.Member]
// becomes ListOfMember.
func schemaName(t reflect.Type) string {
	n := t.Name()
	base, args, generic := strings.Cut(n, "[")
	if !generic {
		return n
	}
	args = pkgPath.ReplaceAllString(strings.TrimSuffix(args, "]"), "")
	return base + "Of" + strings.NewReplacer(",", "And", "*", "", "[", "Of", "]", "").Replace(args)
}

func pkgName(t reflect.Type) string {
	p := t.PkgPath()
	p = p[strings.LastIndex(p, "/")+1:]
	return strings.ToUpper(p[:1]) + p[1:]
}
