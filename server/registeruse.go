package server

import (
	"context"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
)

// A system names its attestation registers by document name, so deleting
// or renaming a register that a live system names would leave that system
// unable to load. The API refuses both until the systems name another.

// systemsNaming lists the live systems of org whose attestation_files
// name the register called name.
func (s *Server) systemsNaming(ctx context.Context, org demarc.OrgID, name string) ([]string, error) {
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
			if slices.Contains(attestationFiles(rev.Content), name) {
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
