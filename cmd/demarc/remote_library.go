package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/render"
	"github.com/demarc-io/demarc/server"
)

// 'demarc library' and 'demarc compare' against a server read the
// organisation's library: the built-in one with the provider statements
// the organisation keeps (imports among them) or subscribes to.

// libraryOnServer refuses --library files against a server, whose library
// is the organisation's.
func (a *app) libraryOnServer() error {
	if len(a.libraryFiles) > 0 {
		return notOnServer("--library", "the server reads the organisation's library: the built-in one and the provider statements it keeps or subscribes to")
	}
	return nil
}

// remoteLibraryList lists the organisation's library entries of kind. The
// columns are the local listing's, less what the server does not list,
// with the source of each provider and service: built-in, or the
// organisation's statement it comes from.
func (a *app) remoteLibraryList(ctx context.Context, c *client, kind, provider, model string, f render.Format) error {
	if err := a.libraryOnServer(); err != nil {
		return err
	}
	if !slices.Contains(listKinds, kind) {
		return usageError{fmt.Errorf("cannot list %q; expected one of %s", kind, strings.Join(listKinds, ", "))}
	}
	path, err := c.orgPath(ctx, "/library/"+kind)
	if err != nil {
		return err
	}
	var page server.List[server.LibraryItem]
	if err := c.getJSON(ctx, path, values("provider", provider, "model", model), &page); err != nil {
		return err
	}
	return render.List(a.stdout, remoteListing(kind, page.Items), f, a.options())
}

// remoteListing lays out the server's entries of kind.
func remoteListing(kind string, items []server.LibraryItem) *render.Listing {
	l := &render.Listing{Kind: kind}
	switch kind {
	case "providers":
		l.Header = []string{"id", "title", "kind", "services", "source"}
	case "services":
		l.Header = []string{"id", "title", "model", "category", "source"}
	case "frameworks":
		l.Header = []string{"id", "title", "version", "controls"}
	case "areas":
		l.Header = []string{"id", "layer", "title"}
	default:
		l.Header = []string{"id", "title"}
	}
	for _, it := range items {
		var row []string
		switch kind {
		case "providers":
			row = []string{it.ID, it.Title, it.Kind, strconv.Itoa(it.Count), itemSource(it)}
		case "services":
			row = []string{it.ID, it.Title, it.Model, it.Category, itemSource(it)}
		case "frameworks":
			row = []string{it.ID, it.Title, it.Version, strconv.Itoa(it.Count)}
		case "areas":
			row = []string{it.ID, it.Layer, it.Title}
		default:
			row = []string{it.ID, it.Title}
		}
		l.Rows = append(l.Rows, row)
	}
	return l
}

// itemSource names where a provider or service comes from: the
// organisation's document or subscription, else the built-in library.
func itemSource(it server.LibraryItem) string {
	if it.Source == nil || it.Source.Name == "" {
		return "built-in"
	}
	return it.Source.Name
}

// remoteLibraryShow prints one entry of the organisation's library, as
// the local command prints an entry of its own; where an organisation's
// statement supplies it is said on standard error.
func (a *app) remoteLibraryShow(ctx context.Context, c *client, id string, f render.Format) error {
	if err := a.libraryOnServer(); err != nil {
		return err
	}
	segments := strings.Split(id, "/")
	for i, s := range segments {
		segments[i] = url.PathEscape(s)
	}
	path, err := c.orgPath(ctx, "/library/entries/"+strings.Join(segments, "/"))
	if err != nil {
		return err
	}
	var e struct {
		Provider, Service, Framework, Area, Model json.RawMessage
		Source                                    *struct{ Name string }
	}
	if err := c.getJSON(ctx, path, nil, &e); err != nil {
		return err
	}
	var v json.RawMessage
	for _, x := range []json.RawMessage{e.Service, e.Provider, e.Framework, e.Area, e.Model} {
		if len(x) > 0 && string(x) != "null" {
			v = x
			break
		}
	}
	if v == nil {
		return &remoteError{exit: exitInternal, msg: fmt.Sprintf("the server at %s answered with an empty library entry for %q", c, id)}
	}
	if e.Source != nil && e.Source.Name != "" {
		fmt.Fprintf(a.stderr, "from the organisation's provider statement %s\n", e.Source.Name)
	}
	if f == render.JSON {
		return render.WriteJSON(a.stdout, v)
	}
	return render.WriteYAML(a.stdout, v)
}

// compareFlags are compare's options.
type compareFlags struct {
	model, providers, services string
	differOnly                 bool
}

// remoteCompare compares services or providers' statements in the
// organisation's library, and prints them as the local command does.
func (a *app) remoteCompare(ctx context.Context, c *client, cf compareFlags, f render.Format) error {
	if err := a.libraryOnServer(); err != nil {
		return err
	}
	q := values("services", cf.services)
	if cf.model != "" {
		q = values("model", cf.model, "providers", cf.providers)
	}
	path, err := c.orgPath(ctx, "/compare")
	if err != nil {
		return err
	}
	q.Set("format", "json")
	var cmp analyze.Comparison
	if err := c.getJSON(ctx, path, q, &cmp); err != nil {
		return err
	}
	return render.Report(a.stdout, &cmp, render.ComparisonTable(&cmp, cf.differOnly), f, a.options())
}
