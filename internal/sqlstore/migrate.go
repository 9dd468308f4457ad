package sqlstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/demarc-io/demarc"
)

// Migrations are embedded SQL files named NNNN_name.sql, shared by every
// dialect, or NNNN_name.<dialect>.sql when a step must differ; then every
// dialect needs its own file for that version. {{bytes}} in a file stands
// for the dialect's binary column type.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)(?:\.([a-z]+))?\.sql$`)

// Migrations returns the steps for dialect, in order. Versions must run
// 1, 2, 3 … with no gap.
func Migrations(d Dialect) ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	byVersion := map[int]Migration{}
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql or NNNN_name.dialect.sql", e.Name())
		}
		if m[3] != "" && m[3] != d.Name {
			continue
		}
		v, err := strconv.Atoi(m[1])
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", e.Name(), err)
		}
		if prev, dup := byVersion[v]; dup {
			return nil, fmt.Errorf("migration %s: version %d is also %s", e.Name(), v, prev.Name)
		}
		text, err := fs.ReadFile(migrationFiles, "migrations/"+e.Name())
		if err != nil {
			return nil, err
		}
		sql, err := render(string(text), d)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", e.Name(), err)
		}
		byVersion[v] = Migration{Version: v, Name: m[2], SQL: sql}
	}
	out := make([]Migration, 0, len(byVersion))
	for _, m := range byVersion {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %04d_%s: expected version %d for dialect %s", m.Version, m.Name, i+1, d.Name)
		}
	}
	return out, nil
}

func render(sql string, d Dialect) (string, error) {
	sql = strings.ReplaceAll(sql, "{{bytes}}", d.Bytes)
	if i := strings.Index(sql, "{{"); i >= 0 {
		end := min(len(sql), i+20)
		return "", fmt.Errorf("unknown placeholder at %q", sql[i:end])
	}
	return sql, nil
}

// migrate brings the schema up to date in one transaction, so that a
// failed step leaves the database as it was.
func (s *Store) migrate(ctx context.Context) error {
	steps, err := Migrations(s.d)
	if err != nil {
		return &demarc.Error{Code: demarc.EInternal, Op: "migrate", Message: "embedded migrations are broken", Err: err}
	}
	tx, err := s.b.Begin(ctx, Write)
	if err != nil {
		return s.fail("migrate", err)
	}
	if err := s.applyMigrations(ctx, tx, steps); err != nil {
		return s.fail("migrate", errors.Join(err, rollback(tx)))
	}
	if err := tx.Commit(ctx); err != nil {
		return s.fail("migrate", err)
	}
	return nil
}

func (s *Store) applyMigrations(ctx context.Context, tx Tx, steps []Migration) error {
	if s.d.MigrationLock != "" {
		if _, err := tx.Exec(ctx, s.d.MigrationLock); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at BIGINT NOT NULL
	)`)
	if err != nil {
		return err
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return err
	}
	if current > len(steps) {
		return invalid("the database is at schema version %d but this demarc knows only %d: upgrade demarc", current, len(steps))
	}
	for _, m := range steps[current:] {
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("apply migration %04d_%s: %w", m.Version, m.Name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, m.Version, m.Name, micros(now())); err != nil {
			return err
		}
	}
	return nil
}

// SchemaVersion returns the schema version the database is at.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.readOne(ctx, "schema version", func(tx Tx) error {
		return tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	})
	return v, err
}
