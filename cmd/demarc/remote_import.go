package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/server"
)

// 'demarc import KIND FILE' against a server sends the file to the
// server's importer of that kind, which stores the library file it makes
// as a provider statement of the organisation: its library then has the
// framework or service, for every system and every member.

// providerDocs are the organisation's provider statements, imports among
// them.
var providerDocs = docKind{path: "providers", one: "provider statement", cmd: "import"}

// importRoute says how one import command maps onto the server's route.
type importRoute struct {
	// params maps the command's flags to the route's query parameters.
	params map[string]string
	// refused are the flags the route has no equivalent of, with what to
	// do instead.
	refused map[string]string
	// media is the content type of a file sent; "" for a profile, sent as
	// multipart parts profile and catalog.
	media func(path string) string
}

var oscalImportParams = map[string]string{"id": "id", "areas-from": "areas_from", "strict": "strict"}

// importRoutes are the import commands a server offers, by name.
var importRoutes = map[string]importRoute{
	"oscal-catalog": {params: oscalImportParams, media: structuredMedia},
	"oscal-profile": {params: oscalImportParams},
	"oscal-ssp": {params: map[string]string{"provider": "provider", "service": "service", "model": "model", "title": "title", "strict": "strict"},
		refused: map[string]string{
			"leveraged": "the server imports one plan at a time; import the leveraged plan on its own, and in a system run this service's component on the leveraged one (runs_on)",
			"report":    "the server lists the plan's defects as warnings on standard error"},
		media: structuredMedia},
	"azure-baseline": {params: map[string]string{"service": "service", "model": "model", "skip-bad": "skip_bad"},
		refused: map[string]string{"format": "the server stores the library file; read the rows with --format json on local files"},
		media:   func(string) string { return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" }},
	"prowler": {params: map[string]string{"id": "id", "title": "title", "match": "match", "skip-bad": "skip_bad"},
		refused: map[string]string{
			"format":     "the server stores the library file; list the requirements with --format json on local files",
			"checks-out": "the server keeps the framework only; write the checks with --checks-out on local files"},
		media: func(string) string { return "application/json" }},
}

// structuredMedia is the content type of an OSCAL file by its name; ""
// when the name does not tell, and the content decides.
func structuredMedia(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return "application/json"
	case ".yaml", ".yml":
		return "application/yaml"
	}
	return ""
}

// serverImportFlags are the flags an import takes against a server.
type serverImportFlags struct {
	name            string
	dryRun, replace bool
}

const serverImportHelp = `

Against a server (--server, $DEMARC_SERVER or 'demarc login') the file is
sent to the server, which imports it with the organisation's library and
stores the library file as a provider statement of the organisation, named
for the framework or service (--name names it otherwise): its systems can
then use it, as --framework or as a component's service. Standard error
lists what the import decided, as here. --dry-run prints the library file
and stores nothing; a name already taken is refused (exit 2) unless
--replace stores a new version of it.`

// serverImport lets an import command work against a server, when the
// server has an importer of its kind.
func (a *app) serverImport(cmd *cobra.Command) *cobra.Command {
	route, ok := importRoutes[cmd.Name()]
	if !ok {
		return cmd
	}
	var sf serverImportFlags
	cmd.Flags().StringVar(&sf.name, "name", "", "against a server: the provider statement's `NAME` (default: the framework's or service's id)")
	cmd.Flags().BoolVar(&sf.dryRun, "dry-run", false, "against a server: print the library file the import makes, and store nothing")
	cmd.Flags().BoolVar(&sf.replace, "replace", false, "against a server: store a new version of the provider statement of that name")
	cmd.Long += serverImportHelp
	local := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		rc, err := a.remote()
		if err != nil {
			return err
		}
		if rc != nil {
			return a.remoteImport(c.Context(), rc, c, route, args, sf)
		}
		if sf.name != "" || sf.dryRun || sf.replace {
			return usageError{fmt.Errorf("--name, --dry-run and --replace are for imports to a server, and none is configured: give --server URL, set %s, or run demarc login; on local files the import only writes the library file", envServer)}
		}
		return local(c, args)
	}
	return cmd
}

