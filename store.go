package demarc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// This file is the vocabulary of the server's storage: organisations
// (tenants), their members and API tokens, versioned documents, published
// provider statements and subscriptions to them, two-party sign-offs, and a
// hash-chained audit trail. Implementations live in packages sqlite and
// postgres; package storetest holds the contract both pass.
//
// Every method that reads or writes tenant data takes the organisation it
// acts for. Data of another organisation is never returned: asking for the
// id of a foreign row gives ENotFound, exactly as for an id that does not
// exist, so ids leak nothing. The deliberate exceptions are named in their
// doc comments: published statements (publishing is sharing), sign-offs a
// provider is a party to, and the two authentication look-ups that run
// before the organisation is known.

// OrgID identifies an organisation, e.g. "org_01jd…".
type OrgID string

// MemberID identifies a member of an organisation.
type MemberID string

// TokenID identifies an API token.
type TokenID string

// DocumentID identifies a versioned document.
type DocumentID string

// PublicationID identifies a published provider statement.
type PublicationID string

// SubscriptionID identifies an organisation's subscription to a publication.
type SubscriptionID string

// SignoffID identifies a sign-off of a matrix.
type SignoffID string

// ContentHash is a self-describing digest, "sha256:" followed by 64 hex
// digits.
type ContentHash string

// TokenHash is the SHA-256 of an API token secret, in hex. Stores keep
// only this; the secret itself is shown once, when it is made.
type TokenHash string

// ErrVersionMismatch is wrapped by the EConflict error an update returns
// when the stored version is not the one the caller expected, so that a
// server can answer 412 Precondition Failed rather than 409.
var ErrVersionMismatch = errors.New("version mismatch")

// Store is everything the server keeps. It is composed of one narrow
// interface per concern so that a caller can ask for only what it uses.
// Implementations: sqlite.Store and postgres.Store.
type Store interface {
	OrgStore
	MemberStore
	TokenStore
	DocumentStore
	PublicationStore
	SignoffStore
	SessionStore
	AuditLog

	// Watch delivers a Change for every audit event committed from now on,
	// by any replica sharing the store, until ctx ends or the store is
	// closed; then the channel is closed. A watcher that falls behind, or
	// a replica that lost its connection to the notifier, receives a
	// Change with Lost set: drop every cache.
	Watch(ctx context.Context) <-chan Change
	// Ping reports whether the store can serve requests.
	Ping(ctx context.Context) error
	// Close releases the store's resources and closes every watcher.
	Close() error
}

// OrgStore keeps organisations.
type OrgStore interface {
	// CreateOrg makes an organisation with its first member, an owner.
	// A taken slug or owner e-mail gives EConflict; bad input EInvalid.
	CreateOrg(ctx context.Context, by Actor, in OrgInput, owner MemberInput) (*Org, *Member, error)
	// Org returns the organisation, or ENotFound.
	Org(ctx context.Context, id OrgID) (*Org, error)
	// OrgBySlug returns the organisation with that slug, or ENotFound.
	OrgBySlug(ctx context.Context, slug string) (*Org, error)
	// UpdateOrg renames the organisation (its slug included) if it is still
	// at version; otherwise EConflict wrapping ErrVersionMismatch.
	UpdateOrg(ctx context.Context, by Actor, id OrgID, version int, in OrgInput) (*Org, error)
	// Orgs lists every organisation, oldest first. It is for operators
	// (verifying every audit chain, checking a restored backup); a server
	// must not show it to tenants.
	Orgs(ctx context.Context, page Page) (orgs []Org, next string, err error)
}

// MemberStore keeps the members of organisations and their roles.
type MemberStore interface {
	// AddMember adds a member. A taken e-mail or subject in the
	// organisation gives EConflict.
	AddMember(ctx context.Context, by Actor, org OrgID, in MemberInput) (*Member, error)
	// Member returns the member of org, or ENotFound.
	Member(ctx context.Context, org OrgID, id MemberID) (*Member, error)
	// MemberByEmail returns the member of org with that e-mail (compared
	// case-insensitively), or ENotFound.
	MemberByEmail(ctx context.Context, org OrgID, email string) (*Member, error)
	// Members lists the members of org in the order they were added, a
	// page at a time; next is the cursor for the following page, empty
	// after the last.
	Members(ctx context.Context, org OrgID, page Page) (members []Member, next string, err error)
	// UpdateMember replaces the member's e-mail, name, subject and role if
	// the member is still at version. Demoting the last owner gives
	// EConflict.
	UpdateMember(ctx context.Context, by Actor, org OrgID, id MemberID, version int, in MemberInput) (*Member, error)
	// RemoveMember removes the member and its tokens if still at version.
	// Removing the last owner gives EConflict. Signatures the member gave
	// stay, with the name and e-mail it had.
	RemoveMember(ctx context.Context, by Actor, org OrgID, id MemberID, version int) error
	// MembershipsBySubject returns the members, across organisations, whose
	// login subject is subject: the organisations a person who has just
	// signed in may act for. It is empty, not an error, when there are none.
	MembershipsBySubject(ctx context.Context, subject string) ([]Member, error)
}

