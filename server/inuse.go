package server

import (
	"context"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
)

// A system names its attestation registers by document name and the
// services of the organisation's provider statements by id, so deleting
// a register or statement a live system relies on (or renaming the
// register) would leave that system unable to load. The API refuses until
// the systems rely on something else.

// systemsNaming lists the live systems of org whose attestation_files
// name the register called name.
func (s *Server) systemsNaming(ctx context.Context, org demarc.OrgID, name string) ([]string, error) {
	return s.systemsWhere(ctx, org, func(content []byte) bool { return slices.Contains(attestationFiles(content), name) })
}

// systemsWhere lists the names of the live systems of org whose current
// content passes uses.
func (s *Server) systemsWhere(ctx context.Context, org demarc.OrgID, uses func(content []byte) bool) ([]string, error) {
	var users []string
	page := demarc.Page{Limit: demarc.MaxPageSize}
	for {
		docs, next, err := s.store.Documents(ctx, org, demarc.DocumentFilter{Kind: demarc.DocSystem, Page: page})
		if err != nil {
			return nil, err
		}
		for _, d := range docs {
			rev, err := s.store.Revision(ctx, org, d.ID, 0)
			if err != nil {
				return nil, err
			}
			if uses(rev.Content) {
				users = append(users, d.Name)
			}
		}
		if next == "" {
			return users, nil
		}
		page.After = next
	}
}

// attestationFiles reads a system file's attestation_files; a file that
// does not parse names none.
func attestationFiles(content []byte) []string {
	var top struct {
		Files []string `yaml:"attestation_files"`
	}
	if yaml.Unmarshal(content, &top) != nil {
		return nil
	}
	return top.Files
}

// checkRegisterUnused refuses to delete or rename register d while live
// systems name it.
func (s *Server) checkRegisterUnused(ctx context.Context, org demarc.OrgID, d *demarc.Document, what string) error {
	users, err := s.systemsNaming(ctx, org, d.Name)
	if err != nil || len(users) == 0 {
		return err
	}
	return demarc.Errorf(demarc.EConflict, "cannot %s attestation register %q: systems %s name it in attestation_files; change them first",
		what, d.Name, strings.Join(users, ", "))
}

// servicesOf reads the provider and service ids a provider statement
// defines; a statement that does not parse defines none.
func servicesOf(content []byte) (providers, services []string) {
	var top struct {
		Providers []struct {
			ID       string `yaml:"id"`
			Services []struct {
				ID string `yaml:"id"`
			} `yaml:"services"`
		} `yaml:"providers"`
	}
	if yaml.Unmarshal(content, &top) != nil {
		return nil, nil
	}
	for _, p := range top.Providers {
		providers = append(providers, p.ID)
		for _, s := range p.Services {
			services = append(services, s.ID)
		}
	}
	return providers, services
}

// componentRefs reads the services and providers a system file's
// components name.
func componentRefs(content []byte) []string {
	var top struct {
		Components []struct {
			Service  string `yaml:"service"`
			Provider string `yaml:"provider"`
		} `yaml:"components"`
	}
	if yaml.Unmarshal(content, &top) != nil {
		return nil
	}
	var refs []string
	for _, c := range top.Components {
		refs = append(refs, c.Service, c.Provider)
	}
	return refs
}

// systemsUsing lists the live systems of org whose components name a
// service or provider of the statement.
func (s *Server) systemsUsing(ctx context.Context, org demarc.OrgID, statement []byte) ([]string, error) {
	providers, services := servicesOf(statement)
	defined := append(providers, services...)
	if len(defined) == 0 {
		return nil, nil
	}
	return s.systemsWhere(ctx, org, func(content []byte) bool {
		return slices.ContainsFunc(componentRefs(content), func(r string) bool { return r != "" && slices.Contains(defined, r) })
	})
}

// checkStatementUnused refuses to delete provider statement d while live
// systems use what it defines.
func (s *Server) checkStatementUnused(ctx context.Context, org demarc.OrgID, d *demarc.Document) error {
	rev, err := s.store.Revision(ctx, org, d.ID, 0)
	if err != nil {
		return err
	}
	users, err := s.systemsUsing(ctx, org, rev.Content)
	if err != nil || len(users) == 0 {
		return err
	}
	return demarc.Errorf(demarc.EConflict, "cannot delete provider statement %q: systems %s use its services; change them first",
		d.Name, strings.Join(users, ", "))
}

// checkUnused refuses to delete a document live systems rely on.
func (s *Server) checkUnused(ctx context.Context, org demarc.OrgID, kind demarc.DocKind, d *demarc.Document) error {
	switch kind {
	case demarc.DocAttestations:
		return s.checkRegisterUnused(ctx, org, d, "delete")
	case demarc.DocProvider:
		return s.checkStatementUnused(ctx, org, d)
	}
	return nil
}