// importQuery is the query of the command's options.
func importQuery(fs *pflag.FlagSet, route importRoute) (url.Values, error) {
	q := url.Values{}
	for flag, why := range route.refused {
		if f := fs.Lookup(flag); f != nil && f.Changed && f.Value.String() != f.DefValue {
			what := "--" + flag
			if f.Value.Type() == "string" {
				what += " " + f.Value.String()
			}
			return nil, notOnServer(what, why)
		}
	}
	for flag, param := range route.params {
		if f := fs.Lookup(flag); f != nil && f.Changed {
			q.Set(param, f.Value.String())
		}
	}
	return q, nil
}

// importUpload is one file to import, encoded for the route.
type importUpload struct {
	path        string
	body        []byte
	contentType string
	// lone says a profile is sent without the catalog it imports.
	lone bool
}

// remoteImport imports files on the server. Several files (workbooks)
// are each stored as a provider statement of their own.
func (a *app) remoteImport(ctx context.Context, c *client, cmd *cobra.Command, route importRoute, paths []string, sf serverImportFlags) error {
	if err := a.libraryOnServer(); err != nil {
		return err
	}
	q, err := importQuery(cmd.Flags(), route)
	if err != nil {
		return err
	}
	if len(paths) > 1 && (sf.name != "" || sf.dryRun) {
		return usageError{errors.New("--name and --dry-run take one file: import the others one by one")}
	}
	ups := make([]*importUpload, len(paths))
	for i, p := range paths {
		if ups[i], err = encodeImport(cmd, route, p); err != nil {
			return err
		}
	}
	kind := cmd.Name()
	if len(ups) > 1 {
		// Every file is tried first, so that one the server refuses
		// leaves nothing stored. A replacement is tried under a name
		// nothing has, as its If-Match is not known yet.
		for _, up := range ups {
			try := importCall{dryRun: true}
			if sf.replace {
				try.name = "import " + rand.Text()
			}
			if _, err := c.postImport(ctx, kind, up, q, try); err != nil {
				return err
			}
		}
	}
	for _, up := range ups {
		if err := a.importOne(ctx, c, kind, up, q, sf); err != nil {
			return err
		}
	}
	return nil
}

