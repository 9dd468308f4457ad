package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/postgres"
)

// The pages work the same over PostgreSQL, the scale-out store: a matrix
// with its heat map, the gaps, a system composed and saved, the dashboard
// that sums it up. Runs when DEMARC_TEST_POSTGRES holds a DSN.
func TestPagesOnPostgres(t *testing.T) {
	dsn := os.Getenv("DEMARC_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("set DEMARC_TEST_POSTGRES to a PostgreSQL DSN to run")
	}
	schema := "demarc_web_" + strings.ToLower(demarc.NewID("t")[2+10:])
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
	st, err := postgres.Open(context.Background(), postgres.Config{DSN: dsn, Schema: schema, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := newSiteOn(t, false, st)
	id := s.putSystem("webshop", "serverless-webshop.yaml")
	viewer := s.browserClient(demarc.RoleViewer)
	for _, p := range []struct{ path, want string }{
		{"/o/acme/systems/" + id + "/?framework=nist-800-53-r5", `id="heatmap"`},
		{"/o/acme/systems/" + id + "/gaps", "webshop"},
		{"/o/acme/systems/" + id + "/explain/si-2?framework=nist-800-53-r5", "Reasoning, area by area"},
	} {
		if status, body := page(t, viewer, s.url+p.path); status != http.StatusOK || !strings.Contains(body, p.want) {
			t.Errorf("GET %s: %d, want 200 with %q", p.path, status, p.want)
		}
	}
	editor := s.browserClient(demarc.RoleEditor)
	form := url.Values{"csrf": {s.csrf(editor)}, "name": {"checkout"}, "op": {"save"},
		"components.0.name": {"api"}, "components.0.service": {"aws/lambda"},
		"components.1.name": {"orders"}, "components.1.service": {"aws/dynamodb"}}
	resp, err := editor.PostForm(s.url+"/o/acme/systems/new", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("composing a system: %d", resp.StatusCode)
	}
	if status, body := page(t, viewer, s.url+"/o/acme/"); status != http.StatusOK || !strings.Contains(body, "checkout") || !strings.Contains(body, "webshop") {
		t.Errorf("dashboard: %d, want both systems", status)
	}
}
