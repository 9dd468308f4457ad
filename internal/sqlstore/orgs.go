package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/demarc-io/demarc"
)

const orgColumns = `id, slug, name, version, created_at, updated_at`

func scanOrg(r Row) (*demarc.Org, error) {
	var o demarc.Org
	var created, updated int64
	if err := r.Scan(&o.ID, &o.Slug, &o.Name, &o.Version, &created, &updated); err != nil {
		return nil, err
	}
	o.Created, o.Updated = fromMicros(created), fromMicros(updated)
	return &o, nil
}

func orgHash(o *demarc.Org) demarc.ContentHash { return recordHash(o.Slug, o.Name) }

// CreateOrg implements demarc.OrgStore. The actor may be a member of
// another organisation, or demarc itself.
func (s *Store) CreateOrg(ctx context.Context, by demarc.Actor, in demarc.OrgInput, owner demarc.MemberInput) (*demarc.Org, *demarc.Member, error) {
	if owner.Role == "" {
		owner.Role = demarc.RoleOwner
	}
	if err := in.Validate(); err != nil {
		return nil, nil, s.fail("create organisation", err)
	}
	if err := owner.Validate(); err != nil {
		return nil, nil, s.fail("create organisation", err)
	}
	if owner.Role != demarc.RoleOwner {
		return nil, nil, s.fail("create organisation", invalid("role: the first member of an organisation must be an owner, not %s", owner.Role))
	}
	var org *demarc.Org
	var member *demarc.Member
	err := s.write(ctx, "create organisation", by, func(w *writer) error {
		taken, err := w.exists(`SELECT count(*) FROM orgs WHERE slug = $1`, in.Slug)
		if err != nil {
			return err
		}
		if taken {
			return conflict("organisation slug %q is taken", in.Slug)
		}
		org = &demarc.Org{ID: demarc.OrgID(demarc.NewID("org")), Slug: in.Slug, Name: in.Name, Version: 1, Created: w.now, Updated: w.now}
		_, err = w.Exec(ctx, `INSERT INTO orgs (`+orgColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			org.ID, org.Slug, org.Name, org.Version, micros(org.Created), micros(org.Updated))
		if w.s.is(err, ClassUnique) { // created by another replica since the check
			return conflict("organisation slug %q is taken", in.Slug)
		}
		if err != nil {
			return err
		}
		if _, err := w.Exec(ctx, `INSERT INTO audit_heads (org_id, seq, hash) VALUES ($1, 0, '')`, org.ID); err != nil {
			return err
		}
		if err := w.event(org.ID, demarc.ActionOrgCreate, object("org", org.ID), "", orgHash(org), org.Slug); err != nil {
			return err
		}
		member, err = w.addMember(org.ID, owner)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return org, member, nil
}

// Org implements demarc.OrgStore.
func (s *Store) Org(ctx context.Context, id demarc.OrgID) (*demarc.Org, error) {
	return s.orgWhere(ctx, "get organisation", `id = $1`, id)
}

// OrgBySlug implements demarc.OrgStore.
func (s *Store) OrgBySlug(ctx context.Context, slug string) (*demarc.Org, error) {
	return s.orgWhere(ctx, "get organisation", `slug = $1`, slug)
}

func (s *Store) orgWhere(ctx context.Context, op, where string, arg any) (*demarc.Org, error) {
	var org *demarc.Org
	err := s.readOne(ctx, op, func(tx Tx) error {
		var err error
		org, err = scanOrg(tx.QueryRow(ctx, `SELECT `+orgColumns+` FROM orgs WHERE `+where, arg))
		if s.is(err, ClassNoRows) {
			return notFound("organisation %s not found", arg)
		}
		return err
	})
	return org, err
}

// Orgs implements demarc.OrgStore.
func (s *Store) Orgs(ctx context.Context, p demarc.Page) ([]demarc.Org, string, error) {
	after, err := cursor(p.After)
	if err != nil {
		return nil, "", s.fail("list organisations", err)
	}
	var orgs []demarc.Org
	err = s.readOne(ctx, "list organisations", func(tx Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+orgColumns+` FROM orgs WHERE id > $1 ORDER BY id LIMIT $2`, after, p.Size()+1)
		if err != nil {
			return err
		}
		orgs, err = collect(rows, func(r Row) (demarc.Org, error) {
			o, err := scanOrg(r)
			if err != nil {
				return demarc.Org{}, err
			}
			return *o, nil
		})
		return err
	})
	if err != nil {
		return nil, "", err
	}
	orgs, next := page(orgs, p.Size(), func(o demarc.Org) string { return string(o.ID) })
	return orgs, next, nil
}

// UpdateOrg implements demarc.OrgStore.
func (s *Store) UpdateOrg(ctx context.Context, by demarc.Actor, id demarc.OrgID, version int, in demarc.OrgInput) (*demarc.Org, error) {
	if err := in.Validate(); err != nil {
		return nil, s.fail("update organisation", err)
	}
	var org *demarc.Org
	err := s.write(ctx, "update organisation", by, func(w *writer) error {
		if err := w.begin(id); err != nil {
			return err
		}
		old, err := scanOrg(w.QueryRow(ctx, `SELECT `+orgColumns+` FROM orgs WHERE id = $1`, id))
		if err != nil {
			return err
		}
		if old.Version != version {
			return stale("organisation", id, old.Version, version)
		}
		if old.Slug == in.Slug && old.Name == in.Name {
			org = old
			return nil
		}
		taken, err := w.exists(`SELECT count(*) FROM orgs WHERE slug = $1 AND id <> $2`, in.Slug, id)
		if err != nil {
			return err
		}
		if taken {
			return conflict("organisation slug %q is taken", in.Slug)
		}
		org = &demarc.Org{ID: id, Slug: in.Slug, Name: in.Name, Version: version + 1, Created: old.Created, Updated: w.now}
		_, err = w.Exec(ctx, `UPDATE orgs SET slug = $2, name = $3, version = $4, updated_at = $5 WHERE id = $1`,
			id, org.Slug, org.Name, org.Version, micros(org.Updated))
		if w.s.is(err, ClassUnique) {
			return conflict("organisation slug %q is taken", in.Slug)
		}
		if err != nil {
			return err
		}
		return w.event(id, demarc.ActionOrgUpdate, object("org", id), orgHash(old), orgHash(org), changed("slug", old.Slug, org.Slug, "name", old.Name, org.Name))
	})
	return org, err
}

// exists runs a count query and reports whether it counted anything.
func (w *writer) exists(query string, args ...any) (bool, error) {
	var n int64
	if err := w.QueryRow(w.ctx, query, args...).Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}

// changed describes the fields that differ, given as name, old, new
// triples: "role editor → admin".
func changed(triples ...string) string {
	var parts []string
	for i := 0; i+2 < len(triples); i += 3 {
		if triples[i+1] != triples[i+2] {
			parts = append(parts, fmt.Sprintf("%s %s → %s", triples[i], triples[i+1], triples[i+2]))
		}
	}
	return strings.Join(parts, "; ")
}
