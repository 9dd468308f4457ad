package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// serverAnnotation marks a command whose --system may name a system on a
// server: the command asks the server when one is configured.
const serverAnnotation = "demarc/server"

// worksOnServer is the annotation of such a command.
func worksOnServer() map[string]string { return map[string]string{serverAnnotation: "yes"} }

// systemFlagHelp is the help of --system on the commands that work
// against a server too.
const systemFlagHelp = "system `FILE` (YAML); against a server, the system's name or id there"

// pageLimit is the page size of listings: the server's largest.
const pageLimit = "500"

// serverFlags registers the global flags that point commands at a server.
func (a *app) serverFlags(fs *pflag.FlagSet) {
	fs.StringVar(&a.serverURL, "server", "", "demarc server `URL` to work against (default $DEMARC_SERVER, else the config file); '' works on local files")
	fs.StringVar(&a.token, "token", "", "API `TOKEN` for the server (prefer demarc login or $DEMARC_TOKEN: command lines are visible to other users)")
	fs.StringVar(&a.org, "org", "", "organisation `SLUG` or id on the server (default $DEMARC_ORG, the config file, else the token's own)")
	fs.BoolVar(&a.insecure, "insecure", false, "allow plain http to a server that is not on this machine")
	a.globals = fs
}

// refuseLocalOnly stops a command that reads --system as a local file
// when a server is configured: the user means a system on the server,
// and silently reading a local file of that name would answer another
// question.
func (a *app) refuseLocalOnly(cmd *cobra.Command) error {
	if cmd.Flags().Lookup("system") == nil || cmd.Annotations[serverAnnotation] != "" {
		return nil
	}
	conn, err := a.connection()
	if err != nil || conn.server == "" {
		return err
	}
	return usageError{fmt.Errorf("demarc %s has no server equivalent: it reads --system as a local file; run it on local files with --server ''", cmd.Name())}
}

// notOnServer is the error for a flag or form a command cannot offer
// against a server.
func notOnServer(what, instead string) error {
	return usageError{fmt.Errorf("%s is not available against a server: %s; run on local files with --server ''", what, instead)}
}

// docKind is a kind of versioned document on the server.
type docKind struct {
	path string // collection in the API path
	one  string // singular, for messages
	cmd  string // the CLI command that manages it
}

var (
	systemDocs   = docKind{path: "systems", one: "system", cmd: "systems"}
	registerDocs = docKind{path: "attestations", one: "attestation register", cmd: "attestations"}
)

// documents lists the organisation's live documents of kind, every page.
func (c *client) documents(ctx context.Context, kind docKind) ([]demarc.Document, error) {
	path, err := c.orgPath(ctx, "/"+kind.path)
	if err != nil {
		return nil, err
	}
	var all []demarc.Document
	q := url.Values{"limit": {pageLimit}}
	for {
		var page server.List[demarc.Document]
		if err := c.getJSON(ctx, path, q, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		if page.Next == "" {
			return all, nil
		}
		q.Set("cursor", page.Next)
	}
}

// lookup finds the live document of kind that ref names, by id or by
// name; nil when there is none.
func (c *client) lookup(ctx context.Context, kind docKind, ref string) (*demarc.Document, error) {
	if strings.HasPrefix(ref, "doc_") {
		path, err := c.orgPath(ctx, "/"+kind.path+"/"+url.PathEscape(ref))
		if err != nil {
			return nil, err
		}
		var v server.DocumentView
		err = c.getJSON(ctx, path, nil, &v)
		var re *remoteError
		switch {
		case err == nil:
			return &v.Document, nil
		case !errors.As(err, &re) || re.status != http.StatusNotFound:
			return nil, err
		}
	}
	docs, err := c.documents(ctx, kind)
	if err != nil {
		return nil, err
	}
	for i := range docs {
		if docs[i].Name == ref {
			return &docs[i], nil
		}
	}
	return nil, nil
}

// find is lookup that reports a missing document as an error saying how
// to see what there is.
func (c *client) find(ctx context.Context, kind docKind, ref string) (*demarc.Document, error) {
	if ref == "" {
		return nil, usageError{fmt.Errorf("name the %s: its name or id on the server", kind.one)}
	}
	d, err := c.lookup(ctx, kind, ref)
	if err != nil || d != nil {
		return d, err
	}
	hint := ""
	if _, err := os.Stat(ref); err == nil {
		hint = fmt.Sprintf(" (%s is a local file: push it with 'demarc %s push %s', or add --server '' to read local files)", ref, kind.cmd, ref)
	}
	return nil, &remoteError{exit: exitInvalid, status: http.StatusNotFound,
		msg: fmt.Sprintf("no %s named %q in organisation %s on %s; see 'demarc %s list'%s", kind.one, ref, c.org, c, kind.cmd, hint)}
}

// docPath is the API path of a document, plus rest.
func (c *client) docPath(ctx context.Context, kind docKind, id demarc.DocumentID, rest string) (string, error) {
	return c.orgPath(ctx, "/"+kind.path+"/"+url.PathEscape(string(id))+rest)
}

// content reads a document's content at version (0: the current one).
func (c *client) content(ctx context.Context, kind docKind, d *demarc.Document, version int) (*server.RevisionView, error) {
	if version == 0 {
		version = d.Version
	}
	path, err := c.docPath(ctx, kind, d.ID, fmt.Sprintf("/versions/%d", version))
	if err != nil {
		return nil, err
	}
	var rv server.RevisionView
	if err := c.getJSON(ctx, path, nil, &rv); err != nil {
		return nil, err
	}
	return &rv, nil
}