// TokenStore keeps API tokens as hashes.
type TokenStore interface {
	// CreateToken records a token for a member of org. The caller makes the
	// secret with NewToken and passes only its hash.
	CreateToken(ctx context.Context, by Actor, org OrgID, in TokenInput) (*Token, error)
	// Tokens lists the tokens of org, or of one member when member is not
	// empty, revoked ones included, newest first.
	Tokens(ctx context.Context, org OrgID, member MemberID) ([]Token, error)
	// RevokeToken revokes a token of org; revoking it again is no error.
	RevokeToken(ctx context.Context, by Actor, org OrgID, id TokenID) error
	// Authenticate returns the live token with this hash and its member,
	// whatever its organisation; ENotFound when no token has the hash or
	// it is revoked or expired.
	Authenticate(ctx context.Context, hash TokenHash) (*Token, *Member, error)
	// TouchToken records when a token was last used. It writes no audit
	// event — use is not a change — but it is a durable write: touch a
	// token about once a minute, not on every request.
	TouchToken(ctx context.Context, org OrgID, id TokenID, at time.Time) error
}

// DocumentStore keeps versioned documents: systems, attestation
// registers, custom provider files and check runs. Every update adds a version; no version is
// ever rewritten.
type DocumentStore interface {
	// CreateDocument stores version 1 of a new document. A live document of
	// the same kind and name in org gives EConflict.
	CreateDocument(ctx context.Context, by Actor, org OrgID, in DocumentInput) (*Revision, error)
	// UpdateDocument stores a new version if the document is still at
	// version; otherwise EConflict wrapping ErrVersionMismatch. When
	// neither content nor name changes it returns the current revision
	// and stores nothing. The kind cannot change (EInvalid).
	// Sign-offs built on the document become stale.
	UpdateDocument(ctx context.Context, by Actor, org OrgID, id DocumentID, version int, in DocumentInput) (*Revision, error)
	// DeleteDocument marks the document deleted if still at version. Its
	// versions stay readable with Revision; its name becomes free. A
	// published document gives EConflict: withdraw it first.
	DeleteDocument(ctx context.Context, by Actor, org OrgID, id DocumentID, version int) error
	// Document returns a live document's current metadata, or ENotFound.
	Document(ctx context.Context, org OrgID, id DocumentID) (*Document, error)
	// DocumentByName returns the live document of that kind and name, or
	// ENotFound.
	DocumentByName(ctx context.Context, org OrgID, kind DocKind, name string) (*Document, error)
	// Documents lists documents in the order they were created.
	Documents(ctx context.Context, org OrgID, filter DocumentFilter) (docs []Document, next string, err error)
	// Revision returns one version with its content; version 0 means the
	// latest. ENotFound when the document or version does not exist.
	Revision(ctx context.Context, org OrgID, id DocumentID, version int) (*Revision, error)
	// Revisions lists a document's versions newest first, without content.
	Revisions(ctx context.Context, org OrgID, id DocumentID, page Page) (revs []Revision, next string, err error)
}

// PublicationStore keeps provider statements that an organisation shares
// with the others on the server, and the subscriptions to them.
type PublicationStore interface {
	// Publish makes version of a provider document (kind DocProvider)
	// visible to every organisation, creating the publication or moving it
	// forward. Publishing a version not newer than the published one gives
	// EConflict. Subscribers get a subscription.published audit event and
	// sign-offs built on the previous version become stale.
	Publish(ctx context.Context, by Actor, org OrgID, doc DocumentID, version int) (*Publication, error)
	// Withdraw stops offering a publication to new subscribers; existing
	// subscribers keep reading what was published and their sign-offs on
	// it become stale.
	Withdraw(ctx context.Context, by Actor, org OrgID, id PublicationID) error
	// Publication returns a publication that org may see: its own, any
	// offered one, and withdrawn ones it subscribes to. Otherwise ENotFound.
	Publication(ctx context.Context, org OrgID, id PublicationID) (*Publication, error)
	// Publications lists the publications org may see, oldest first.
	Publications(ctx context.Context, org OrgID, filter PublicationFilter) (pubs []Publication, next string, err error)
	// PublicationVersions lists every version ever published, newest first.
	PublicationVersions(ctx context.Context, org OrgID, id PublicationID) ([]PublishedVersion, error)
	// PublishedRevision returns the content of a published version (0 for
	// the current one) to an organisation that may see the publication.
	// Versions of the document that were never published give ENotFound.
	PublishedRevision(ctx context.Context, org OrgID, id PublicationID, version int) (*Revision, error)
	// Subscribers lists the subscriptions to one of org's own publications.
	Subscribers(ctx context.Context, org OrgID, id PublicationID) ([]Subscription, error)

	// Subscribe makes org a subscriber, acknowledging the current version.
	// Subscribing twice, or to a withdrawn publication, gives EConflict;
	// to an own publication, EInvalid.
	Subscribe(ctx context.Context, by Actor, org OrgID, pub PublicationID) (*Subscription, error)
	// Subscription returns one of org's subscriptions, or ENotFound.
	Subscription(ctx context.Context, org OrgID, id SubscriptionID) (*Subscription, error)
	// Subscriptions lists org's subscriptions, oldest first.
	Subscriptions(ctx context.Context, org OrgID) ([]Subscription, error)
	// Acknowledge records that org has reviewed the publication up to
	// version, which must be published and not older than the version
	// already acknowledged (EInvalid otherwise).
	Acknowledge(ctx context.Context, by Actor, org OrgID, id SubscriptionID, version int) (*Subscription, error)
	// Unsubscribe ends a subscription.
	Unsubscribe(ctx context.Context, by Actor, org OrgID, id SubscriptionID) error
}

