package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/render"
	"github.com/demarc-io/demarc/server"
	"github.com/demarc-io/demarc/systemfile"
)

func init() {
	extraCommands = append(extraCommands, (*app).systemsCommand, (*app).attestationsCommand)
}

func (a *app) systemsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "systems",
		Short: "Keep system files on a demarc server: list, push, pull, versions",
		Long: `Work with the systems stored on a demarc server (--server, $DEMARC_SERVER or
'demarc login'). Every push is a new version; earlier versions stay
readable. Once a system is on the server, the analysis commands take its
name: demarc matrix --system NAME.

push names the system after the file's "name:" unless --name says
otherwise. It first pushes the attestation registers the file's
attestation_files name, under those names, when the server lacks them. A
push is based on the version the server has when it starts (or --base N):
if someone else pushes in between, the push is refused and nothing is
overwritten.`,
	}
	cmd.AddCommand(a.listDocsCommand(systemDocs), a.pushDocCommand(systemDocs), a.pullDocCommand(systemDocs), a.versionsDocCommand(systemDocs))
	return cmd
}

func (a *app) attestationsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "attestations",
		Short: "Keep attestation registers on a demarc server: list, push, pull, versions",
		Long: `Work with the attestation registers stored on a demarc server. A system on
the server names its registers in attestation_files by their names there;
push names a register after its path as given (the name a system file next
to it uses) unless --name says otherwise.`,
	}
	cmd.AddCommand(a.listDocsCommand(registerDocs), a.pushDocCommand(registerDocs), a.pullDocCommand(registerDocs), a.versionsDocCommand(registerDocs))
	return cmd
}

// needRemote is the client for commands that only work against a server.
func (a *app) needRemote(cmd *cobra.Command) (*client, error) {
	c, err := a.remote()
	if err == nil && c == nil {
		err = usageError{fmt.Errorf("demarc %s works against a server, and none is configured: give --server URL, set %s, or run demarc login", strings.TrimPrefix(cmd.CommandPath(), "demarc "), envServer)}
	}
	return c, err
}

// listFormats are the formats of the listings.
var listFormats = []render.Format{render.Table, render.JSON, render.YAML, render.CSV, render.Markdown}

func (a *app) listDocsCommand(kind docKind) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the " + kind.one + "s on the server",
		Example: "  demarc " + kind.cmd + " list\n  demarc " + kind.cmd + " list --format json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := a.format(format, listFormats)
			if err != nil {
				return err
			}
			c, err := a.needRemote(cmd)
			if err != nil {
				return err
			}
			docs, err := c.documents(cmd.Context(), kind)
			if err != nil {
				return err
			}
			if docs == nil {
				docs = []demarc.Document{}
			}
			l := &render.Listing{Kind: kind.path, Header: []string{"name", "id", "version", "updated", "size"}}
			for _, d := range docs {
				l.Rows = append(l.Rows, []string{d.Name, string(d.ID), strconv.Itoa(d.Version), stamp(d.Updated), strconv.Itoa(d.Size)})
			}
			return a.writeListing(docs, l, f)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "F", "table", formatFlagHelp(listFormats))
	return cmd
}

// writeListing writes records as JSON or YAML, and as a table otherwise.
func (a *app) writeListing(records any, l *render.Listing, f render.Format) error {
	switch f {
	case render.JSON:
		return render.WriteJSON(a.stdout, records)
	case render.YAML:
		return render.WriteYAML(a.stdout, records)
	}
	return render.List(a.stdout, l, f, a.options())
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (a *app) versionsDocCommand(kind docKind) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:     "versions NAME",
		Short:   "List every version of a " + kind.one + " on the server: when, by whom, why",
		Example: "  demarc " + kind.cmd + " versions NAME",
		Args:    exactArgs(1, "the "+kind.one+"'s name or id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := a.format(format, listFormats)
			if err != nil {
				return err
			}
			c, err := a.needRemote(cmd)
			if err != nil {
				return err
			}
			revs, err := c.versions(cmd.Context(), kind, args[0])
			if err != nil {
				return err
			}
			l := &render.Listing{Kind: "versions", Header: []string{"version", "created", "author", "size", "note"}}
			for _, r := range revs {
				l.Rows = append(l.Rows, []string{strconv.Itoa(r.Version), stamp(r.Created), string(r.Author), strconv.Itoa(r.Size), r.Note})
			}
			return a.writeListing(revs, l, f)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "F", "table", formatFlagHelp(listFormats))
	return cmd
}

