package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/demarc-io/demarc"
)

const publicationSelect = `SELECT p.id, p.org_id, o.slug, p.document_id, p.name, p.version, p.hash,
	p.published_at, p.published_by, p.created_at, p.withdrawn_at
	FROM publications p JOIN orgs o ON o.id = p.org_id`

// involved lists the organisations a change to publication p (chosen by
// match) appends events to: its subscribers and the organisations whose
// live sign-offs build on it.
func involved(match string) string {
	return `SELECT x.org_id FROM subscriptions x JOIN publications p ON p.id = x.publication_id WHERE ` + match + `
		UNION SELECT s.org_id FROM signoffs s JOIN signoff_publications sp ON sp.signoff_id = s.id
		JOIN publications p ON p.id = sp.publication_id WHERE s.stale_at = 0 AND ` + match
}

// visible is the condition under which organisation $1 may see
// publication p: its own, offered ones, and withdrawn ones it follows.
const visible = `(p.org_id = $1 OR p.withdrawn_at = 0 OR EXISTS
	(SELECT 1 FROM subscriptions vs WHERE vs.org_id = $1 AND vs.publication_id = p.id))`

func scanPublication(r Row) (demarc.Publication, error) {
	var p demarc.Publication
	var published, created, withdrawn int64
	err := r.Scan(&p.ID, &p.Org, &p.OrgSlug, &p.Document, &p.Name, &p.Version, &p.Hash, &published, &p.PublishedBy, &created, &withdrawn)
	p.Published, p.Created, p.Withdrawn = fromMicros(published), fromMicros(created), fromMicros(withdrawn)
	return p, err
}

const subscriptionSelect = `SELECT s.id, s.org_id, s.publication_id, p.org_id, p.name, p.version, s.acknowledged,
	p.withdrawn_at, s.created_at, s.created_by
	FROM subscriptions s JOIN publications p ON p.id = s.publication_id`

func scanSubscription(r Row) (demarc.Subscription, error) {
	var s demarc.Subscription
	var withdrawn, created int64
	err := r.Scan(&s.ID, &s.Org, &s.Publication, &s.Provider, &s.Name, &s.Published, &s.Acknowledged, &withdrawn, &created, &s.CreatedBy)
	s.Withdrawn, s.Created = withdrawn != 0, fromMicros(created)
	return s, err
}

