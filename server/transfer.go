package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/check"
)

// Upload limits. NIST's whole SP 800-53 catalog is about 4 MB and a
// service's leveraged plan in OSCAL about as much; Terraform plans of a
// few hundred resources are a few megabytes.
const (
	importBodyLimit = 32 << 20
	checkBodyLimit  = 32 << 20
	// maxUploadFiles bounds the files of one multipart upload.
	maxUploadFiles = 200
)

// transferRoutes declares what moves data in and out of the organisation:
// OSCAL exports of the library's statements, imports of outside files
// as library documents, and check runs over uploaded configuration.
func (s *Server) transferRoutes() []*route {
	sys := orgPath + "/systems/{id}"
	asOf := param{name: "as_of", typ: "date", doc: "last-modified stamp (default today)"}
	rs := []*route{
		{method: "GET", path: sys + "/exports/oscal-component-definition", id: "exportOSCALComponentDefinition", tag: "exports",
			sum: "Export provider statements as an OSCAL component definition", roles: readers,
			doc: "One component per service, one control implementation per framework, saying what the provider does and what the customer does.",
			params: []param{
				{name: "service", doc: "service ids separated by commas (default: the services the system uses)"},
				{name: "provider", doc: "every service of this provider instead"},
				{name: "framework", doc: "framework ids separated by commas (default: the system's, else nist-800-53-r5)"}, asOf},
			media: []string{"application/json"}, handle: s.exportComponentDefinition},
		{method: "GET", path: sys + "/exports/oscal-responsibility", id: "exportOSCALResponsibility", tag: "exports",
			sum: "Export a service as its provider's leveraged plan in OSCAL: what it provides, what it leaves to customers", roles: readers,
			params: []param{{name: "service", doc: "service id (required unless the system uses one service)"}, pFramework, asOf},
			media:  []string{"application/json"}, handle: s.exportResponsibility},

		{method: "POST", path: sys + "/checks", id: "runChecks", tag: "checks", sum: "Check uploaded configuration against the system and record the run with its evidence", roles: editors,
			doc: "A multipart/form-data body with one or more config files (Terraform plan or state JSON, .tf source, CloudFormation, Kubernetes manifests, " +
				"cloud inventory exports), each with its file name, and optionally CEL policy files. The .tf files of one folder are one module.",
			params: []param{pVersion, pFramework, {name: "builtin", typ: "boolean", doc: "run the built-in policies (default true)"}},
			upload: []string{"multipart/form-data"},
			parts: []param{{name: "config", typ: "array", doc: "configuration files"},
				{name: "policy", typ: "array", doc: "CEL policy files (YAML), run beside or, with builtin=false, instead of the built-in ones"}},
			bodyLimit: checkBodyLimit, lateWrite: true, status: http.StatusCreated, resp: CheckRunInfo{}, handle: s.runChecks},
		{method: "GET", path: sys + "/checks", id: "listCheckRuns", tag: "checks", sum: "List the system's check runs, newest first", roles: readers,
			params: []param{pCursor, pLimit}, resp: List[CheckRunInfo]{}, handle: s.listCheckRuns},
		{method: "GET", path: sys + "/checks/{run}", id: "getCheckRun", tag: "checks", sum: "Read a check run's report", roles: readers,
			params: []param{{name: "format", enum: checkFormatNames, doc: "output format (default json)"}}, resp: check.Report{},
			media: []string{"application/yaml", "application/sarif+json", "application/xml", "text/markdown", "text/plain"}, handle: s.getCheckRun},
		{method: "GET", path: sys + "/checks/{run}/evidence", id: "getCheckEvidence", tag: "checks",
			sum: "Read a check run's evidence record: inputs and policies with their digests, verdicts, findings and the audit event that recorded it", roles: auditors,
			resp: CheckEvidence{}, handle: s.getCheckEvidence},
	}
	for _, k := range importKinds() {
		// The status is left to the handler: 201 for a new document, 200
		// for a new version of one or a dry run.
		doc := strings.TrimSpace(k.doc + " Answers 201 with the new document, or 200 for a new version (replace) or a dry run.")
		rs = append(rs, &route{method: "POST", path: orgPath + "/imports/" + k.kind, id: k.id, tag: "imports", sum: k.sum, doc: doc, roles: editors,
			params: append(append([]param{}, importParams...), k.params...), upload: k.media, parts: k.parts,
			bodyLimit: importBodyLimit, lateWrite: true, resp: ImportResult{}, handle: s.importDocument(k)})
	}
	return rs
}

// upload is a file sent in a request body: the body itself, or one part
// of a multipart/form-data body.
type upload struct {
	name string
	data []byte
}

