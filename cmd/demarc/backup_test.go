package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// backup copies a live database consistently; restore puts a copy back,
// but not over a database in use; PostgreSQL users are told about
// pg_dump.
func TestBackupAndRestore(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "demarc.db")
	base, token, stop := serveInProcess(t, "--db", db)
	// Back up while the server runs.
	backup := filepath.Join(dir, "backup.db")
	if _, errb, code := runDemarc("backup", backup, "--db", db); code != 0 || !strings.Contains(errb, "wrote "+backup) {
		t.Fatalf("backup: exit %d %s", code, errb)
	}
	if _, errb, code := runDemarc("backup", backup, "--db", db); code != exitInvalid || !strings.Contains(errb, "already exists") {
		t.Fatalf("backup over an existing file: exit %d %s", code, errb)
	}
	if _, errb, code := runDemarc("restore", backup, "--db", db); code != exitInvalid || !strings.Contains(errb, "looks in use") {
		t.Fatalf("restore over a database in use: exit %d %s", code, errb)
	}
	if code, _ := httpGet(t, base+"/api/v1/orgs/default", token); code != 200 {
		t.Fatal("the server stopped serving during the backup")
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	if _, errb, code := runDemarc("restore", backup, "--db", db); code != 0 {
		t.Fatalf("restore: exit %d %s", code, errb)
	}
	if out, errb, code := runDemarc("audit", "verify", "--db", db); code != 0 || !strings.Contains(out, "default: 3 events, chain intact") {
		t.Fatalf("audit of the restored database: exit %d\n%s%s", code, out, errb)
	}
	base, _, stop = serveInProcess(t, "--db", db)
	if code, _ := httpGet(t, base+"/api/v1/orgs/default", token); code != 200 {
		t.Fatal("the owner token does not work on the restored database")
	}
	stop()
	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errb, code := runDemarc("restore", junk, "--db", filepath.Join(dir, "new.db")); code == 0 || !strings.Contains(errb, "not a usable demarc backup") {
		t.Fatalf("restore of junk: exit %d %s", code, errb)
	}
	if _, errb, code := runDemarc("backup", filepath.Join(dir, "x.dump"), "--postgres", "postgres://x"); code != exitUsage || !strings.Contains(errb, "pg_dump --format=custom") {
		t.Fatalf("backup --postgres: exit %d %s", code, errb)
	}
}
