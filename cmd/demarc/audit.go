package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/render"
)

func init() {
	extraCommands = append(extraCommands, (*app).auditCommand)
}

func (a *app) auditCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Check the server's tamper-evident audit trail",
	}
	cmd.AddCommand(a.auditVerifyCommand())
	return cmd
}

func (a *app) auditVerifyCommand() *cobra.Command {
	var sf storeFlags
	var org, format string
	cmd := &cobra.Command{
		Use:   "verify [--db demarc.db | --postgres DSN] [--org SLUG]",
		Short: "Verify every organisation's audit chain and name any event that was altered, removed or reordered",
		Long: `Every change the server makes appends an event to its organisation's
audit trail, hash-chained to the one before, and records the newest event
apart from the chain. verify recomputes every hash and follows every link:
an event whose fields were altered, an event removed or inserted, events
put in another order, or a chain cut short is named by its sequence number.

Exits 0 when every chain is intact and 2 when any is not. Run it against
the live database or a backup.`,
		Example: `  demarc audit verify --db demarc.db
  demarc audit verify --postgres "$DSN" --org acme --format json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := a.format(format, []render.Format{render.Table, render.JSON})
			if err != nil {
				return err
			}
			return a.auditVerify(cmd.Context(), &sf, org, f)
		},
	}
	sf.register(cmd)
	cmd.Flags().StringVar(&org, "org", "", "verify only this organisation (`SLUG` or id)")
	cmd.Flags().StringVarP(&format, "format", "F", "table", "output format: table or json")
	return cmd
}

// auditResult is one organisation's verification.
type auditResult struct {
	Slug   string              `json:"slug"`
	Report *demarc.AuditReport `json:"report"`
}

func (a *app) auditVerify(ctx context.Context, sf *storeFlags, only string, f render.Format) error {
	st, err := sf.openExisting(ctx)
	if err != nil {
		return err
	}
	defer st.close()
	ids, err := st.orgs(ctx)
	if err != nil {
		return err
	}
	if only != "" {
		o, err := findOrg(ctx, st, only)
		if err != nil {
			return err
		}
		ids = []demarc.OrgID{o.ID}
	}
	var results []auditResult
	var broken []string
	for _, id := range ids {
		o, err := st.Org(ctx, id)
		if err != nil {
			return err
		}
		r, err := st.Verify(ctx, id)
		if err != nil {
			return err
		}
		results = append(results, auditResult{Slug: o.Slug, Report: r})
		if !r.OK() {
			broken = append(broken, o.Slug)
		}
	}
	if f == render.JSON {
		if results == nil {
			results = []auditResult{}
		}
		if err := render.WriteJSON(a.stdout, results); err != nil {
			return err
		}
	} else {
		writeAuditText(a, results)
	}
	if len(broken) > 0 {
		return demarc.Errorf(demarc.EConflict, "the audit trail of %s does not verify", strings.Join(broken, ", "))
	}
	return nil
}

func findOrg(ctx context.Context, st demarc.OrgStore, ref string) (*demarc.Org, error) {
	if strings.HasPrefix(ref, "org_") {
		return st.Org(ctx, demarc.OrgID(ref))
	}
	return st.OrgBySlug(ctx, ref)
}

func writeAuditText(a *app, results []auditResult) {
	if len(results) == 0 {
		fmt.Fprintln(a.stdout, "no organisations: nothing to verify")
	}
	for _, r := range results {
		rep := r.Report
		if rep.OK() {
			fmt.Fprintf(a.stdout, "%s: %d events, chain intact (head %d %s)\n", r.Slug, rep.Events, rep.Head.Seq, short(rep.Head.Hash))
			continue
		}
		fmt.Fprintf(a.stdout, "%s: %d events, %d problems:\n", r.Slug, rep.Events, len(rep.Problems))
		for _, p := range rep.Problems {
			fmt.Fprintf(a.stdout, "  %s\n", p)
		}
	}
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
