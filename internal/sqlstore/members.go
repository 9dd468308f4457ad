package sqlstore

import (
	"context"
	"strings"

	"github.com/demarc-io/demarc"
)

const memberColumns = `id, org_id, email, name, subject, role, version, created_at, updated_at`

func scanMember(r Row) (*demarc.Member, error) {
	var m demarc.Member
	var created, updated int64
	if err := r.Scan(&m.ID, &m.Org, &m.Email, &m.Name, &m.Subject, &m.Role, &m.Version, &created, &updated); err != nil {
		return nil, err
	}
	m.Created, m.Updated = fromMicros(created), fromMicros(updated)
	return &m, nil
}

func memberHash(m *demarc.Member) demarc.ContentHash {
	return recordHash(m.Email, m.Name, m.Subject, string(m.Role))
}

// AddMember implements demarc.MemberStore.
func (s *Store) AddMember(ctx context.Context, by demarc.Actor, org demarc.OrgID, in demarc.MemberInput) (*demarc.Member, error) {
	if err := in.Validate(); err != nil {
		return nil, s.fail("add member", err)
	}
	var m *demarc.Member
	err := s.write(ctx, "add member", by, func(w *writer) error {
		if err := w.begin(org); err != nil {
			return err
		}
		var err error
		m, err = w.addMember(org, in)
		return err
	})
	return m, err
}

func (w *writer) addMember(org demarc.OrgID, in demarc.MemberInput) (*demarc.Member, error) {
	in.Email = strings.ToLower(in.Email)
	if err := w.memberUnique(org, "", in); err != nil {
		return nil, err
	}
	m := &demarc.Member{
		ID: demarc.MemberID(demarc.NewID("mem")), Org: org, Email: in.Email, Name: in.Name, Subject: in.Subject,
		Role: in.Role, Version: 1, Created: w.now, Updated: w.now,
	}
	_, err := w.Exec(w.ctx, `INSERT INTO members (`+memberColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		m.ID, m.Org, m.Email, m.Name, m.Subject, m.Role, m.Version, micros(m.Created), micros(m.Updated))
	if err != nil {
		return nil, err
	}
	return m, w.event(org, demarc.ActionMemberAdd, object("member", m.ID), "", memberHash(m), m.Email+" as "+string(m.Role))
}

// memberUnique checks that no other member of org has in's e-mail or
// subject, so that the caller gets a precise message.
func (w *writer) memberUnique(org demarc.OrgID, self demarc.MemberID, in demarc.MemberInput) error {
	taken, err := w.exists(`SELECT count(*) FROM members WHERE org_id = $1 AND email = $2 AND id <> $3`, org, in.Email, self)
	if err != nil {
		return err
	}
	if taken {
		return conflict("a member with e-mail %s already exists", in.Email)
	}
	if in.Subject == "" {
		return nil
	}
	taken, err = w.exists(`SELECT count(*) FROM members WHERE org_id = $1 AND subject = $2 AND id <> $3`, org, in.Subject, self)
	if err != nil {
		return err
	}
	if taken {
		return conflict("a member with subject %s already exists", in.Subject)
	}
	return nil
}

// Member implements demarc.MemberStore.
func (s *Store) Member(ctx context.Context, org demarc.OrgID, id demarc.MemberID) (*demarc.Member, error) {
	return s.memberWhere(ctx, org, `id = $2`, id)
}

// MemberByEmail implements demarc.MemberStore.
func (s *Store) MemberByEmail(ctx context.Context, org demarc.OrgID, email string) (*demarc.Member, error) {
	return s.memberWhere(ctx, org, `email = $2`, strings.ToLower(email))
}

func (s *Store) memberWhere(ctx context.Context, org demarc.OrgID, where string, arg any) (*demarc.Member, error) {
	var m *demarc.Member
	err := s.readOne(ctx, "get member", func(tx Tx) error {
		var err error
		m, err = scanMember(tx.QueryRow(ctx, `SELECT `+memberColumns+` FROM members WHERE org_id = $1 AND `+where, org, arg))
		if s.is(err, ClassNoRows) {
			return notFound("member %s not found", arg)
		}
		return err
	})
	return m, err
}

