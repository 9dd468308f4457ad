package server

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/postgres"
	"github.com/demarc-io/demarc/sqlite"
)

// orgLister lists every organisation of a store.
type orgLister = func(context.Context) ([]demarc.OrgID, error)

// backend is a store kind the tests run against.
type backend struct {
	name string
	open func(t testing.TB) (demarc.Store, orgLister)
}

// backends are SQLite always and PostgreSQL when DEMARC_TEST_POSTGRES
// holds a DSN.
func backends(t *testing.T) []backend {
	bs := []backend{{"sqlite", openSQLite}}
	if os.Getenv("DEMARC_TEST_POSTGRES") != "" {
		bs = append(bs, backend{"postgres", openPostgres})
	} else {
		t.Log("DEMARC_TEST_POSTGRES is not set: PostgreSQL is not tested")
	}
	return bs
}

func openSQLite(t testing.TB) (demarc.Store, func(context.Context) ([]demarc.OrgID, error)) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "demarc.db")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return s, func(ctx context.Context) ([]demarc.OrgID, error) {
		rows, err := db.QueryContext(ctx, `SELECT id FROM orgs ORDER BY created_at, id`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var ids []demarc.OrgID
		for rows.Next() {
			var id demarc.OrgID
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		return ids, rows.Err()
	}
}

func openPostgres(t testing.TB) (demarc.Store, func(context.Context) ([]demarc.OrgID, error)) {
	t.Helper()
	schema := "demarc_server_" + strings.ToLower(demarc.NewID("t")[2+10:])
	dropSchema(t, schema)
	return openPostgresSchema(t, schema)
}

// openPostgresSchema opens a store on schema, as one replica.
func openPostgresSchema(t testing.TB, schema string) (demarc.Store, func(context.Context) ([]demarc.OrgID, error)) {
	t.Helper()
	dsn := os.Getenv("DEMARC_TEST_POSTGRES")
	s, err := postgres.Open(context.Background(), postgres.Config{DSN: dsn, Schema: schema, MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, func(ctx context.Context) ([]demarc.OrgID, error) {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return nil, err
		}
		defer conn.Close(ctx)
		rows, err := conn.Query(ctx, `SELECT id FROM `+pgx.Identifier{schema, "orgs"}.Sanitize()+` ORDER BY created_at, id`)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, pgx.RowTo[demarc.OrgID])
	}
}

// dropSchema drops schema when the test ends.
func dropSchema(t testing.TB, schema string) {
	dsn := os.Getenv("DEMARC_TEST_POSTGRES")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
}

// env is a running server over a fresh store.
type env struct {
	t     testing.TB
	store demarc.Store
	srv   *Server
	http  *httptest.Server
	orgs  func(context.Context) ([]demarc.OrgID, error)
}

func newEnv(t testing.TB, b backend, tweak func(*Config)) *env {
	t.Helper()
	st, orgs := b.open(t)
	cfg := Config{Store: st, Orgs: orgs, NoRateLimit: true}
	if b.name == "sqlite" {
		cfg.WriteConcurrency = 1
	}
	if tweak != nil {
		tweak(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})
	return &env{t: t, store: st, srv: srv, http: hs, orgs: orgs}
}

// req is one request a test makes.
type req struct {
	method, path string
	token        string
	body         any // encoded as JSON unless []byte or string
	contentType  string
	headers      map[string]string
}

// resp is the answer.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r *resp) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response is not JSON (%v): %s", err, r.body)
	}
}

// errorCode returns the code of an error body, or "".
func (r *resp) errorCode() string {
	var b ErrorBody
	if json.Unmarshal(r.body, &b) != nil {
		return ""
	}
	return b.Error.Code
}

func (r *resp) String() string {
	b := r.body
	if len(b) > 400 {
		b = append(b[:400:400], "…"...)
	}
	return fmt.Sprintf("%d %s", r.status, b)
}

func (e *env) do(q req) *resp {
	e.t.Helper()
	var body io.Reader
	ctype := q.contentType
	switch b := q.body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	case string:
		body = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		body = bytes.NewReader(data)
		if ctype == "" {
			ctype = "application/json"
		}
	}
	r, err := http.NewRequest(q.method, e.http.URL+q.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	if q.token != "" {
		r.Header.Set("Authorization", "Bearer "+q.token)
	}
	for k, v := range q.headers {
		r.Header.Set(k, v)
	}
	res, err := e.http.Client().Do(r)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return &resp{status: res.StatusCode, header: res.Header, body: data}
}

// must fails unless the response has status.
func (e *env) must(status int, q req) *resp {
	e.t.Helper()
	r := e.do(q)
	if r.status != status {
		e.t.Fatalf("%s %s: got %s, want %d", q.method, q.path, r, status)
	}
	return r
}

// tenant is an organisation with a member and token for every role.
type tenant struct {
	org     *demarc.Org
	members map[demarc.Role]*demarc.Member
	tokens  map[demarc.Role]string
}

func (e *env) tenant(slug string) *tenant {
	e.t.Helper()
	ctx := context.Background()
	org, owner, err := e.store.CreateOrg(ctx, demarc.Actor{}, demarc.OrgInput{Slug: slug, Name: strings.ToUpper(slug[:1]) + slug[1:]},
		demarc.MemberInput{Email: "owner@" + slug + ".example", Name: slug + " owner", Role: demarc.RoleOwner})
	if err != nil {
		e.t.Fatal(err)
	}
	tn := &tenant{org: org, members: map[demarc.Role]*demarc.Member{demarc.RoleOwner: owner}, tokens: map[demarc.Role]string{}}
	for _, role := range demarc.Roles {
		m := owner
		if role != demarc.RoleOwner {
			if m, err = e.store.AddMember(ctx, demarc.Actor{Member: owner.ID}, org.ID, demarc.MemberInput{Email: string(role) + "@" + slug + ".example", Name: slug + " " + string(role), Role: role}); err != nil {
				e.t.Fatal(err)
			}
			tn.members[role] = m
		}
		tn.tokens[role] = e.token(org.ID, m.ID)
	}
	return tn
}

// token makes an API token for a member directly in the store.
func (e *env) token(org demarc.OrgID, member demarc.MemberID) string {
	e.t.Helper()
	secret, hash, hint, err := demarc.NewToken()
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.store.CreateToken(context.Background(), demarc.Actor{Member: member}, org, demarc.TokenInput{Member: member, Name: "test", Hash: hash, Hint: hint}); err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// example reads a file of the repository's examples folder.
func example(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// createDoc creates a document through the API and returns its view.
func (e *env) createDoc(tn *tenant, kind, name, content string) DocumentView {
	e.t.Helper()
	r := e.must(http.StatusCreated, req{method: "POST", path: "/api/v1/orgs/" + tn.org.Slug + "/" + kind, token: tn.tokens[demarc.RoleEditor],
		body: DocumentRequest{Name: name, Content: content}})
	var d DocumentView
	r.json(e.t, &d)
	return d
}

// webshop creates the serverless web shop example with its attestation
// register, as a user would upload them.
func (e *env) webshop(tn *tenant) DocumentView {
	e.t.Helper()
	e.createDoc(tn, "attestations", "attestations/aws-sample.yaml", example(e.t, "attestations/aws-sample.yaml"))
	return e.createDoc(tn, "systems", "webshop", example(e.t, "serverless-webshop.yaml"))
}

// rawSQLite opens the SQLite file behind an env, bypassing the store.
func rawSQLite(t testing.TB, e *env) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", sqlite.DSN(e.store.(*sqlite.Store).Path()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