// versions lists every version of a document, newest as the server
// orders them.
func (c *client) versions(ctx context.Context, kind docKind, ref string) ([]demarc.Revision, error) {
	d, err := c.find(ctx, kind, ref)
	if err != nil {
		return nil, err
	}
	path, err := c.docPath(ctx, kind, d.ID, "/versions")
	if err != nil {
		return nil, err
	}
	revs := []demarc.Revision{}
	q := map[string][]string{"limit": {pageLimit}}
	for {
		var page server.List[demarc.Revision]
		if err := c.getJSON(ctx, path, q, &page); err != nil {
			return nil, err
		}
		revs = append(revs, page.Items...)
		if page.Next == "" {
			return revs, nil
		}
		q["cursor"] = []string{page.Next}
	}
}

func (a *app) pullDocCommand(kind docKind) *cobra.Command {
	var version int
	cmd := &cobra.Command{
		Use:   "pull NAME [--version N] [-o FILE]",
		Short: "Read a " + kind.one + " from the server, byte for byte as it was pushed",
		Example: "  demarc " + kind.cmd + " pull NAME -o FILE.yaml\n" +
			"  demarc " + kind.cmd + " pull NAME --version 2",
		Args: exactArgs(1, "the "+kind.one+"'s name or id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if version < 0 {
				return usageError{fmt.Errorf("--version %d: expected a version number, 1 or more", version)}
			}
			c, err := a.needRemote(cmd)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			d, err := c.find(ctx, kind, args[0])
			if err != nil {
				return err
			}
			rv, err := c.content(ctx, kind, d, version)
			if err != nil {
				return err
			}
			if err := a.write([]byte(rv.Content)); err != nil {
				return err
			}
			if a.outputPath != "" {
				fmt.Fprintf(a.stderr, "wrote %s: %s %s, version %d of %d\n", a.outputPath, kind.one, d.Name, rv.Version, d.Version)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&version, "version", 0, "the `VERSION` to read (default: the current one)")
	return cmd
}

// pushFlags are push's options.
type pushFlags struct {
	name, note string
	base       int
}

func (a *app) pushDocCommand(kind docKind) *cobra.Command {
	var pf pushFlags
	long := `Store FILE on the server: a new ` + kind.one + `, or a new version of the one with
the same name. Nothing is stored when the content is unchanged. The new
version is based on the server's current one, or on --base N (the version
you pulled before editing): if the server has moved on, the push is refused
with exit code 2 and nothing is overwritten.`
	cmd := &cobra.Command{
		Use:   "push FILE [--name NAME] [--note TEXT] [--base N]",
		Short: "Store a " + kind.one + " file on the server as a new version",
		Long:  long,
		Example: "  demarc " + kind.cmd + " push FILE.yaml --note \"move the API to Lambda\"\n" +
			"  demarc " + kind.cmd + " push FILE.yaml --name NAME --base 3",
		Args: exactArgs(1, "one file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if pf.base < 0 {
				return usageError{fmt.Errorf("--base %d: expected a version number, 1 or more", pf.base)}
			}
			c, err := a.needRemote(cmd)
			if err != nil {
				return err
			}
			return a.push(cmd.Context(), c, kind, args[0], pf)
		},
	}
	cmd.Flags().StringVar(&pf.name, "name", "", "the `NAME` on the server (default: the system's name:, or a register's path)")
	cmd.Flags().StringVar(&pf.note, "note", "", "`TEXT` saying why this version was made, kept with it")
	cmd.Flags().IntVar(&pf.base, "base", 0, "refuse unless the server's current version is `N`")
	return cmd
}

