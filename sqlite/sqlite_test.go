package sqlite_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/sqlite"
	"github.com/demarc-io/demarc/storetest"
)

func open(t testing.TB) demarc.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "demarc.db"))
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

// raw opens a database/sql handle on the store's file, bypassing it.
func raw(t testing.TB, s demarc.Store) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", sqlite.DSN(s.(*sqlite.Store).Path()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

var harness = storetest.Harness{
	Open: open,
	Exec: func(t testing.TB, s demarc.Store, query string, args ...any) {
		t.Helper()
		if _, err := raw(t, s).Exec(query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	},
	Query: func(t testing.TB, s demarc.Store, query string, args ...any) [][]string {
		t.Helper()
		rows, err := raw(t, s).Query(query, args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		var out [][]string
		for rows.Next() {
			cells := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range cells {
				ptrs[i] = &cells[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			row := make([]string, len(cols))
			for i, c := range cells {
				if b, ok := c.([]byte); ok {
					c = string(b)
				}
				row[i] = fmt.Sprint(c)
			}
			out = append(out, row)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	},
}

func TestContract(t *testing.T) { storetest.Run(t, harness) }

func BenchmarkStore(b *testing.B) { storetest.Bench(b, open) }

// Every connection runs with the settings the package promises.
func TestPragmas(t *testing.T) {
	s := open(t)
	db := raw(t, s)
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"synchronous":  "2", // FULL
		"foreign_keys": "1",
		"busy_timeout": fmt.Sprint(sqlite.BusyTimeout),
	} {
		var got string
		if err := db.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}

// Data survives closing and reopening; reopening applies no migration
// twice.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a b?c#d%e.db") // characters a file: URI must escape
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	org, owner, err := s.CreateOrg(ctx, demarc.Actor{}, demarc.OrgInput{Slug: "acme", Name: "Acme"}, demarc.MemberInput{Email: "o@acme.example", Name: "O"})
	if err != nil {
		t.Fatal(err)
	}
	rev, err := s.CreateDocument(ctx, demarc.Actor{Member: owner.ID}, org.ID, demarc.DocumentInput{Kind: demarc.DocSystem, Name: "web", Content: []byte("name: web\n")})
	if err != nil {
		t.Fatal(err)
	}
	v1, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database is not at the path given: %v", err)
	}
	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Revision(ctx, org.ID, rev.Document, 1)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Content) != "name: web\n" {
		t.Errorf("content after reopening = %q", got.Content)
	}
	v2, err := s.SchemaVersion(ctx)
	if err != nil || v2 != v1 || v1 < 1 {
		t.Errorf("schema version %d after reopening, %d before (%v)", v2, v1, err)
	}
}

// A database from a newer demarc is refused, not damaged.
func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demarc.db")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	harness.Exec(t, s, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from_the_future', 0)`)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = sqlite.Open(context.Background(), path)
	if demarc.ErrorCode(err) != demarc.EInvalid || !strings.Contains(err.Error(), "schema version 999") {
		t.Fatalf("opening a newer database: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	for name, path := range map[string]string{
		"empty path":        "",
		"missing directory": filepath.Join(t.TempDir(), "no", "such", "dir", "demarc.db"),
	} {
		if _, err := sqlite.Open(context.Background(), path); err == nil {
			t.Errorf("%s: opened", name)
		} else if demarc.ErrorCode(err) == "" {
			t.Errorf("%s: %v is not a demarc error", name, err)
		}
	}
}

// Backup copies a live database while writers keep writing; the copy is
// consistent (its audit chains verify) and Restore puts it back.
func TestBackupAndRestore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, filepath.Join(dir, "live.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	org, owner, err := s.CreateOrg(ctx, demarc.Actor{}, demarc.OrgInput{Slug: "acme", Name: "Acme"}, demarc.MemberInput{Email: "o@acme.example", Name: "O"})
	if err != nil {
		t.Fatal(err)
	}
	by := demarc.Actor{Member: owner.ID}
	done := make(chan error)
	go func() {
		for i := range 200 {
			_, err := s.CreateDocument(ctx, by, org.ID, demarc.DocumentInput{Kind: demarc.DocSystem, Name: fmt.Sprintf("sys-%d", i), Content: []byte("x")})
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	backup := filepath.Join(dir, "backup.db")
	if err := s.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := s.Backup(ctx, backup); demarc.ErrorCode(err) != demarc.EConflict {
		t.Errorf("backup over an existing file: %v", err)
	}

	copied, err := sqlite.Open(ctx, backup)
	if err != nil {
		t.Fatal(err)
	}
	r, err := copied.Verify(ctx, org.ID)
	if err != nil || !r.OK() {
		t.Fatalf("the backup's chain: %v %v", r, err)
	}
	docs, _, err := copied.Documents(ctx, org.ID, demarc.DocumentFilter{Page: demarc.Page{Limit: demarc.MaxPageSize}})
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(docs)+2) != r.Events {
		t.Errorf("backup holds %d documents but %d events: not a consistent snapshot", len(docs), r.Events)
	}
	if err := copied.Close(); err != nil {
		t.Fatal(err)
	}

	restored := filepath.Join(dir, "restored.db")
	if err := os.WriteFile(restored, []byte("an old database"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := sqlite.Restore(ctx, backup, restored); err != nil {
		t.Fatal(err)
	}
	back, err := sqlite.Open(ctx, restored)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	r2, err := back.Verify(ctx, org.ID)
	if err != nil || !r2.OK() || r2.Events != r.Events {
		t.Fatalf("restored chain: %+v %v", r2, err)
	}

	notADB := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(notADB, []byte("not a database at all, just some text"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := sqlite.Restore(ctx, notADB, filepath.Join(dir, "x.db")); demarc.ErrorCode(err) != demarc.EInvalid {
		t.Errorf("restoring junk: %v", err)
	}
}

// TestCrashKeepsAcknowledgedWrites runs a writer in a child process,
// kills it with SIGKILL in mid-stream, and checks that every write the
// child saw acknowledged is in the database and the chain verifies.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	if path := os.Getenv("DEMARC_CRASH_WRITER"); path != "" {
		crashWriter(path)
		return
	}
	if testing.Short() {
		t.Skip("spawns a process")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKeepsAcknowledgedWrites$")
	cmd.Env = append(os.Environ(), "DEMARC_CRASH_WRITER="+path)
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
	for lines.Scan() {
		f := strings.Fields(lines.Text())
		switch {
		case len(f) == 2 && f[0] == "org":
			org = demarc.OrgID(f[1])
		case len(f) == 2 && f[0] == "ack":
			acked = append(acked, demarc.DocumentID(f[1]))
		}
		if len(acked) == 300 {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("the writer was not killed")
	}
	if len(acked) < 300 {
		t.Fatalf("the writer acknowledged only %d writes before it died", len(acked))
	}
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
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

// crashWriter is the child: it writes from several goroutines and prints
// each document id once its write returned.
func crashWriter(path string) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	storetest.CrashWriter(ctx, s)
}

// A database made before sign-off matrices had their own table (schema
// version 1, matrix in the signoffs row) is migrated with every matrix
// intact.
func TestSignoffMatricesMigrate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "demarc.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	org, owner, err := s.CreateOrg(ctx, demarc.Actor{}, demarc.OrgInput{Slug: "acme", Name: "Acme"}, demarc.MemberInput{Email: "o@acme.example", Name: "O", Role: demarc.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	by := demarc.Actor{Member: owner.ID}
	rev, err := s.CreateDocument(ctx, by, org.ID, demarc.DocumentInput{Kind: demarc.DocSystem, Name: "web", Content: []byte("name: web\n")})
	if err != nil {
		t.Fatal(err)
	}
	matrix := []byte(`{"system":"web","controls":[]}`)
	so, err := s.RequestSignoff(ctx, by, org.ID, demarc.SignoffInput{System: demarc.DocumentRef{ID: rev.Document, Version: 1}, Framework: "soc2", Matrix: matrix})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Put the database back in version 1's shape.
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`ALTER TABLE signoffs ADD COLUMN matrix BLOB NOT NULL DEFAULT x''`,
		`UPDATE signoffs SET matrix = (SELECT m.matrix FROM signoff_matrices m WHERE m.signoff_id = signoffs.id)`,
		`DROP TABLE signoff_matrices`,
		`DELETE FROM schema_migrations WHERE version > 1`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.SignoffMatrix(ctx, org.ID, so.ID)
	if err != nil || string(got) != string(matrix) {
		t.Fatalf("matrix after migrating: %q, %v", got, err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v < 2 {
		t.Errorf("schema version %d after migrating (%v)", v, err)
	}
	if _, _, err := s.Signoffs(ctx, org.ID, demarc.SignoffFilter{}); err != nil {
		t.Errorf("listing after migrating: %v", err)
	}
}