// mediaType returns the request's content type, which must be one of
// accepted (or, for a +json or +yaml type, fit one of them): 415
// otherwise, naming what is accepted.
func (c *call) mediaType(accepted []string) (string, error) {
	ct := c.r.Header.Get("Content-Type")
	want := strings.Join(accepted, ", ")
	if ct == "" {
		return "", errorf(EUnsupportedMedia, "the request body needs a Content-Type: one of %s", want)
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", errorf(EUnsupportedMedia, "Content-Type %q is malformed; send one of %s", ct, want)
	}
	for _, a := range accepted {
		if mt == a || suffixFits(mt, a) {
			return a, nil
		}
	}
	return "", errorf(EUnsupportedMedia, "Content-Type %q is not accepted here; send one of %s", ct, want)
}

// suffixFits reports whether a structured-syntax type such as
// application/oscal+json fits an accepted plain one.
func suffixFits(mt, accepted string) bool {
	for _, suffix := range []string{"json", "yaml"} {
		if strings.HasSuffix(mt, "+"+suffix) && accepted == "application/"+suffix {
			return true
		}
	}
	return false
}

// formFiles reads a multipart/form-data body. Every part must be a file
// (with a file name, kept as sent, folders included) of one of the form
// fields in max, at most max[field] of them. Errors are 400s that name the
// part and say what was expected.
func (c *call) formFiles(max map[string]int) ([]formFile, error) {
	_, params, err := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return nil, errorf(EBadRequest, "the multipart/form-data body needs a boundary parameter in its Content-Type")
	}
	mr := multipart.NewReader(bytes.NewReader(c.body), params["boundary"])
	var files []formFile
	count := map[string]int{}
	seen := map[string]bool{}
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, errorf(EBadRequest, "malformed multipart body after %d parts: %v", len(files), err)
		}
		f, err := readPart(p, max, count)
		if err != nil {
			return nil, err
		}
		key := f.field + "/" + f.name
		if seen[key] {
			return nil, errorf(EBadRequest, "part %s: file %q is sent twice", f.field, f.name)
		}
		seen[key] = true
		if len(files) == maxUploadFiles {
			return nil, errorf(EBadRequest, "more than %d files in one request", maxUploadFiles)
		}
		files = append(files, f)
	}
}

// formFile is one file of a multipart upload.
type formFile struct {
	field string
	upload
}

// readPart reads one part, which must be a file of a known field.
func readPart(p *multipart.Part, max map[string]int, count map[string]int) (formFile, error) {
	_, disp, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return formFile{}, errorf(EBadRequest, "a part of the multipart body has no valid Content-Disposition: %v", err)
	}
	field := disp["name"]
	if _, ok := max[field]; !ok {
		return formFile{}, errorf(EBadRequest, "unknown part %q; this operation takes: %s", field, fieldList(max))
	}
	if count[field]++; count[field] > max[field] {
		return formFile{}, errorf(EBadRequest, "part %s: at most %d file(s)", field, max[field])
	}
	name, err := uploadName(disp["filename"])
	if err != nil {
		return formFile{}, errorf(EBadRequest, "part %s: file name %q %v", field, disp["filename"], err)
	}
	data, err := io.ReadAll(p)
	if err != nil {
		return formFile{}, errorf(EBadRequest, "part %s: file %s cannot be read: %v", field, name, err)
	}
	return formFile{field: field, upload: upload{name: name, data: data}}, nil
}

func fieldList(max map[string]int) string {
	var names []string
	for f := range max {
		names = append(names, f)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// uploadName checks a file name as sent: a relative path (folders
// allowed, with / or \), printable, at most 255 bytes. It returns the
// name cleaned, with forward slashes.
func uploadName(raw string) (string, error) {
	if raw == "" {
		return "", fmt.Errorf("is missing: every file needs its name (Content-Disposition filename)")
	}
	if len(raw) > 255 || !utf8.ValidString(raw) || strings.IndexFunc(raw, unicode.IsControl) >= 0 {
		return "", fmt.Errorf("must be printable UTF-8 of at most 255 bytes")
	}
	n := path.Clean(strings.ReplaceAll(raw, `\`, "/"))
	if path.IsAbs(n) || n == "." || n == ".." || strings.HasPrefix(n, "../") || strings.Contains(n, ":") {
		return "", fmt.Errorf("must be a relative path, without drive letters or ..")
	}
	return n, nil
}

// readUploadBody reads the whole body of an upload route, refusing an
// empty one.
func (c *call) readUploadBody(what string) error {
	if err := c.readBody(); err != nil {
		return err
	}
	if len(bytes.TrimSpace(c.body)) == 0 {
		return errorf(EBadRequest, "the request body is empty; expected %s", what)
	}
	return nil
}

// problemsError is an EInvalid error that lists problems under a message
// of its own, which stays first in the answer.
func problemsError(file, msg string, ps demarc.Problems) error {
	all := append(demarc.Problems{{Pos: demarc.Position{File: file}, Message: msg}}, ps...)
	return &demarc.Error{Code: demarc.EInvalid, Message: msg, Err: all}
}