// Members implements demarc.MemberStore.
func (s *Store) Members(ctx context.Context, org demarc.OrgID, p demarc.Page) ([]demarc.Member, string, error) {
	after, err := cursor(p.After)
	if err != nil {
		return nil, "", s.fail("list members", err)
	}
	var members []demarc.Member
	err = s.readOne(ctx, "list members", func(tx Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+memberColumns+` FROM members WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3`, org, after, p.Size()+1)
		if err != nil {
			return err
		}
		members, err = collect(rows, scanMemberValue)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	members, next := page(members, p.Size(), func(m demarc.Member) string { return string(m.ID) })
	return members, next, nil
}

func scanMemberValue(r Row) (demarc.Member, error) {
	m, err := scanMember(r)
	if err != nil {
		return demarc.Member{}, err
	}
	return *m, nil
}

// MembershipsBySubject implements demarc.MemberStore.
func (s *Store) MembershipsBySubject(ctx context.Context, subject string) ([]demarc.Member, error) {
	if subject == "" {
		return nil, nil
	}
	var members []demarc.Member
	err := s.readOne(ctx, "list memberships", func(tx Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+memberColumns+` FROM members WHERE subject = $1 ORDER BY org_id`, subject)
		if err != nil {
			return err
		}
		members, err = collect(rows, scanMemberValue)
		return err
	})
	return members, err
}

// UpdateMember implements demarc.MemberStore.
func (s *Store) UpdateMember(ctx context.Context, by demarc.Actor, org demarc.OrgID, id demarc.MemberID, version int, in demarc.MemberInput) (*demarc.Member, error) {
	if err := in.Validate(); err != nil {
		return nil, s.fail("update member", err)
	}
	in.Email = strings.ToLower(in.Email)
	var m *demarc.Member
	err := s.write(ctx, "update member", by, func(w *writer) error {
		old, err := w.lockedMember(org, id, version)
		if err != nil {
			return err
		}
		if old.Email == in.Email && old.Name == in.Name && old.Subject == in.Subject && old.Role == in.Role {
			m = old
			return nil
		}
		if old.Role == demarc.RoleOwner && in.Role != demarc.RoleOwner {
			if err := w.keepOwner(org); err != nil {
				return err
			}
		}
		if err := w.memberUnique(org, id, in); err != nil {
			return err
		}
		m = &demarc.Member{ID: id, Org: org, Email: in.Email, Name: in.Name, Subject: in.Subject, Role: in.Role,
			Version: version + 1, Created: old.Created, Updated: w.now}
		_, err = w.Exec(ctx, `UPDATE members SET email = $3, name = $4, subject = $5, role = $6, version = $7, updated_at = $8
			WHERE org_id = $1 AND id = $2`, org, id, m.Email, m.Name, m.Subject, m.Role, m.Version, micros(m.Updated))
		if err != nil {
			return err
		}
		detail := changed("e-mail", old.Email, m.Email, "name", old.Name, m.Name, "subject", old.Subject, m.Subject, "role", string(old.Role), string(m.Role))
		return w.event(org, demarc.ActionMemberUpdate, object("member", id), memberHash(old), memberHash(m), detail)
	})
	return m, err
}

// RemoveMember implements demarc.MemberStore.
func (s *Store) RemoveMember(ctx context.Context, by demarc.Actor, org demarc.OrgID, id demarc.MemberID, version int) error {
	return s.write(ctx, "remove member", by, func(w *writer) error {
		old, err := w.lockedMember(org, id, version)
		if err != nil {
			return err
		}
		if old.Role == demarc.RoleOwner {
			if err := w.keepOwner(org); err != nil {
				return err
			}
		}
		if _, err := w.Exec(ctx, `DELETE FROM tokens WHERE org_id = $1 AND member_id = $2`, org, id); err != nil {
			return err
		}
		if _, err := w.Exec(ctx, `DELETE FROM members WHERE org_id = $1 AND id = $2`, org, id); err != nil {
			return err
		}
		return w.event(org, demarc.ActionMemberRemove, object("member", id), memberHash(old), "", old.Email)
	})
}

// lockedMember starts a change to a member: it locks org, checks the
// actor, reads the member and checks its version.
func (w *writer) lockedMember(org demarc.OrgID, id demarc.MemberID, version int) (*demarc.Member, error) {
	if err := w.begin(org); err != nil {
		return nil, err
	}
	m, err := scanMember(w.QueryRow(w.ctx, `SELECT `+memberColumns+` FROM members WHERE org_id = $1 AND id = $2`, org, id))
	if w.s.is(err, ClassNoRows) {
		return nil, notFound("member %s not found", id)
	}
	if err != nil {
		return nil, err
	}
	if m.Version != version {
		return nil, stale("member", id, m.Version, version)
	}
	return m, nil
}

// keepOwner refuses a change that would leave org with no owner.
func (w *writer) keepOwner(org demarc.OrgID) error {
	var owners int64
	if err := w.QueryRow(w.ctx, `SELECT count(*) FROM members WHERE org_id = $1 AND role = $2`, org, demarc.RoleOwner).Scan(&owners); err != nil {
		return err
	}
	if owners <= 1 {
		return conflict("organisation %s must keep at least one owner", org)
	}
	return nil
}
