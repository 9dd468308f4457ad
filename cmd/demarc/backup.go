package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/sqlite"
)

func init() {
	extraCommands = append(extraCommands, (*app).backupCommand, (*app).restoreCommand)
}

// postgresBackupHelp is what to do instead for PostgreSQL.
const postgresBackupHelp = `PostgreSQL is backed up with its own tools, which make a consistent copy
of a live database:

  pg_dump --format=custom --schema=SCHEMA --file=demarc.dump "$DSN"
  pg_restore --clean --if-exists --dbname="$DSN" demarc.dump

(leave out --schema when demarc uses the connection's default schema).
Stop every 'demarc serve' replica before pg_restore, then run
'demarc audit verify --postgres "$DSN"' on the restored database.`

func (a *app) backupCommand() *cobra.Command {
	var db, dsn string
	cmd := &cobra.Command{
		Use:   "backup FILE [--db demarc.db]",
		Short: "Copy the server's SQLite database consistently, while it serves",
		Long: `Write a consistent copy of the SQLite database to FILE, which must not
exist. The server may keep running: the copy is taken in one read
transaction, checked with SQLite's integrity check, flushed to disk and
only then moved into place.

` + postgresBackupHelp,
		Example: `  demarc backup demarc-2026-11-25.db
  demarc backup /backups/demarc.db --db /var/lib/demarc/demarc.db`,
		Args: exactArgs(1, "the backup FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dsn != "" || os.Getenv("DEMARC_POSTGRES") != "" {
				return usageError{errors.New("demarc backup copies SQLite databases.\n" + postgresBackupHelp)}
			}
			if _, err := os.Stat(db); err != nil {
				return &demarc.Error{Code: demarc.ENotFound, Message: "no database at " + db + " (give --db FILE)"}
			}
			st, err := sqlite.Open(cmd.Context(), db)
			if err != nil {
				return err
			}
			err = st.Backup(cmd.Context(), args[0])
			if cerr := st.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			info, err := os.Stat(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "wrote %s (%d KB); check it any time with: demarc audit verify --db %s\n", args[0], info.Size()/1024, args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", "demarc.db", "SQLite database `FILE` to back up")
	cmd.Flags().StringVar(&dsn, "postgres", "", "PostgreSQL `DSN`: explains pg_dump instead")
	return cmd
}

func (a *app) restoreCommand() *cobra.Command {
	var db string
	var force bool
	cmd := &cobra.Command{
		Use:   "restore FILE [--db demarc.db]",
		Short: "Put a backup in place of the server's SQLite database (stop the server first)",
		Long: `Replace the SQLite database with the backup in FILE. The backup is
checked first — SQLite's integrity check, and a schema this demarc knows —
and the database is replaced only when it passes. Stop 'demarc serve'
first: a database in use cannot be replaced safely. restore refuses when
the database looks in use (its shared-memory file exists); --force
overrides that after a crash.

` + postgresBackupHelp,
		Example: `  demarc restore demarc-2026-11-25.db --db demarc.db`,
		Args:    exactArgs(1, "the backup FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := os.Stat(db + "-shm"); err == nil && !force {
				return demarc.Errorf(demarc.EConflict, "%s looks in use (%s-shm exists): stop demarc serve first, or give --force if it crashed", db, db)
			}
			if err := sqlite.Restore(cmd.Context(), args[0], db); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "restored %s from %s; check it with: demarc audit verify --db %s\n", db, args[0], db)
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", "demarc.db", "SQLite database `FILE` to replace")
	cmd.Flags().BoolVar(&force, "force", false, "restore even if the database looks in use")
	return cmd
}
