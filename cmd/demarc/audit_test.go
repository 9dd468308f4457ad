package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/sqlite"
)

// seed makes a store with two organisations and a few changes each.
func seed(t *testing.T, path string) (acme, other *demarc.Org) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	mk := func(slug string) *demarc.Org {
		org, owner, err := st.CreateOrg(ctx, demarc.Actor{}, demarc.OrgInput{Slug: slug, Name: slug}, demarc.MemberInput{Email: "o@" + slug + ".example", Name: "O", Role: demarc.RoleOwner})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 4; i++ {
			if _, err := st.CreateDocument(ctx, demarc.Actor{Member: owner.ID}, org.ID, demarc.DocumentInput{Kind: demarc.DocAttestations, Name: "r" + string(rune('a'+i)), Content: []byte("attestations: []\n")}); err != nil {
				t.Fatal(err)
			}
		}
		return org
	}
	return mk("acme"), mk("other")
}

func runDemarc(args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// audit verify passes an intact trail and names the event that was
// altered, removed or reordered behind the store's back, exiting 2.
func TestAuditVerify(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, path string, org demarc.OrgID)
		says   string
	}{
		{"altered", func(t *testing.T, path string, org demarc.OrgID) {
			sqliteExec(t, path, `UPDATE audit_events SET detail = 'nothing to see' WHERE org_id = $1 AND seq = 3`, org)
		}, "event 3: altered"},
		{"removed", func(t *testing.T, path string, org demarc.OrgID) {
			sqliteExec(t, path, `DELETE FROM audit_events WHERE org_id = $1 AND seq = 2`, org)
		}, "event 2: removed"},
		{"newest removed", func(t *testing.T, path string, org demarc.OrgID) {
			sqliteExec(t, path, `DELETE FROM audit_events WHERE org_id = $1 AND seq = 6`, org)
		}, "event 6: removed"},
		{"reordered", func(t *testing.T, path string, org demarc.OrgID) {
			sqliteExec(t, path, `UPDATE audit_events SET seq = -1 WHERE org_id = $1 AND seq = 2`, org)
			sqliteExec(t, path, `UPDATE audit_events SET seq = 2 WHERE org_id = $1 AND seq = 3`, org)
			sqliteExec(t, path, `UPDATE audit_events SET seq = 3 WHERE org_id = $1 AND seq = -1`, org)
		}, "reordered"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "demarc.db")
			acme, _ := seed(t, path)
			out, errb, code := runDemarc("audit", "verify", "--db", path)
			if code != 0 || !strings.Contains(out, "acme: 6 events, chain intact") || !strings.Contains(out, "other: 6 events, chain intact") {
				t.Fatalf("intact: exit %d\n%s%s", code, out, errb)
			}
			c.tamper(t, path, acme.ID)
			out, errb, code = runDemarc("audit", "verify", "--db", path)
			if code != exitInvalid || !strings.Contains(out, c.says) || !strings.Contains(errb, "the audit trail of acme does not verify") {
				t.Fatalf("after tampering: exit %d, want %d naming %q\n%s%s", code, exitInvalid, c.says, out, errb)
			}
			if !strings.Contains(out, "other: 6 events, chain intact") {
				t.Errorf("the untouched organisation is reported broken:\n%s", out)
			}
			out, _, code = runDemarc("audit", "verify", "--db", path, "--org", "other", "--format", "json")
			var results []auditResult
			if err := json.Unmarshal([]byte(out), &results); err != nil || code != 0 || len(results) != 1 || !results[0].Report.OK() {
				t.Fatalf("--org other --format json: exit %d, %v\n%s", code, err, out)
			}
		})
	}
	path := filepath.Join(t.TempDir(), "x.db")
	seed(t, path)
	_, errb, code := runDemarc("audit", "verify", "--db", path, "--org", "nope")
	if code != exitInvalid || !strings.Contains(errb, "nope") {
		t.Errorf("unknown organisation: exit %d, %s", code, errb)
	}
	missing := filepath.Join(t.TempDir(), "missing.db")
	for _, args := range [][]string{{"audit", "verify", "--db", missing}, {"backup", missing + ".bak", "--db", missing}} {
		_, errb, code = runDemarc(args...)
		if code != exitInvalid || !strings.Contains(errb, "no database at "+missing) {
			t.Errorf("%v: exit %d, %s", args, code, errb)
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("a database was created where none was")
	}
}

// dropSchema drops a PostgreSQL schema a test made.
func dropSchema(t *testing.T, dsn, schema string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
	}
}