// SignoffStore keeps two-party sign-offs of matrices.
type SignoffStore interface {
	// RequestSignoff records a matrix (its bytes, hashed by the store) and
	// what it was computed from. Every document must be at its current
	// version and every publication at its currently published version and
	// subscribed by org, otherwise EConflict wrapping ErrVersionMismatch:
	// the matrix is already out of date. The parties are org and the
	// publishers of the publications.
	RequestSignoff(ctx context.Context, by Actor, org OrgID, in SignoffInput) (*Signoff, error)
	// Signoff returns a sign-off org is a party to, or ENotFound.
	Signoff(ctx context.Context, org OrgID, id SignoffID) (*Signoff, error)
	// SignoffMatrix returns the matrix a sign-off is about, to a party.
	SignoffMatrix(ctx context.Context, org OrgID, id SignoffID) ([]byte, error)
	// Signoffs lists the sign-offs org is a party to, newest first.
	Signoffs(ctx context.Context, org OrgID, filter SignoffFilter) (signoffs []Signoff, next string, err error)
	// Sign adds by's signature for org, a party. by.Member must be a
	// member of org (ENotFound otherwise); matrix must be the sign-off's
	// MatrixHash and the sign-off must not be stale (EConflict). Signing
	// twice gives EConflict.
	Sign(ctx context.Context, by Actor, org OrgID, id SignoffID, matrix ContentHash) (*Signoff, error)
}

// SessionID identifies a web session: a random value the server puts in
// the session's signed cookie.
type SessionID string

// SessionStore keeps what ends web sessions before their cookies expire.
// A session lives in a signed cookie that every replica accepts, so
// signing out must be recorded where every replica looks: here. Sessions
// belong to a person, not an organisation, so these records are outside
// every tenant and write no audit event. A record matters only until the
// sessions it ends would have expired anyway; PurgeSessions removes it
// after that. Times are kept to the microsecond, rounded so that a
// session is never let through early.
type SessionStore interface {
	// RevokeSession ends one session: SessionRevoked reports it from now
	// on, through every store sharing the database. expires is when the
	// session's cookie expires; the revocation is kept at least until
	// then. Revoking a session again is no error. An empty or overlong id,
	// or a zero expires, gives EInvalid.
	RevokeSession(ctx context.Context, id SessionID, expires time.Time) error
	// RevokeSubjectSessions signs subject out everywhere: every session of
	// subject issued before before is void. until is when the last of
	// those sessions expires (before plus the session lifetime); the
	// cut-off is kept at least until then. A cut-off never moves back: an
	// earlier before than the recorded one changes nothing. An empty
	// subject, or a zero before or until, gives EInvalid.
	RevokeSubjectSessions(ctx context.Context, subject string, before, until time.Time) error
	// SessionRevoked reports whether the session id of subject, issued at
	// issued, was revoked or voided by a cut-off later than issued. A
	// session the store has no record of is not revoked: false, nil. An
	// empty id or subject gives EInvalid. It is one indexed look-up, cheap
	// enough for every request.
	SessionRevoked(ctx context.Context, id SessionID, subject string, issued time.Time) (bool, error)
	// PurgeSessions deletes the revocations and cut-offs that no longer
	// matter at now, because every session they end has expired, and
	// returns how many it deleted.
	PurgeSessions(ctx context.Context, now time.Time) (int64, error)
}

// AuditLog reads the hash-chained audit trail. Stores append to it
// themselves, in the same transaction as each change, so that no change is
// ever without its event.
type AuditLog interface {
	// Events lists org's events in chain order.
	Events(ctx context.Context, org OrgID, filter EventFilter) ([]Event, error)
	// Verify checks org's whole chain and names every event that was
	// altered, removed, inserted or reordered.
	Verify(ctx context.Context, org OrgID) (*AuditReport, error)
}

// Actor is who makes a change: a member, possibly through one of its API
// tokens. The zero Actor is demarc itself (bootstrap, maintenance).
type Actor struct {
	Member MemberID `json:"member,omitempty"`
	Token  TokenID  `json:"token,omitempty"`
}

func (a Actor) String() string {
	switch {
	case a.Member == "":
		return "system"
	case a.Token != "":
		return string(a.Member) + " (token " + string(a.Token) + ")"
	}
	return string(a.Member)
}

// Page selects one page of a list: the items after the cursor After (as
// returned by the previous call) and at most Limit of them; 0 means
// DefaultPageSize, more than MaxPageSize is cut to it.
type Page struct {
	After string
	Limit int
}

// Page sizes.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// Size returns the effective limit.
func (p Page) Size() int {
	switch {
	case p.Limit <= 0:
		return DefaultPageSize
	case p.Limit > MaxPageSize:
		return MaxPageSize
	}
	return p.Limit
}

