package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/render"
)

func (a *app) libraryCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "library",
		Short: "Browse the library (on a server, the organisation's): providers, services, frameworks, areas, models",
		Long: `Browse the library: the built-in one, plus any --library files. Against a
server (--server, $DEMARC_SERVER or 'demarc login') it is the organisation's
library: the built-in one with the provider statements the organisation
imported, keeps or subscribes to; listings of providers and services then
say where each comes from.`,
		Example: `  demarc library list services --provider aws
  demarc library list frameworks
  demarc library show aws/rds
  demarc library show os.patching`,
	}
	cmd.AddCommand(a.libraryListCommand(), a.libraryShowCommand())
	return cmd
}

var listKinds = []string{"providers", "services", "frameworks", "areas", "models"}

func (a *app) libraryListCommand() *cobra.Command {
	var format, provider, model string
	cmd := &cobra.Command{
		Use:       "list providers|services|frameworks|areas|models",
		Short:     "List the library's entries of one kind",
		Example:   "  demarc library list services --model faas\n  demarc library list areas --format csv",
		Args:      exactArgs(1, "one of "+strings.Join(listKinds, ", ")),
		ValidArgs: listKinds,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := a.format(format, render.Formats)
			if err != nil {
				return err
			}
			rc, err := a.remote()
			if err != nil {
				return err
			}
			if rc != nil {
				return a.remoteLibraryList(cmd.Context(), rc, args[0], provider, model, f)
			}
			lib, err := a.library()
			if err != nil {
				return err
			}
			l, err := listing(lib, args[0], provider, model)
			if err != nil {
				return err
			}
			return render.List(a.stdout, l, f, a.options())
		},
	}
	cmd.Flags().StringVarP(&format, "format", "F", "table", formatFlagHelp(render.Formats))
	cmd.Flags().StringVar(&provider, "provider", "", "services only: show this `PROVIDER`'s services")
	cmd.Flags().StringVar(&model, "model", "", "services only: show services of this `MODEL`")
	return cmd
}

func listing(lib *library.Library, kind, provider, model string) (*render.Listing, error) {
	switch kind {
	case "providers":
		l := &render.Listing{Kind: kind, Header: []string{"id", "title", "kind", "services"}}
		for _, p := range lib.Providers() {
			l.Rows = append(l.Rows, []string{string(p.ID), p.Title, p.Kind, fmt.Sprint(len(p.Services))})
		}
		return l, nil
	case "services":
		l := &render.Listing{Kind: kind, Header: []string{"id", "title", "model", "category", "overrides"}}
		for _, s := range lib.Services() {
			if (provider != "" && string(s.Provider) != provider) || (model != "" && string(s.Model) != model) {
				continue
			}
			l.Rows = append(l.Rows, []string{string(s.ID), s.Title, string(s.Model), s.Category, fmt.Sprint(len(s.Overrides))})
		}
		return l, nil
	case "frameworks":
		l := &render.Listing{Kind: kind, Header: []string{"id", "title", "version", "controls"}}
		for _, f := range lib.Frameworks() {
			l.Rows = append(l.Rows, []string{string(f.ID), f.Title, f.Version, fmt.Sprint(activeControls(f))})
		}
		return l, nil
	case "areas":
		l := &render.Listing{Kind: kind, Header: []string{"id", "layer", "title", "description"}}
		for _, ar := range lib.Areas() {
			l.Rows = append(l.Rows, []string{string(ar.ID), string(ar.Layer), ar.Title, ar.Description})
		}
		return l, nil
	case "models":
		l := &render.Listing{Kind: kind, Header: []string{"id", "title", "boundary", "provider", "shared", "customer"}}
		for _, m := range lib.Models() {
			n := ownerCounts(m.Defaults)
			l.Rows = append(l.Rows, []string{string(m.ID), m.Title, string(m.Boundary), fmt.Sprint(n[demarc.OwnerProvider]), fmt.Sprint(n[demarc.OwnerShared]), fmt.Sprint(n[demarc.OwnerCustomer])})
		}
		return l, nil
	}
	return nil, usageError{fmt.Errorf("cannot list %q; expected one of %s", kind, strings.Join(listKinds, ", "))}
}

func activeControls(f *demarc.Framework) int {
	n := 0
	for _, c := range f.Controls {
		if !c.Withdrawn {
			n++
		}
	}
	return n
}

func ownerCounts(rules []demarc.Rule) map[demarc.Owner]int {
	n := map[demarc.Owner]int{}
	for _, r := range rules {
		n[r.Owner]++
	}
	return n
}

func (a *app) libraryShowCommand() *cobra.Command {
	var format string
	formats := []render.Format{render.YAML, render.JSON}
	cmd := &cobra.Command{
		Use:     "show ID",
		Short:   "Show one provider, service, framework, area or model in full",
		Example: "  demarc library show aws/lambda\n  demarc library show nist-800-53-r5 --format json",
		Args:    exactArgs(1, "one library id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := a.format(format, formats)
			if err != nil {
				return err
			}
			rc, err := a.remote()
			if err != nil {
				return err
			}
			if rc != nil {
				return a.remoteLibraryShow(cmd.Context(), rc, args[0], f)
			}
			lib, err := a.library()
			if err != nil {
				return err
			}
			v, err := find(lib, args[0])
			if err != nil {
				return err
			}
			if f == render.JSON {
				return render.WriteJSON(a.stdout, v)
			}
			return render.WriteYAML(a.stdout, v)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "F", "yaml", formatFlagHelp(formats))
	return cmd
}

// find looks id up among every kind of library entry.
func find(lib *library.Library, id string) (any, error) {
	if s := lib.Service(demarc.ServiceID(id)); s != nil {
		return s, nil
	}
	if p := lib.Provider(demarc.ProviderID(id)); p != nil {
		return p, nil
	}
	if f := lib.Framework(demarc.FrameworkID(id)); f != nil {
		return f, nil
	}
	if ar := lib.Area(demarc.AreaID(id)); ar != nil {
		return ar, nil
	}
	if m := lib.Model(demarc.Model(id)); m != nil {
		return m, nil
	}
	return nil, demarc.Errorf(demarc.ENotFound, "no provider, service, framework, area or model is called %q%s", id, library.Suggest(id, allIDs(lib)))
}

func allIDs(lib *library.Library) []string {
	var ids []string
	for _, s := range lib.Services() {
		ids = append(ids, string(s.ID))
	}
	for _, p := range lib.Providers() {
		ids = append(ids, string(p.ID))
	}
	for _, f := range lib.Frameworks() {
		ids = append(ids, string(f.ID))
	}
	for _, ar := range lib.Areas() {
		ids = append(ids, string(ar.ID))
	}
	for _, m := range lib.Models() {
		ids = append(ids, string(m.ID))
	}
	sort.Strings(ids)
	return ids
}
