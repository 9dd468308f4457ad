package postgres_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/postgres"
	"github.com/demarc-io/demarc/storetest"
)

// dsn is the test database; without it these tests skip.
func dsn(t testing.TB) string {
	t.Helper()
	d := os.Getenv("DEMARC_TEST_POSTGRES")
	if d == "" {
		t.Skip("DEMARC_TEST_POSTGRES is not set")
	}
	return d
}

// freshSchema names a schema of the test's own and drops it when the test
// ends, so that tests run in parallel and leave nothing behind.
func freshSchema(t testing.TB) string {
	t.Helper()
	schema := "demarc_test_" + strings.ToLower(time.Now().Format("150405")+"_"+randomSuffix())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn(t))
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

func randomSuffix() string {
	return strings.ToLower(demarc.NewID("x")[2+10:])
}

func openSchema(t testing.TB, schema string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), postgres.Config{DSN: dsn(t), Schema: schema, MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func open(t testing.TB) demarc.Store {
	t.Helper()
	dsn(t)
	return openSchema(t, freshSchema(t))
}

// raw connects to the schema behind s, bypassing the store.
func raw(t testing.TB, s demarc.Store) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = pgx.Identifier{s.(*postgres.Store).Schema()}.Sanitize()
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := conn.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return conn
}

var harness = storetest.Harness{
	Open: open,
	Exec: func(t testing.TB, s demarc.Store, query string, args ...any) {
		t.Helper()
		if _, err := raw(t, s).Exec(context.Background(), query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	},
	Query: func(t testing.TB, s demarc.Store, query string, args ...any) [][]string {
		t.Helper()
		rows, err := raw(t, s).Query(context.Background(), query, args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		var out [][]string
		for rows.Next() {
			values, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			row := make([]string, len(values))
			for i, v := range values {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				row[i] = fmt.Sprint(v)
			}
			out = append(out, row)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	},
	Replica: func(t testing.TB, s demarc.Store) demarc.Store {
		t.Helper()
		return openSchema(t, s.(*postgres.Store).Schema())
	},
}

func TestContract(t *testing.T) { storetest.Run(t, harness) }

func BenchmarkStore(b *testing.B) { storetest.Bench(b, open) }

// Replicas starting together migrate the schema once.
func TestConcurrentOpen(t *testing.T) {
	dsn(t)
	schema := freshSchema(t)
	errs := make(chan error, 4)
	stores := make(chan *postgres.Store, 4)
	for range 4 {
		go func() {
			s, err := postgres.Open(context.Background(), postgres.Config{DSN: dsn(t), Schema: schema})
			errs <- err
			stores <- s
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		s := <-stores
		v, err := s.SchemaVersion(context.Background())
		if err != nil || v < 1 {
			t.Errorf("schema version %d: %v", v, err)
		}
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}
}

// A schema name that needs quoting — capitals, a space, a comma — is
// created and used as one name.
func TestQuotedSchemaName(t *testing.T) {
	dsn(t)
	schema := freshSchema(t) + " Odd, \"Name\""
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), dsn(t))
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Error(err)
		}
	})
	s := openSchema(t, schema)
	org, _, err := s.CreateOrg(context.Background(), demarc.Actor{}, demarc.OrgInput{Slug: "odd", Name: "Odd"}, demarc.MemberInput{Email: "o@odd.example", Name: "O"})
	if err != nil {
		t.Fatal(err)
	}
	rows := harness.Query(t, s, `SELECT id FROM orgs`)
	if len(rows) != 1 || rows[0][0] != string(org.ID) {
		t.Fatalf("rows in the quoted schema: %v", rows)
	}
}

func TestOpenErrors(t *testing.T) {
	_, err := postgres.Open(context.Background(), postgres.Config{DSN: "postgres://%zz"})
	if demarc.ErrorCode(err) != demarc.EInvalid {
		t.Errorf("bad DSN: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = postgres.Open(ctx, postgres.Config{DSN: "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"})
	if demarc.ErrorCode(err) != demarc.EInternal || !strings.Contains(err.Error(), "cannot connect") {
		t.Errorf("no server: %v", err)
	}
}

// A store reports the changes it missed while its listener was cut off,
// and hears changes again once it has reconnected.
func TestListenerReconnects(t *testing.T) {
	s := open(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	changes := s.Watch(ctx)
	conn := raw(t, s)
	// Cut the session listening on this store's channel.
	listen := "LISTEN " + pgx.Identifier{postgres.Channel(s.(*postgres.Store).Schema())}.Sanitize()
	tag, err := conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE pid <> pg_backend_pid() AND datname = current_database() AND query = $1`, listen)
	if err == nil && tag.RowsAffected() != 1 {
		err = fmt.Errorf("found %d listening sessions, want 1", tag.RowsAffected())
	}
	if err != nil {
		t.Fatal(err)
	}
	select {
	case ch := <-changes:
		if !ch.Lost {
			t.Fatalf("first change after the cut = %+v, want Lost", ch)
		}
	case <-ctx.Done():
		t.Fatal("watchers were not told of the cut")
	}
	// Once reconnected (another Lost marks it), changes flow again.
	deadline := time.After(30 * time.Second)
	for {
		org, _, err := s.CreateOrg(ctx, demarc.Actor{}, demarc.OrgInput{Slug: "after-" + randomSuffix(), Name: "After"},
			demarc.MemberInput{Email: "o@after.example", Name: "O"})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case ch := <-changes:
			if ch.Org == org.ID {
				return
			}
		case <-time.After(500 * time.Millisecond):
		case <-deadline:
			t.Fatal("no change heard after reconnecting")
		}
	}
}

// TestCrashKeepsAcknowledgedWrites kills a writing process with SIGKILL
// and checks that every acknowledged write survived.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	if schema := os.Getenv("DEMARC_CRASH_SCHEMA"); schema != "" {
		crashWriter(schema)
		return
	}
	dsn(t)
	if testing.Short() {
		t.Skip("spawns a process")
	}
	schema := freshSchema(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKeepsAcknowledgedWrites$")
	cmd.Env = append(os.Environ(), "DEMARC_CRASH_SCHEMA="+schema)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var org demarc.OrgID
	var acked []demarc.DocumentID
	lines := bufio.NewScanner(out)
	for lines.Scan() && len(acked) < 300 {
		f := strings.Fields(lines.Text())
		switch {
		case len(f) == 2 && f[0] == "org":
			org = demarc.OrgID(f[1])
		case len(f) == 2 && f[0] == "ack":
			acked = append(acked, demarc.DocumentID(f[1]))
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("the writer was not killed")
	}
	if len(acked) < 300 {
		t.Fatalf("the writer acknowledged only %d writes", len(acked))
	}
	s := openSchema(t, schema)
	ctx := context.Background()
	for _, id := range acked {
		if _, err := s.Document(ctx, org, id); err != nil {
			t.Fatalf("acknowledged write %s lost: %v", id, err)
		}
	}
	r, err := s.Verify(ctx, org)
	if err != nil || !r.OK() {
		t.Fatalf("chain after the crash: %+v %v", r, err)
	}
}

func crashWriter(schema string) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, postgres.Config{DSN: os.Getenv("DEMARC_TEST_POSTGRES"), Schema: schema})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	storetest.CrashWriter(ctx, s)
}