// Org is an organisation: a tenant. Every other record belongs to one.
type Org struct {
	ID      OrgID     `json:"id"`
	Slug    string    `json:"slug"`
	Name    string    `json:"name"`
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// OrgInput is what a caller sets on an organisation.
type OrgInput struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// Validate returns EInvalid naming the first bad field.
func (in OrgInput) Validate() error {
	if err := ValidSlug(in.Slug); err != nil {
		return fieldError("slug", err)
	}
	return fieldError("name", validText(in.Name, 200))
}

// Role is what a member may do in its organisation.
type Role string

// Roles, from most to least powerful; the auditor reads everything,
// including the audit trail and evidence, and changes nothing.
const (
	RoleOwner   Role = "owner"
	RoleAdmin   Role = "admin"
	RoleEditor  Role = "editor"
	RoleViewer  Role = "viewer"
	RoleAuditor Role = "auditor"
)

// Roles lists every role.
var Roles = []Role{RoleOwner, RoleAdmin, RoleEditor, RoleViewer, RoleAuditor}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// Member is a person's membership of one organisation.
type Member struct {
	ID    MemberID `json:"id"`
	Org   OrgID    `json:"org"`
	Email string   `json:"email"`
	Name  string   `json:"name"`
	// Subject is the login identity, issuer and subject of an OpenID
	// Connect ID token, e.g. "https://idp.example|248289761001"; empty for
	// members who use only API tokens.
	Subject string    `json:"subject,omitempty"`
	Role    Role      `json:"role"`
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// MemberInput is what a caller sets on a member. Stores keep Email in
// lower case.
type MemberInput struct {
	Email   string `json:"email"`
	Name    string `json:"name"`
	Subject string `json:"subject,omitempty"`
	Role    Role   `json:"role"`
}

// Validate returns EInvalid naming the first bad field.
func (in MemberInput) Validate() error {
	if err := validEmail(in.Email); err != nil {
		return fieldError("email", err)
	}
	if err := validText(in.Name, 200); err != nil {
		return fieldError("name", err)
	}
	if in.Subject != "" {
		if err := validText(in.Subject, 500); err != nil {
			return fieldError("subject", err)
		}
	}
	if !in.Role.Valid() {
		return fieldError("role", fmt.Errorf("%q is not a role (want one of owner, admin, editor, viewer, auditor)", in.Role))
	}
	return nil
}

// Token is an API token's record; the secret is not in it.
type Token struct {
	ID     TokenID  `json:"id"`
	Org    OrgID    `json:"org"`
	Member MemberID `json:"member"`
	Name   string   `json:"name"`
	// Hint is the secret's first characters, to tell tokens apart.
	Hint     string    `json:"hint"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires,omitzero"`
	LastUsed time.Time `json:"last_used,omitzero"`
	Revoked  time.Time `json:"revoked,omitzero"`
}

// Live reports whether the token may be used at now.
func (t *Token) Live(now time.Time) bool {
	return t.Revoked.IsZero() && (t.Expires.IsZero() || now.Before(t.Expires))
}

// TokenInput describes a new token.
type TokenInput struct {
	Member  MemberID  `json:"member"`
	Name    string    `json:"name"`
	Hash    TokenHash `json:"-"`
	Hint    string    `json:"-"`
	Expires time.Time `json:"expires,omitzero"`
}

// Validate returns EInvalid naming the first bad field.
func (in TokenInput) Validate() error {
	if in.Member == "" {
		return fieldError("member", errors.New("is required"))
	}
	if err := validText(in.Name, 200); err != nil {
		return fieldError("name", err)
	}
	if len(in.Hash) != 64 || strings.Trim(string(in.Hash), "0123456789abcdef") != "" {
		return fieldError("hash", errors.New("must be a SHA-256 in lower-case hex (see HashToken)"))
	}
	if len(in.Hint) > 16 {
		return fieldError("hint", errors.New("must be at most 16 characters"))
	}
	return nil
}

// TokenPrefix starts every API token secret, so that secret scanners can
// recognise a leaked one.
const TokenPrefix = "dmc_"

// NewToken makes a token secret from 32 random bytes, returning the secret
// (to show its owner once), its hash (to store) and its hint.
func NewToken() (secret string, hash TokenHash, hint string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", "", fmt.Errorf("make token: %w", err)
	}
	secret = TokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
	return secret, HashToken(secret), secret[:len(TokenPrefix)+4], nil
}

// HashToken returns the hash under which a token secret is stored. A
// secret with 256 random bits needs no salt or slow hash: it cannot be
// guessed, only stolen, and the hash does not reveal it.
func HashToken(secret string) TokenHash {
	sum := sha256.Sum256([]byte(secret))
	return TokenHash(hex.EncodeToString(sum[:]))
}

// DocKind is the kind of a versioned document.
type DocKind string

// Document kinds: a system file, an attestation register, a custom
// provider file with its statement and services (the kind an organisation
// can publish), and the check runs of one system, one version per run:
// versions are never rewritten, so a recorded run cannot change.
const (
	DocSystem       DocKind = "system"
	DocAttestations DocKind = "attestations"
	DocProvider     DocKind = "provider"
	DocCheckRun     DocKind = "check-run"
)

// Valid reports whether k is a known kind.
func (k DocKind) Valid() bool {
	return k == DocSystem || k == DocAttestations || k == DocProvider || k == DocCheckRun
}

// MaxDocumentSize bounds a document's content.
const MaxDocumentSize = 4 << 20

// Document is a versioned document's identity and current version.
type Document struct {
	ID        DocumentID  `json:"id"`
	Org       OrgID       `json:"org"`
	Kind      DocKind     `json:"kind"`
	Name      string      `json:"name"`
	Version   int         `json:"version"`
	Hash      ContentHash `json:"hash"`
	Size      int         `json:"size"`
	Created   time.Time   `json:"created"`
	CreatedBy MemberID    `json:"created_by,omitempty"`
	Updated   time.Time   `json:"updated"`
	UpdatedBy MemberID    `json:"updated_by,omitempty"`
	Deleted   time.Time   `json:"deleted,omitzero"`
}

// Revision is one version of a document. Content is nil in lists.
type Revision struct {
	Document DocumentID  `json:"document"`
	Org      OrgID       `json:"org"`
	Kind     DocKind     `json:"kind"`
	Name     string      `json:"name"`
	Version  int         `json:"version"`
	Hash     ContentHash `json:"hash"`
	Size     int         `json:"size"`
	Author   MemberID    `json:"author,omitempty"`
	Note     string      `json:"note,omitempty"`
	Created  time.Time   `json:"created"`
	Content  []byte      `json:"-"`
}

// DocumentInput is a document's new content. Kind may be empty on update.
type DocumentInput struct {
	Kind    DocKind `json:"kind"`
	Name    string  `json:"name"`
	Content []byte  `json:"-"`
	// Note says why the change was made, like a commit message.
	Note string `json:"note,omitempty"`
}

// Validate returns EInvalid naming the first bad field.
func (in DocumentInput) Validate() error {
	if !in.Kind.Valid() {
		return fieldError("kind", fmt.Errorf("%q is not a document kind (want system, attestations, provider or check-run)", in.Kind))
	}
	if err := validText(in.Name, 200); err != nil {
		return fieldError("name", err)
	}
	switch {
	case len(in.Content) == 0:
		return fieldError("content", errors.New("is empty"))
	case len(in.Content) > MaxDocumentSize:
		return fieldError("content", fmt.Errorf("is %d bytes; at most %d are allowed", len(in.Content), MaxDocumentSize))
	}
	if len(in.Note) > 2000 {
		return fieldError("note", errors.New("must be at most 2000 bytes"))
	}
	return nil
}

// DocumentFilter selects documents.
type DocumentFilter struct {
	Kind DocKind // empty: every kind
	// Deleted lists deleted documents instead of live ones.
	Deleted bool
	Page    Page
}

// HashContent returns the content hash of b.
func HashContent(b []byte) ContentHash {
	sum := sha256.Sum256(b)
	return ContentHash("sha256:" + hex.EncodeToString(sum[:]))
}

// Publication is a provider document an organisation offers to the others.
type Publication struct {
	ID       PublicationID `json:"id"`
	Org      OrgID         `json:"org"`
	OrgSlug  string        `json:"org_slug"`
	Document DocumentID    `json:"document"`
	// Name is the document's name at the published version.
	Name        string      `json:"name"`
	Version     int         `json:"version"`
	Hash        ContentHash `json:"hash"`
	Published   time.Time   `json:"published"`
	PublishedBy MemberID    `json:"published_by,omitempty"`
	Created     time.Time   `json:"created"`
	Withdrawn   time.Time   `json:"withdrawn,omitzero"`
}

// PublishedVersion is one version a publication offered, and when.
type PublishedVersion struct {
	Publication PublicationID `json:"publication"`
	Version     int           `json:"version"`
	Hash        ContentHash   `json:"hash"`
	Published   time.Time     `json:"published"`
	PublishedBy MemberID      `json:"published_by,omitempty"`
}

// PublicationFilter selects publications.
type PublicationFilter struct {
	Owner OrgID // empty: every publisher
	Page  Page
}

// Subscription is an organisation following another's publication.
type Subscription struct {
	ID          SubscriptionID `json:"id"`
	Org         OrgID          `json:"org"`
	Publication PublicationID  `json:"publication"`
	Provider    OrgID          `json:"provider"`
	Name        string         `json:"name"`
	// Published is the publication's current version; Acknowledged the
	// latest one org has reviewed. When they differ, the subscriber has
	// news: the diff between the two is what moved.
	Published    int       `json:"published"`
	Acknowledged int       `json:"acknowledged"`
	Withdrawn    bool      `json:"withdrawn,omitempty"`
	Created      time.Time `json:"created"`
	CreatedBy    MemberID  `json:"created_by,omitempty"`
}

// DocumentRef names one version of a document.
type DocumentRef struct {
	ID      DocumentID `json:"id"`
	Version int        `json:"version"`
}

// PublicationRef names one published version of a publication.
type PublicationRef struct {
	ID      PublicationID `json:"id"`
	Version int           `json:"version"`
}

// SignoffInput asks for a matrix to be signed off.
type SignoffInput struct {
	// System is the system document and version the matrix is of.
	System    DocumentRef `json:"system"`
	Framework FrameworkID `json:"framework"`
	// Matrix is the matrix as the parties will see it (e.g. its JSON).
	Matrix []byte `json:"-"`
	// Documents are org's other documents the matrix was computed from:
	// attestation registers, custom providers.
	Documents []DocumentRef `json:"documents,omitempty"`
	// Publications are the subscribed provider statements it was computed
	// from; their publishers become parties.
	Publications []PublicationRef `json:"publications,omitempty"`
}

// Validate returns EInvalid naming the first bad field.
func (in SignoffInput) Validate() error {
	if in.System.ID == "" || in.System.Version < 1 {
		return fieldError("system", errors.New("needs a document id and a version"))
	}
	if err := validText(string(in.Framework), 100); err != nil {
		return fieldError("framework", err)
	}
	if len(in.Matrix) == 0 || len(in.Matrix) > 4*MaxDocumentSize {
		return fieldError("matrix", fmt.Errorf("must be 1 to %d bytes", 4*MaxDocumentSize))
	}
	seen := map[string]bool{string(in.System.ID): true}
	for i, d := range in.Documents {
		if d.ID == "" || d.Version < 1 || seen[string(d.ID)] {
			return fieldError(fmt.Sprintf("documents[%d]", i), errors.New("needs a document id, not listed before, and a version"))
		}
		seen[string(d.ID)] = true
	}
	for i, p := range in.Publications {
		if p.ID == "" || p.Version < 1 || seen[string(p.ID)] {
			return fieldError(fmt.Sprintf("publications[%d]", i), errors.New("needs a publication id, not listed before, and a version"))
		}
		seen[string(p.ID)] = true
	}
	return nil
}

// Signoff is a request that the parties to a matrix sign it.
type Signoff struct {
	ID         SignoffID   `json:"id"`
	Org        OrgID       `json:"org"`
	System     DocumentRef `json:"system"`
	Framework  FrameworkID `json:"framework"`
	MatrixHash ContentHash `json:"matrix_hash"`
	// Documents holds every document of Org the matrix was computed from,
	// the system included.
	Documents    []DocumentRef    `json:"documents"`
	Publications []PublicationRef `json:"publications,omitempty"`
	// Parties are the organisations that must sign: Org first, then the
	// publishers.
	Parties     []OrgID     `json:"parties"`
	Signatures  []Signature `json:"signatures,omitempty"`
	RequestedBy MemberID    `json:"requested_by,omitempty"`
	Created     time.Time   `json:"created"`
	// Stale is when a document or publication the matrix was computed from
	// changed; StaleReason says which.
	Stale       time.Time `json:"stale,omitzero"`
	StaleReason string    `json:"stale_reason,omitempty"`
}

// SignoffState is where a sign-off stands.
type SignoffState string

// Sign-off states.
const (
	SignoffPending  SignoffState = "pending"  // some party has not signed
	SignoffComplete SignoffState = "complete" // every party signed, nothing changed since
	SignoffStale    SignoffState = "stale"    // the matrix is out of date
)

// State returns where the sign-off stands.
func (s *Signoff) State() SignoffState {
	if !s.Stale.IsZero() {
		return SignoffStale
	}
	for _, p := range s.Parties {
		if !s.SignedBy(p) {
			return SignoffPending
		}
	}
	return SignoffComplete
}

// SignedBy reports whether a member of org has signed.
func (s *Signoff) SignedBy(org OrgID) bool {
	for _, sig := range s.Signatures {
		if sig.Org == org {
			return true
		}
	}
	return false
}

// Signature is one member's signature on a sign-off, with who the member
// was when signing.
type Signature struct {
	Org        OrgID       `json:"org"`
	Member     MemberID    `json:"member"`
	Email      string      `json:"email"`
	Name       string      `json:"name"`
	Role       Role        `json:"role"`
	MatrixHash ContentHash `json:"matrix_hash"`
	Signed     time.Time   `json:"signed"`
}

// SignoffFilter selects sign-offs.
type SignoffFilter struct {
	System DocumentID // empty: every system
	Page   Page
}

// Action names what an audit event records.
type Action string

// Actions the stores record.
const (
	ActionOrgCreate          Action = "org.create"
	ActionOrgUpdate          Action = "org.update"
	ActionMemberAdd          Action = "member.add"
	ActionMemberUpdate       Action = "member.update"
	ActionMemberRemove       Action = "member.remove"
	ActionTokenCreate        Action = "token.create"
	ActionTokenRevoke        Action = "token.revoke"
	ActionDocumentCreate     Action = "document.create"
	ActionDocumentUpdate     Action = "document.update"
	ActionDocumentDelete     Action = "document.delete"
	ActionPublish            Action = "publication.publish"
	ActionWithdraw           Action = "publication.withdraw"
	ActionSubscribe          Action = "subscription.create"
	ActionSubscriptionNews   Action = "subscription.published"
	ActionSubscriptionReview Action = "subscription.acknowledge"
	ActionUnsubscribe        Action = "subscription.delete"
	ActionSignoffRequest     Action = "signoff.request"
	ActionSignoffSign        Action = "signoff.sign"
	ActionSignoffStale       Action = "signoff.stale"
)

// Event is one entry of an organisation's audit trail. Seq numbers an
// organisation's events from 1; Prev is the Hash of the event before (empty
// for the first) and Hash covers every other field but Seq, so that the
// chain, not the numbering, fixes the order.
type Event struct {
	Org    OrgID       `json:"org"`
	Seq    int64       `json:"seq"`
	Time   time.Time   `json:"time"`
	Actor  Actor       `json:"actor"`
	Action Action      `json:"action"`
	Object string      `json:"object"` // kind/id, e.g. "document/doc_01…"
	Before ContentHash `json:"before,omitempty"`
	After  ContentHash `json:"after,omitempty"`
	Detail string      `json:"detail,omitempty"`
	Prev   string      `json:"prev"`
	Hash   string      `json:"hash"`
}

// ComputeHash returns the hash e should carry: SHA-256, in hex, over a
// length-prefixed encoding of every field but Seq and Hash, with Time in
// UTC to the microsecond.
func (e *Event) ComputeHash() string {
	h := sha256.New()
	var n [8]byte
	for _, f := range []string{
		"demarc-audit-v1",
		string(e.Org),
		e.Time.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano),
		string(e.Actor.Member),
		string(e.Actor.Token),
		string(e.Action),
		e.Object,
		string(e.Before),
		string(e.After),
		e.Detail,
		e.Prev,
	} {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// EventFilter selects audit events.
type EventFilter struct {
	After  int64  // events with Seq > After
	Limit  int    // 0: DefaultPageSize; at most MaxPageSize
	Action Action // empty: every action
	Object string // empty: every object
}

// ChainHead is the last event of a chain, which stores keep apart from the
// events so that removing the newest events is noticed too. Publishing the
// head elsewhere (a ticket, a signed e-mail) anchors the whole chain.
type ChainHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// AuditReport is the outcome of verifying a chain.
type AuditReport struct {
	Org      OrgID          `json:"org"`
	Events   int64          `json:"events"`
	Head     ChainHead      `json:"head"`
	Problems []AuditProblem `json:"problems,omitempty"`
}

// OK reports whether the chain is intact.
func (r *AuditReport) OK() bool { return len(r.Problems) == 0 }

// Tamper kinds an audit problem names.
const (
	TamperAltered   = "altered"   // fields no longer match the hash
	TamperRemoved   = "removed"   // an event is missing
	TamperReordered = "reordered" // stored out of chain order
	TamperInserted  = "inserted"  // not part of the chain
	TamperBroken    = "broken"    // the chain breaks: altered and re-hashed, or removed and renumbered
)

// AuditProblem names one event that fails verification.
type AuditProblem struct {
	Seq     int64  `json:"seq"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

func (p AuditProblem) String() string {
	return fmt.Sprintf("event %d: %s: %s", p.Seq, p.Kind, p.Message)
}

// ChainVerifier checks an audit chain fed to it in Seq order. It keeps
// the hashes of every event, a few hundred bytes each, to find where a
// reordered or forked event belongs.
type ChainVerifier struct {
	org      OrgID
	digests  []digest
	problems []AuditProblem
	reported map[problemKey]bool
}

type digest struct {
	seq        int64
	prev, hash string
}

// NewChainVerifier returns a verifier for org's chain.
func NewChainVerifier(org OrgID) *ChainVerifier { return &ChainVerifier{org: org} }

// Add checks one event's own hash and remembers its links.
func (v *ChainVerifier) Add(e *Event) {
	if e.Org != v.org {
		v.problem(e.Seq, TamperInserted, fmt.Sprintf("belongs to organisation %s, not %s", e.Org, v.org))
	} else if got := e.ComputeHash(); got != e.Hash {
		v.problem(e.Seq, TamperAltered, fmt.Sprintf("%s on %s at %s no longer matches its hash", e.Action, e.Object, e.Time.UTC().Format(time.RFC3339)))
	}
	v.digests = append(v.digests, digest{seq: e.Seq, prev: e.Prev, hash: e.Hash})
}

// Finish checks the numbering and the links between the events and
// against the head the store recorded, and returns the report.
func (v *ChainVerifier) Finish(head ChainHead) *AuditReport {
	v.checkNumbering()
	// The newest event by number must be there, and the chain must end
	// in the event the head names.
	var stored int64
	if len(v.digests) > 0 {
		stored = v.digests[len(v.digests)-1].seq
	}
	end := digest{}
	if i := v.checkLinks(); i >= 0 {
		end = v.digests[i]
	}
	switch {
	case head.Seq > stored:
		v.problem(stored+1, TamperRemoved, fmt.Sprintf("the chain head records %d events; events %d to %d are missing", head.Seq, stored+1, head.Seq))
	case head.Seq < stored:
		v.problem(head.Seq+1, TamperInserted, fmt.Sprintf("the chain head records %d events; later events were added outside the store", head.Seq))
	case head.Hash != end.hash:
		v.problem(end.seq, TamperBroken, "differs from the chain head the store recorded: altered and re-hashed")
	}
	sort.SliceStable(v.problems, func(i, j int) bool { return v.problems[i].Seq < v.problems[j].Seq })
	return &AuditReport{Org: v.org, Events: int64(len(v.digests)), Head: head, Problems: v.problems}
}

// problem records a finding, once per event and kind: the first
// message is the most specific.
func (v *ChainVerifier) problem(seq int64, kind, msg string) {
	key := problemKey{seq, kind}
	if v.reported[key] {
		return
	}
	if v.reported == nil {
		v.reported = map[problemKey]bool{}
	}
	v.reported[key] = true
	v.problems = append(v.problems, AuditProblem{Seq: seq, Kind: kind, Message: msg})
}

type problemKey struct {
	seq  int64
	kind string
}

// checkNumbering reports gaps in Seq: removed events.
func (v *ChainVerifier) checkNumbering() {
	want := int64(1)
	for _, d := range v.digests {
		switch {
		case d.seq == want+1:
			v.problem(want, TamperRemoved, "is missing")
		case d.seq > want:
			v.problem(want, TamperRemoved, fmt.Sprintf("events %d to %d are missing", want, d.seq-1))
		}
		want = d.seq + 1
	}
}

// checkLinks follows Prev and returns the index of the event the chain
// ends with (-1 for none). The chain order is found by walking the links
// from each event whose predecessor is the genesis or is not stored;
// events stored elsewhere than the chain puts them are reordered. A link
// to nothing is a break, unless a gap in the numbering explains it.
func (v *ChainVerifier) checkLinks() int {
	d := v.digests
	byHash := make(map[string]int, len(d))
	next := make(map[string]int, len(d)) // prev hash → the event that follows it
	copies := map[int]bool{}
	for i, x := range d {
		if j, dup := byHash[x.hash]; dup {
			v.problem(x.seq, TamperInserted, fmt.Sprintf("is a copy of event %d", d[j].seq))
			copies[i] = true
			continue
		}
		byHash[x.hash] = i
		if _, fork := next[x.prev]; !fork {
			next[x.prev] = i
		}
	}
	pos := make([]int, len(d)) // chain position of each stored event
	for i := range pos {
		pos[i] = -1
	}
	order, last := 0, -1
	for i, x := range d {
		if _, ok := byHash[x.prev]; copies[i] || ok && x.prev != "" {
			continue
		}
		for j := i; pos[j] < 0; {
			pos[j], last = order, j
			order++
			k, ok := next[d[j].hash]
			if !ok {
				break
			}
			j = k
		}
	}
	for i, x := range d {
		switch {
		case copies[i]:
		case pos[i] < 0:
			v.problem(x.seq, TamperInserted, "is not on the chain: it shares its predecessor with another event")
		case pos[i] != i:
			v.problem(x.seq, TamperReordered, fmt.Sprintf("is stored at position %d but the chain puts it at position %d", i+1, pos[i]+1))
		}
	}
	for i := 1; i < len(d); i++ {
		x, before := d[i], d[i-1]
		if pos[i] != i || pos[i-1] != i-1 || x.prev == before.hash || x.seq != before.seq+1 {
			continue // in place and linked, or explained by a reorder or a numbering gap
		}
		v.problem(before.seq, TamperBroken, fmt.Sprintf("event %d records a different hash for it: it was altered and re-hashed, or events between %d and %d were removed and the rest renumbered", x.seq, before.seq, x.seq))
	}
	if len(d) > 0 && d[0].prev != "" && d[0].seq == 1 && pos[0] == 0 {
		v.problem(1, TamperBroken, "is the first event but names a predecessor: earlier events were removed and the rest renumbered")
	}
	return last
}

// Change is a notification that an audit event was committed, for caches
// and subscribers to react to.
type Change struct {
	Org    OrgID  `json:"org"`
	Seq    int64  `json:"seq"`
	Action Action `json:"action"`
	Object string `json:"object"`
	// Lost means notifications may have been missed: refresh everything.
	Lost bool `json:"lost,omitempty"`
}

// NewID returns a fresh id with a prefix, e.g. "doc_01jd8x…": 48 bits of
// milliseconds then 80 random bits, in lower-case Crockford base32, so
// that ids sort by creation time. Within one process they strictly
// increase: an id made in the same millisecond as the last one (or after
// the clock went back) is the last one plus one.
func NewID(prefix string) string {
	b := nextID()
	const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	out := make([]byte, 0, len(prefix)+1+26)
	out = append(out, prefix...)
	out = append(out, '_')
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	for i := 25; i >= 0; i-- { // 26 digits × 5 bits = 130 bits, the top two zero
		shift := uint(i * 5)
		var digit uint64
		switch {
		case shift >= 64:
			digit = hi >> (shift - 64)
		case shift > 59:
			digit = lo>>shift | hi<<(64-shift)
		default:
			digit = lo >> shift
		}
		out = append(out, alphabet[digit&31])
	}
	return string(out)
}

var lastID struct {
	sync.Mutex
	b [16]byte
}

// nextID returns the 128 bits of the next id.
func nextID() [16]byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	lastID.Lock()
	defer lastID.Unlock()
	// Same millisecond, or the clock went back: follow the last id.
	if binary.BigEndian.Uint64(b[:8])>>16 <= binary.BigEndian.Uint64(lastID.b[:8])>>16 {
		b = lastID.b
		for i := 15; i >= 6; i-- { // add one to the random part
			b[i]++
			if b[i] != 0 {
				break
			}
		}
	} else {
		rand.Read(b[6:]) // never fails: crypto/rand crashes the program instead
	}
	lastID.b = b
	return b
}

// ValidSlug checks an organisation slug: 1 to 63 lower-case letters,
// digits and hyphens, starting and ending with a letter or digit.
func ValidSlug(s string) error {
	if len(s) == 0 || len(s) > 63 {
		return fmt.Errorf("%q must be 1 to 63 characters", s)
	}
	for i, r := range s {
		alnum := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		if !alnum && (r != '-' || i == 0 || i == len(s)-1) {
			return fmt.Errorf("%q must be lower-case letters, digits and inner hyphens", s)
		}
	}
	return nil
}

func validText(s string, max int) error {
	switch {
	case strings.TrimSpace(s) == "":
		return errors.New("is required")
	case len(s) > max:
		return fmt.Errorf("must be at most %d bytes", max)
	case !utf8.ValidString(s):
		return errors.New("is not valid UTF-8")
	case strings.TrimSpace(s) != s:
		return errors.New("must not start or end with white space")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("must not contain control character %s", strconv.QuoteRune(r))
		}
	}
	return nil
}

func validEmail(s string) error {
	if err := validText(s, 254); err != nil {
		return err
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || at == len(s)-1 || strings.ContainsAny(s, " \t,;<>") {
		return fmt.Errorf("%q is not an e-mail address", s)
	}
	return nil
}

func fieldError(field string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: EInvalid, Message: field + ": " + err.Error()}
}