// Publish implements demarc.PublicationStore.
func (s *Store) Publish(ctx context.Context, by demarc.Actor, org demarc.OrgID, doc demarc.DocumentID, version int) (*demarc.Publication, error) {
	if version < 0 {
		return nil, s.fail("publish", invalid("version must be 1 or more, or 0 for the latest"))
	}
	var pub demarc.Publication
	err := s.write(ctx, "publish", by, func(w *writer) error {
		others, err := w.orgsOf(involved(`p.org_id = $1 AND p.document_id = $2`), org, doc)
		if err != nil {
			return err
		}
		if err := w.begin(org, others...); err != nil {
			return err
		}
		d, err := scanDocument(w.QueryRow(ctx, `SELECT `+documentColumns+` FROM documents WHERE org_id = $1 AND id = $2 AND deleted_at = 0`, org, doc))
		if w.s.is(err, ClassNoRows) {
			return notFound("document %s not found", doc)
		}
		if err != nil {
			return err
		}
		if d.Kind != demarc.DocProvider {
			return invalid("document %s is a %s document; only provider documents can be published", doc, d.Kind)
		}
		if version == 0 {
			version = d.Version
		}
		rev, err := scanRevisionMeta(w.QueryRow(ctx, `SELECT `+revisionColumns+` FROM revisions r
			JOIN documents d ON d.org_id = r.org_id AND d.id = r.document_id
			WHERE r.org_id = $1 AND r.document_id = $2 AND r.version = $3`, org, doc, version))
		if w.s.is(err, ClassNoRows) {
			return notFound("document %s has no version %d", doc, version)
		}
		if err != nil {
			return err
		}
		old, err := scanPublication(w.QueryRow(ctx, publicationSelect+` WHERE p.org_id = $1 AND p.document_id = $2`, org, doc))
		switch {
		case w.s.is(err, ClassNoRows):
			pub, err = w.createPublication(org, rev)
			return err
		case err != nil:
			return err
		case version < old.Version || version == old.Version && old.Withdrawn.IsZero():
			return conflict("publication %s already offers version %d; publish a newer version", old.ID, old.Version)
		}
		pub, err = w.movePublication(old, rev)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &pub, nil
}

func (w *writer) createPublication(org demarc.OrgID, rev demarc.Revision) (demarc.Publication, error) {
	var slug string
	if err := w.QueryRow(w.ctx, `SELECT slug FROM orgs WHERE id = $1`, org).Scan(&slug); err != nil {
		return demarc.Publication{}, err
	}
	p := demarc.Publication{
		ID: demarc.PublicationID(demarc.NewID("pub")), Org: org, OrgSlug: slug, Document: rev.Document, Name: rev.Name,
		Version: rev.Version, Hash: rev.Hash, Published: w.now, PublishedBy: w.by.Member, Created: w.now,
	}
	_, err := w.Exec(w.ctx, `INSERT INTO publications
		(id, org_id, document_id, name, version, hash, published_at, published_by, created_at, withdrawn_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7, 0)`,
		p.ID, p.Org, p.Document, p.Name, p.Version, p.Hash, micros(p.Published), p.PublishedBy)
	if err != nil {
		return p, err
	}
	if err := w.insertPublishedVersion(p); err != nil {
		return p, err
	}
	return p, w.event(org, demarc.ActionPublish, object("publication", p.ID), "", p.Hash, fmt.Sprintf("%s version %d", p.Name, p.Version))
}

// movePublication offers rev in place of what old offered, tells the
// subscribers and marks sign-offs on the old version stale.
func (w *writer) movePublication(old demarc.Publication, rev demarc.Revision) (demarc.Publication, error) {
	p := old
	p.Name, p.Version, p.Hash, p.Published, p.PublishedBy, p.Withdrawn = rev.Name, rev.Version, rev.Hash, w.now, w.by.Member, time.Time{}
	_, err := w.Exec(w.ctx, `UPDATE publications SET name = $2, version = $3, hash = $4, published_at = $5, published_by = $6, withdrawn_at = 0
		WHERE id = $1`, p.ID, p.Name, p.Version, p.Hash, micros(p.Published), p.PublishedBy)
	if err != nil {
		return p, err
	}
	if rev.Version != old.Version {
		if err := w.insertPublishedVersion(p); err != nil {
			return p, err
		}
	}
	news := fmt.Sprintf("%s version %d", p.Name, p.Version)
	if err := w.event(p.Org, demarc.ActionPublish, object("publication", p.ID), old.Hash, p.Hash, news); err != nil {
		return p, err
	}
	if err := w.tellSubscribers(p, old.Hash, fmt.Sprintf("%s/%s published version %d (was %d)", p.OrgSlug, p.Name, p.Version, old.Version)); err != nil {
		return p, err
	}
	return p, w.stalePublication(p.ID, fmt.Sprintf("%s/%s published version %d", p.OrgSlug, p.Name, p.Version))
}

func (w *writer) insertPublishedVersion(p demarc.Publication) error {
	_, err := w.Exec(w.ctx, `INSERT INTO publication_versions (org_id, publication_id, version, hash, published_at, published_by)
		VALUES ($1, $2, $3, $4, $5, $6)`, p.Org, p.ID, p.Version, p.Hash, micros(p.Published), p.PublishedBy)
	return err
}

// tellSubscribers appends a subscription.published event to every
// subscriber's chain: their watchers hear of it, and their trail records
// that the provider's statement moved under them.
func (w *writer) tellSubscribers(p demarc.Publication, before demarc.ContentHash, detail string) error {
	type sub struct {
		org demarc.OrgID
		id  demarc.SubscriptionID
	}
	rows, err := w.Query(w.ctx, `SELECT org_id, id FROM subscriptions WHERE publication_id = $1 ORDER BY org_id`, p.ID)
	if err != nil {
		return err
	}
	subs, err := collect(rows, func(r Row) (sub, error) {
		var s sub
		return s, r.Scan(&s.org, &s.id)
	})
	if err != nil {
		return err
	}
	orgs := make([]demarc.OrgID, len(subs))
	for i, s := range subs {
		orgs[i] = s.org
	}
	if err := w.lock(orgs...); err != nil {
		return err
	}
	after := p.Hash
	if !p.Withdrawn.IsZero() {
		after = ""
	}
	for _, s := range subs {
		if err := w.event(s.org, demarc.ActionSubscriptionNews, object("subscription", s.id), before, after, detail); err != nil {
			return err
		}
	}
	return nil
}

// Withdraw implements demarc.PublicationStore.
func (s *Store) Withdraw(ctx context.Context, by demarc.Actor, org demarc.OrgID, id demarc.PublicationID) error {
	return s.write(ctx, "withdraw publication", by, func(w *writer) error {
		others, err := w.orgsOf(involved(`p.org_id = $1 AND p.id = $2`), org, id)
		if err != nil {
			return err
		}
		if err := w.begin(org, others...); err != nil {
			return err
		}
		p, err := scanPublication(w.QueryRow(ctx, publicationSelect+` WHERE p.org_id = $1 AND p.id = $2`, org, id))
		if w.s.is(err, ClassNoRows) {
			return notFound("publication %s not found", id)
		}
		if err != nil || !p.Withdrawn.IsZero() {
			return err
		}
		p.Withdrawn = w.now
		if _, err := w.Exec(ctx, `UPDATE publications SET withdrawn_at = $2 WHERE id = $1`, id, micros(w.now)); err != nil {
			return err
		}
		what := fmt.Sprintf("%s/%s withdrawn", p.OrgSlug, p.Name)
		if err := w.event(org, demarc.ActionWithdraw, object("publication", id), p.Hash, "", p.Name); err != nil {
			return err
		}
		if err := w.tellSubscribers(p, p.Hash, what); err != nil {
			return err
		}
		return w.stalePublication(id, what)
	})
}

// Publication implements demarc.PublicationStore.
func (s *Store) Publication(ctx context.Context, org demarc.OrgID, id demarc.PublicationID) (*demarc.Publication, error) {
	var p demarc.Publication
	err := s.readOne(ctx, "get publication", func(tx Tx) error {
		var err error
		p, err = s.visiblePublication(ctx, tx, org, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

func (s *Store) visiblePublication(ctx context.Context, tx Tx, org demarc.OrgID, id demarc.PublicationID) (demarc.Publication, error) {
	p, err := scanPublication(tx.QueryRow(ctx, publicationSelect+` WHERE p.id = $2 AND `+visible, org, id))
	if s.is(err, ClassNoRows) {
		return p, notFound("publication %s not found", id)
	}
	return p, err
}

// Publications implements demarc.PublicationStore.
func (s *Store) Publications(ctx context.Context, org demarc.OrgID, f demarc.PublicationFilter) ([]demarc.Publication, string, error) {
	after, err := cursor(f.Page.After)
	if err != nil {
		return nil, "", s.fail("list publications", err)
	}
	var pubs []demarc.Publication
	err = s.readOne(ctx, "list publications", func(tx Tx) error {
		rows, err := tx.Query(ctx, publicationSelect+` WHERE `+visible+` AND ($2 = '' OR p.org_id = $2) AND p.id > $3 ORDER BY p.id LIMIT $4`,
			org, f.Owner, after, f.Page.Size()+1)
		if err != nil {
			return err
		}
		pubs, err = collect(rows, scanPublication)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	pubs, next := page(pubs, f.Page.Size(), func(p demarc.Publication) string { return string(p.ID) })
	return pubs, next, nil
}

// PublicationVersions implements demarc.PublicationStore.
func (s *Store) PublicationVersions(ctx context.Context, org demarc.OrgID, id demarc.PublicationID) ([]demarc.PublishedVersion, error) {
	var versions []demarc.PublishedVersion
	err := s.read(ctx, "list published versions", func(tx Tx) error {
		if _, err := s.visiblePublication(ctx, tx, org, id); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT publication_id, version, hash, published_at, published_by FROM publication_versions
			WHERE publication_id = $1 ORDER BY version DESC`, id)
		if err != nil {
			return err
		}
		versions, err = collect(rows, func(r Row) (demarc.PublishedVersion, error) {
			var v demarc.PublishedVersion
			var at int64
			err := r.Scan(&v.Publication, &v.Version, &v.Hash, &at, &v.PublishedBy)
			v.Published = fromMicros(at)
			return v, err
		})
		return err
	})
	return versions, err
}

// PublishedRevision implements demarc.PublicationStore. It is the one
// read of another organisation's document, and only of what that
// organisation published.
func (s *Store) PublishedRevision(ctx context.Context, org demarc.OrgID, id demarc.PublicationID, version int) (*demarc.Revision, error) {
	if version < 0 {
		return nil, s.fail("get published revision", invalid("version must be 1 or more, or 0 for the current one"))
	}
	var rev demarc.Revision
	err := s.read(ctx, "get published revision", func(tx Tx) error {
		p, err := s.visiblePublication(ctx, tx, org, id)
		if err != nil {
			return err
		}
		if version == 0 {
			version = p.Version
		}
		rev, err = scanRevision(tx.QueryRow(ctx, `SELECT `+revisionColumns+`, r.content FROM revisions r
			JOIN documents d ON d.org_id = r.org_id AND d.id = r.document_id
			JOIN publication_versions pv ON pv.org_id = r.org_id AND pv.publication_id = $3 AND pv.version = r.version
			WHERE r.org_id = $1 AND r.document_id = $2 AND r.version = $4`, p.Org, p.Document, id, version), true)
		if s.is(err, ClassNoRows) {
			return notFound("publication %s never published version %d", id, version)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &rev, nil
}

// Subscribers implements demarc.PublicationStore.
func (s *Store) Subscribers(ctx context.Context, org demarc.OrgID, id demarc.PublicationID) ([]demarc.Subscription, error) {
	var subs []demarc.Subscription
	err := s.read(ctx, "list subscribers", func(tx Tx) error {
		var n int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM publications WHERE org_id = $1 AND id = $2`, org, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return notFound("publication %s not found", id)
		}
		rows, err := tx.Query(ctx, subscriptionSelect+` WHERE s.publication_id = $1 ORDER BY s.id`, id)
		if err != nil {
			return err
		}
		subs, err = collect(rows, scanSubscription)
		return err
	})
	return subs, err
}

// Subscribe implements demarc.PublicationStore.
func (s *Store) Subscribe(ctx context.Context, by demarc.Actor, org demarc.OrgID, id demarc.PublicationID) (*demarc.Subscription, error) {
	var sub demarc.Subscription
	err := s.write(ctx, "subscribe", by, func(w *writer) error {
		if err := w.begin(org); err != nil {
			return err
		}
		p, err := w.s.visiblePublication(ctx, w, org, id)
		if err != nil {
			return err
		}
		if p.Org == org {
			return invalid("publication %s is this organisation's own", id)
		}
		already, err := w.exists(`SELECT count(*) FROM subscriptions WHERE org_id = $1 AND publication_id = $2`, org, id)
		if err != nil {
			return err
		}
		if already {
			return conflict("already subscribed to publication %s", id)
		}
		if !p.Withdrawn.IsZero() {
			return conflict("publication %s was withdrawn", id)
		}
		sub = demarc.Subscription{
			ID: demarc.SubscriptionID(demarc.NewID("sub")), Org: org, Publication: id, Provider: p.Org, Name: p.Name,
			Published: p.Version, Acknowledged: p.Version, Created: w.now, CreatedBy: w.by.Member,
		}
		_, err = w.Exec(ctx, `INSERT INTO subscriptions (id, org_id, publication_id, acknowledged, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6)`, sub.ID, org, id, sub.Acknowledged, micros(w.now), sub.CreatedBy)
		if err != nil {
			return err
		}
		return w.event(org, demarc.ActionSubscribe, object("subscription", sub.ID), "", p.Hash, fmt.Sprintf("%s/%s version %d", p.OrgSlug, p.Name, p.Version))
	})
	if err != nil {
		return nil, err
	}
	return &sub, nil
}

// Subscription implements demarc.PublicationStore.
func (s *Store) Subscription(ctx context.Context, org demarc.OrgID, id demarc.SubscriptionID) (*demarc.Subscription, error) {
	var sub demarc.Subscription
	err := s.readOne(ctx, "get subscription", func(tx Tx) error {
		var err error
		sub, err = s.subscription(ctx, tx, org, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &sub, nil
}

func (s *Store) subscription(ctx context.Context, tx Tx, org demarc.OrgID, id demarc.SubscriptionID) (demarc.Subscription, error) {
	sub, err := scanSubscription(tx.QueryRow(ctx, subscriptionSelect+` WHERE s.org_id = $1 AND s.id = $2`, org, id))
	if s.is(err, ClassNoRows) {
		return sub, notFound("subscription %s not found", id)
	}
	return sub, err
}

// Subscriptions implements demarc.PublicationStore.
func (s *Store) Subscriptions(ctx context.Context, org demarc.OrgID) ([]demarc.Subscription, error) {
	var subs []demarc.Subscription
	err := s.readOne(ctx, "list subscriptions", func(tx Tx) error {
		rows, err := tx.Query(ctx, subscriptionSelect+` WHERE s.org_id = $1 ORDER BY s.id`, org)
		if err != nil {
			return err
		}
		subs, err = collect(rows, scanSubscription)
		return err
	})
	return subs, err
}

// Acknowledge implements demarc.PublicationStore.
func (s *Store) Acknowledge(ctx context.Context, by demarc.Actor, org demarc.OrgID, id demarc.SubscriptionID, version int) (*demarc.Subscription, error) {
	var sub demarc.Subscription
	err := s.write(ctx, "acknowledge publication", by, func(w *writer) error {
		if err := w.begin(org); err != nil {
			return err
		}
		var err error
		sub, err = w.s.subscription(ctx, w, org, id)
		if err != nil {
			return err
		}
		if version < sub.Acknowledged || version > sub.Published {
			return invalid("version: %d is outside %d (acknowledged) to %d (published)", version, sub.Acknowledged, sub.Published)
		}
		if version == sub.Acknowledged {
			return nil
		}
		var hash demarc.ContentHash
		err = w.QueryRow(ctx, `SELECT hash FROM publication_versions WHERE publication_id = $1 AND version = $2`, sub.Publication, version).Scan(&hash)
		if w.s.is(err, ClassNoRows) {
			return invalid("version: publication %s never published version %d", sub.Publication, version)
		}
		if err != nil {
			return err
		}
		if _, err := w.Exec(ctx, `UPDATE subscriptions SET acknowledged = $3 WHERE org_id = $1 AND id = $2`, org, id, version); err != nil {
			return err
		}
		detail := fmt.Sprintf("%s version %d (was %d)", sub.Name, version, sub.Acknowledged)
		sub.Acknowledged = version
		return w.event(org, demarc.ActionSubscriptionReview, object("subscription", id), "", hash, detail)
	})
	if err != nil {
		return nil, err
	}
	return &sub, nil
}

// Unsubscribe implements demarc.PublicationStore.
func (s *Store) Unsubscribe(ctx context.Context, by demarc.Actor, org demarc.OrgID, id demarc.SubscriptionID) error {
	return s.write(ctx, "unsubscribe", by, func(w *writer) error {
		if err := w.begin(org); err != nil {
			return err
		}
		sub, err := w.s.subscription(ctx, w, org, id)
		if err != nil {
			return err
		}
		if _, err := w.Exec(ctx, `DELETE FROM subscriptions WHERE org_id = $1 AND id = $2`, org, id); err != nil {
			return err
		}
		return w.event(org, demarc.ActionUnsubscribe, object("subscription", id), "", "", sub.Name)
	})
}