// push stores a file as a document of kind: created, or a new version.
func (a *app) push(ctx context.Context, c *client, kind docKind, path string, pf pushFlags) error {
	data, err := readDocument(path)
	if err != nil {
		return err
	}
	name, sys, err := documentName(kind, path, data, pf.name)
	if err != nil {
		return err
	}
	if sys != nil {
		if err := a.pushRegisters(ctx, c, path, sys, name); err != nil {
			return err
		}
	}
	msg, err := a.store(ctx, c, kind, path, name, data, pf)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, msg)
	return nil
}

// readDocument reads a file to push, within the server's size limit.
func readDocument(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &demarc.Error{Code: demarc.ENotFound, Message: "read " + path, Err: errors.Unwrap(err)}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, demarc.MaxDocumentSize+1))
	switch {
	case err != nil:
		return nil, &demarc.Error{Code: demarc.EInvalid, Message: "read " + path, Err: err}
	case len(data) > demarc.MaxDocumentSize:
		return nil, demarc.Errorf(demarc.EInvalid, "%s is larger than %d MB, the most a server stores", path, demarc.MaxDocumentSize>>20)
	case len(data) == 0:
		return nil, demarc.Errorf(demarc.EInvalid, "%s is empty", path)
	}
	return data, nil
}

// documentName parses the file as a document of kind, so that its
// mistakes are reported against the local file, and names it: name if
// given, else a system's name: (or the file's base name), else a
// register's path.
func documentName(kind docKind, path string, data []byte, name string) (string, *demarc.System, error) {
	if kind == registerDocs {
		if _, err := systemfile.ParseRegister(path, data); err != nil {
			return "", nil, err
		}
		if name == "" {
			name = registerName(path)
		}
		return name, nil, nil
	}
	sys, err := systemfile.Parse(path, data)
	if err != nil {
		return "", nil, err
	}
	if name == "" {
		name = sys.Name
	}
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	return name, sys, nil
}

// registerName is a register's default name: its path as given, which is
// what a system file beside it writes in attestation_files.
func registerName(path string) string {
	if filepath.IsAbs(path) {
		return filepath.Base(path)
	}
	return filepath.ToSlash(filepath.Clean(path))
}

// pushRegisters creates on the server the attestation registers a system
// names that it lacks. A register the server has with other content is
// left alone, with a warning: someone may have updated it there.
func (a *app) pushRegisters(ctx context.Context, c *client, systemPath string, sys *demarc.System, system string) error {
	for _, name := range sys.AttestationFiles {
		local := name
		if !filepath.IsAbs(local) {
			local = filepath.Join(filepath.Dir(systemPath), name)
		}
		d, err := c.lookup(ctx, registerDocs, name)
		if err != nil {
			return err
		}
		data, err := readDocument(local)
		switch {
		case err != nil && d == nil:
			return fmt.Errorf("attestation register %s, named in %s: %w", name, systemPath, err)
		case err != nil:
			continue // only the server has it: the system will use that one
		case d == nil:
			msg, err := a.store(ctx, c, registerDocs, local, name, data, pushFlags{note: "pushed with system " + system})
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, msg)
		case d.Hash != demarc.HashContent(data):
			fmt.Fprintf(a.stderr, "warning: attestation register %q on the server differs from %s and was left as it is; push yours with: demarc attestations push %s --name %s\n", name, local, local, name)
		}
	}
	return nil
}

