package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/render"
)

func (a *app) incidentCommand() *cobra.Command {
	var f analysisFlags
	var typ string
	cmd := &cobra.Command{
		Use:   "incident --system FILE [--type TYPE]",
		Short: "Who investigates, remediates and communicates each kind of incident",
		Long: `For each incident type (or one, with --type): who investigates, who
remediates and who communicates — derived from the owners of the areas
involved on the system's components — with the customer teams and contract
contacts to call, and the notification deadlines that start: each provider's
contractual notice, and the regulations in scope (named in the system file
or brought in by its frameworks), soonest first.

List the incident types with 'demarc incident --system FILE --format json'
or see library/content/incidents.yaml.`,
		Example: `  demarc incident --system examples/serverless-webshop.yaml --type compromised-cloud-credentials
  demarc incident --system examples/azure-enterprise-app.yaml --format markdown > runbook.md`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := a.format(f.format, render.Formats)
			if err != nil {
				return err
			}
			rc, err := a.remote()
			if err != nil {
				return err
			}
			if rc != nil {
				return a.remoteIncident(cmd.Context(), rc, &f, typ, format)
			}
			an, err := a.analysis(&f)
			if err != nil {
				return err
			}
			plans, err := an.Incidents(typ)
			if err != nil {
				return err
			}
			v := map[string]any{"system": an.Res.System.Name, "incidents": plans}
			return render.Report(a.stdout, v, incidentTable(an.Res.System.Name, an.RegulationsInScope(), plans), format, a.options())
		},
	}
	f.register(cmd, render.Formats)
	cmd.Flags().StringVar(&typ, "type", "", "only this incident `TYPE` (e.g. compromised-cloud-credentials)")
	return cmd
}

// incidentTable lays the plans out as a table, with the regulations in
// scope in its summary.
func incidentTable(system string, inScope []demarc.Regulation, plans []analyze.IncidentPlan) *render.Tabular {
	var regs []string
	for _, r := range inScope {
		regs = append(regs, r.ID)
	}
	t := &render.Tabular{
		Title:   "Incident duties — " + system,
		Summary: fmt.Sprintf("%d incident types; regulations in scope: %s", len(plans), orNone(strings.Join(regs, ", "))),
		Header:  []string{"incident", "investigate", "remediate", "communicate", "first deadlines"},
	}
	for _, p := range plans {
		row := []string{p.Type.Title}
		for _, d := range p.Duties {
			row = append(row, dutyCell(d))
		}
		row = append(row, deadlines(p.Notifications, 3))
		t.Rows = append(t.Rows, row)
		for _, w := range p.Warnings {
			t.Notes = appendNote(t.Notes, w)
		}
	}
	return t
}

func appendNote(notes []string, n string) []string {
	for _, x := range notes {
		if x == n {
			return notes
		}
	}
	return append(notes, n)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// dutyCell renders who carries a duty: "aws; customer (security)".
func dutyCell(d analyze.IncidentDuty) string {
	var parts []string
	for _, p := range d.Parties {
		s := p.Party.Name
		if p.Party.Kind == demarc.PartyCustomer {
			s = "customer"
			if len(p.Teams) > 0 {
				s += " (" + strings.Join(p.Teams, ", ") + ")"
			}
		}
		parts = append(parts, s)
	}
	return string(d.Owner) + ": " + strings.Join(parts, "; ")
}

func deadlines(ns []analyze.NotificationDuty, n int) string {
	var out []string
	for _, x := range ns {
		if len(out) == n {
			out = append(out, fmt.Sprintf("+%d more", len(ns)-n))
			break
		}
		s := fmt.Sprintf("%s → %s: %s (%s)", x.From, x.To, x.Within, x.Source)
		if x.Condition != "" {
			s += " " + x.Condition
		}
		out = append(out, s)
	}
	return strings.Join(out, "; ")
}