// encodeImport reads a file to import and encodes it as the route takes
// it: the file itself, or for a profile the parts profile and catalog.
func encodeImport(cmd *cobra.Command, route importRoute, path string) (*importUpload, error) {
	data, err := readImport(path)
	if err != nil {
		return nil, err
	}
	if route.media != nil {
		up := &importUpload{path: path, body: data, contentType: route.media(path)}
		if up.contentType == "" {
			up.contentType = "application/yaml"
			if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
				up.contentType = "application/json"
			}
		}
		return up, nil
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	parts := []struct{ field, path string }{{"profile", path}}
	if f := cmd.Flags().Lookup("catalog"); f != nil && f.Value.String() != "" {
		parts = append(parts, struct{ field, path string }{"catalog", f.Value.String()})
	}
	for i, p := range parts {
		if i > 0 {
			if data, err = readImport(p.path); err != nil {
				return nil, err
			}
		}
		part, err := w.CreateFormFile(p.field, filepath.Base(p.path))
		if err != nil {
			return nil, fmt.Errorf("encode upload: %w", err)
		}
		if _, err := part.Write(data); err != nil {
			return nil, fmt.Errorf("encode upload: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encode upload: %w", err)
	}
	return &importUpload{path: path, body: buf.Bytes(), contentType: w.FormDataContentType(), lone: len(parts) == 1}, nil
}

func readImport(path string) ([]byte, error) {
	data, err := readUpload(path, maxUpload)
	if errors.Is(err, errTooLarge) {
		return nil, demarc.Errorf(demarc.EInvalid, "%s is larger than %d MB, the most a server takes in one import", path, maxUpload>>20)
	}
	return data, err
}

// importOne imports one file: stored, or with --dry-run printed. With
// --replace the version replaced is named in If-Match, so that a version
// stored in between is never overwritten unseen.
func (a *app) importOne(ctx context.Context, c *client, kind string, up *importUpload, q url.Values, sf serverImportFlags) error {
	call := importCall{name: sf.name, dryRun: sf.dryRun, replace: sf.replace}
	if sf.replace {
		if err := c.replaceTarget(ctx, kind, up, q, &call); err != nil {
			return err
		}
	}
	res, err := c.postImport(ctx, kind, up, q, call)
	if err != nil {
		return err
	}
	if sf.dryRun {
		if err := a.write([]byte(res.Content)); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(a.stdout, importedLine(res, call.replacing))
	}
	return a.importSummary(ctx, c, kind, up.path, res)
}

// importCall is how one file is sent to the import route.
type importCall struct {
	name            string // the document's name; "" for the importer's
	dryRun, replace bool
	ifMatch         string // the ETag of the document replaced
	// replacing is the document replaced, as it was before.
	replacing *demarc.Document
}

// replaceTarget finds the provider statement an import replaces and
// names its version in If-Match. Without --name the statement is named
// for the framework or service the import makes, which a dry run under
// a name nothing has tells.
func (c *client) replaceTarget(ctx context.Context, kind string, up *importUpload, q url.Values, call *importCall) error {
	if call.name == "" {
		dry, err := c.postImport(ctx, kind, up, q, importCall{name: "import " + rand.Text(), dryRun: true})
		if err != nil {
			return err
		}
		ids := append(frameworkNames(dry.Frameworks), serviceNames(dry.Services)...)
		if len(ids) != 1 {
			return usageError{fmt.Errorf("the import makes %d frameworks and services (%s); name the provider statement to replace with --name", len(ids), strings.Join(ids, ", "))}
		}
		call.name = ids[0]
	}
	d, err := c.lookup(ctx, providerDocs, call.name)
	if err != nil || d == nil {
		return err
	}
	call.replacing = d
	call.ifMatch, _, err = c.current(ctx, providerDocs, d)
	return err
}

func frameworkNames(ids []demarc.FrameworkID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}

func serviceNames(ids []demarc.ServiceID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}

// postImport sends a file to the import route of kind.
func (c *client) postImport(ctx context.Context, kind string, up *importUpload, q url.Values, call importCall) (*server.ImportResult, error) {
	path, err := c.orgPath(ctx, "/imports/"+kind)
	if err != nil {
		return nil, err
	}
	query := url.Values{"filename": {filepath.Base(up.path)}}
	for k, v := range q {
		query[k] = v
	}
	if call.name != "" {
		query.Set("name", call.name)
	}
	if call.dryRun {
		query.Set("dry_run", "true")
	}
	if call.replace {
		query.Set("replace", "true")
	}
	res, err := c.do(ctx, request{method: http.MethodPost, path: path, query: query, raw: up.body, contentType: up.contentType, ifMatch: call.ifMatch})
	if err != nil {
		return nil, importError(err, up)
	}
	var r server.ImportResult
	if err := c.decode(res.body, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// importError names the local file in the problems the server found in
// it, which it knows by its base name, and says in the command's terms
// what to do.
func importError(err error, up *importUpload) error {
	var re *remoteError
	if !errors.As(err, &re) {
		return err
	}
	if len(re.problems) > 0 {
		base := filepath.Base(up.path)
		ps := make(demarc.Problems, len(re.problems))
		for i, p := range re.problems {
			if p.Pos.File == base {
				p.Pos.File = up.path
			}
			ps[i] = p
		}
		re.msg = ps.Error()
	}
	switch {
	case re.status == http.StatusConflict && strings.Contains(re.msg, "already exists"):
		// The server's advice names its query parameters.
		if i := strings.Index(re.msg, "; pass replace=true"); i >= 0 {
			re.msg = re.msg[:i]
		}
		re.msg += "; add --replace to store a new version of it, or --name NAME to store the import under another name"
	case up.lone && re.status == http.StatusUnprocessableEntity:
		re.msg += "\n(the server reads no file beside the profile: give the catalog it imports with --catalog FILE)"
	}
	return re
}

// importedLine says what an import stored; before is the document it
// replaced, if any.
func importedLine(r *server.ImportResult, before *demarc.Document) string {
	d := r.Document
	what := ""
	for _, f := range r.Frameworks {
		what += fmt.Sprintf("; framework %s (use it with --framework %s)", f, f)
	}
	for _, s := range r.Services {
		what += fmt.Sprintf("; service %s", s)
	}
	if d == nil {
		return fmt.Sprintf("imported %s%s", r.Name, what)
	}
	if before != nil && d.Version == before.Version {
		return fmt.Sprintf("provider statement %s (%s) is unchanged at version %d%s", d.Name, d.ID, d.Version, what)
	}
	if r.Action == "replace" {
		return fmt.Sprintf("stored version %d of provider statement %s (%s)%s", d.Version, d.Name, d.ID, what)
	}
	return fmt.Sprintf("created provider statement %s (%s), version %d%s", d.Name, d.ID, d.Version, what)
}

// importSummary prints on standard error what the import decided, as the
// local import of kind prints it, from the server's warnings and the
// library file it made.
func (a *app) importSummary(ctx context.Context, c *client, kind, path string, r *server.ImportResult) error {
	switch kind {
	case "oscal-catalog", "oscal-profile":
		f, err := c.importedFile(ctx, r)
		if err != nil {
			return err
		}
		for _, w := range r.Warnings {
			fmt.Fprintf(a.stderr, "demarc: warning: %s\n", w)
		}
		for _, fw := range f.Frameworks {
			withdrawn := 0
			for _, ctl := range fw.Controls {
				if ctl.Withdrawn {
					withdrawn++
				}
			}
			fmt.Fprintf(a.stderr, "demarc: imported %d controls (%d withdrawn) as framework %s%s\n", len(fw.Controls), withdrawn, fw.ID, oscalWarningCount(r.Warnings))
		}
	case "oscal-ssp":
		f, err := c.importedFile(ctx, r)
		if err != nil {
			return err
		}
		for _, p := range f.Providers {
			for _, svc := range p.Services {
				fmt.Fprintf(a.stderr, "imported %d area rules of %s (%s)\n", len(svc.Overrides), svc.ID, svc.Model)
			}
		}
		for _, w := range r.Warnings {
			fmt.Fprintf(a.stderr, "note: %s\n", w)
		}
	case "azure-baseline":
		a.azureSummary(r.Warnings)
	case "prowler":
		a.prowlerSummary(path, r)
	}
	return nil
}

// azureSummary prints the rows left out, the workbook's summary and its
// warnings, in the order the local import prints them.
func (a *app) azureSummary(warnings []string) {
	var rest []string
	for _, w := range warnings {
		if strings.HasPrefix(w, "row left out: ") {
			fmt.Fprintf(a.stderr, "warning: %s\n", w)
			continue
		}
		rest = append(rest, w)
	}
	for i, w := range rest {
		if i == 0 {
			fmt.Fprintln(a.stderr, w)
			continue
		}
		fmt.Fprintf(a.stderr, "  %s\n", w)
	}
}

// prowlerSummary prints the mapping's summary (its first warning and the
// indented lines after it) and then its warnings, as the local import.
func (a *app) prowlerSummary(path string, r *server.ImportResult) {
	for _, fw := range r.Frameworks {
		fmt.Fprintf(a.stderr, "%s → framework %s\n", filepath.Base(path), fw)
	}
	for i, w := range r.Warnings {
		if i == 0 || strings.HasPrefix(w, "  ") {
			fmt.Fprintf(a.stderr, "  %s\n", w)
			continue
		}
		fmt.Fprintf(a.stderr, "warning: %s\n", w)
	}
}

// importedFile is the library file an import made: the answer's on a dry
// run, else the stored version's.
func (c *client) importedFile(ctx context.Context, r *server.ImportResult) (*library.File, error) {
	content := []byte(r.Content)
	if r.Document != nil {
		rv, err := c.content(ctx, providerDocs, r.Document, 0)
		if err != nil {
			return nil, err
		}
		content = []byte(rv.Content)
	}
	f, err := library.ParseFile(r.Name, content)
	if err != nil {
		return nil, &remoteError{exit: exitInternal, msg: fmt.Sprintf("the server at %s stored a library file that does not read: %v", c, err)}
	}
	return f, nil
}