// store creates the document or stores a new version of it, and says
// what it did.
func (a *app) store(ctx context.Context, c *client, kind docKind, path, name string, data []byte, pf pushFlags) (string, error) {
	d, err := c.lookup(ctx, kind, name)
	if err != nil {
		return "", err
	}
	body := server.DocumentRequest{Name: name, Content: string(data), Note: pf.note}
	if d == nil {
		if pf.base != 0 {
			return "", &remoteError{exit: exitInvalid, status: http.StatusNotFound, msg: fmt.Sprintf("--base %d: there is no %s named %q on %s to be based on", pf.base, kind.one, name, c)}
		}
		var v server.DocumentView
		if err := c.sendDocument(ctx, kind, request{method: http.MethodPost, path: "", body: body}, path, name, &v); err != nil {
			return "", err
		}
		return fmt.Sprintf("created %s %s (%s), version %d", kind.one, v.Name, v.ID, v.Version), nil
	}
	etag, current, err := c.current(ctx, kind, d)
	if err != nil {
		return "", err
	}
	if current.Hash == demarc.HashContent(data) && (pf.base == 0 || pf.base == current.Version) {
		return fmt.Sprintf("%s %s (%s) is unchanged at version %d", kind.one, current.Name, current.ID, current.Version), nil
	}
	if pf.base != 0 {
		etag = `"v` + strconv.Itoa(pf.base) + `"`
	}
	var v server.DocumentView
	err = c.sendDocument(ctx, kind, request{method: http.MethodPut, path: "/" + string(d.ID), body: body, ifMatch: etag}, path, name, &v)
	var re *remoteError
	if errors.As(err, &re) && re.status == http.StatusPreconditionFailed {
		return "", a.stale(ctx, c, kind, d, path, pf.base, current.Version)
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("pushed %s %s (%s): version %d", kind.one, v.Name, v.ID, v.Version), nil
}

// current reads a document's metadata and its ETag, the version an
// update must name in If-Match.
func (c *client) current(ctx context.Context, kind docKind, d *demarc.Document) (string, *server.DocumentView, error) {
	path, err := c.docPath(ctx, kind, d.ID, "")
	if err != nil {
		return "", nil, err
	}
	res, err := c.do(ctx, request{method: http.MethodGet, path: path})
	if err != nil {
		return "", nil, err
	}
	var v server.DocumentView
	if err := c.decode(res.body, &v); err != nil {
		return "", nil, err
	}
	etag := res.header.Get("ETag")
	if etag == "" {
		return "", nil, &remoteError{exit: exitInternal, msg: fmt.Sprintf("the server at %s sent no ETag for %s %s, so it cannot be updated safely", c, kind.one, d.Name)}
	}
	return etag, &v, nil
}

// sendDocument writes a document (POST to the collection, PUT to r.path) and
// decodes the answer. Problems the server finds are reported against the
// local file.
func (c *client) sendDocument(ctx context.Context, kind docKind, r request, file, name string, v any) error {
	path, err := c.orgPath(ctx, "/"+kind.path+r.path)
	if err != nil {
		return err
	}
	r.path = path
	res, err := c.do(ctx, r)
	var re *remoteError
	if errors.As(err, &re) && len(re.problems) > 0 {
		ps := make(demarc.Problems, len(re.problems))
		for i, p := range re.problems {
			if p.Pos.File == name || p.Pos.File == "" {
				p.Pos.File = file
			}
			ps[i] = p
		}
		re.msg = fmt.Sprintf("the server refused %s:\n%s", file, ps.Error())
		return re
	}
	if err != nil {
		return err
	}
	return c.decode(res.body, v)
}

// stale explains a push refused because the server's version moved on.
// Nothing was written: the local file and every version on the server
// are as they were.
func (a *app) stale(ctx context.Context, c *client, kind docKind, d *demarc.Document, path string, base, seen int) error {
	if base == 0 {
		base = seen
	}
	now := "a newer version"
	if fresh, err := c.lookup(ctx, kind, string(d.ID)); err == nil && fresh != nil {
		now = fmt.Sprintf("version %d", fresh.Version)
	}
	return &remoteError{exit: exitInvalid, status: http.StatusPreconditionFailed, code: server.EPreconditionFailed,
		msg: fmt.Sprintf("%s %s changed on the server: your push was based on version %d, and it now has %s. Nothing was overwritten and %s was not pushed; "+
			"pull the server's version (demarc %s pull %s -o FILE), merge your changes into it, and push again", kind.one, d.Name, base, now, path, kind.cmd, d.Name)}
}
