package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/render"
	"github.com/demarc-io/demarc/resolve"
	"github.com/demarc-io/demarc/systemfile"
)

func (a *app) diffCommand() *cobra.Command {
	var framework, format string
	var swaps []string
	var df diffFlags
	cmd := &cobra.Command{
		Use:   "diff A.yaml [B.yaml] [--swap COMPONENT=SERVICE]",
		Short: "What moves between parties from one system to another, or in a what-if swap",
		Long: `Compare two system files — two versions, or the same workload on two
providers — or one system against itself with components swapped to other
services (what-if). Lists the components that changed, every area whose
owner or parties change on each component, and every control whose owner
changes, from whom to whom.

Against a server, --system NAME names a system stored there: --from N --to
M compares two of its versions (by default the current one and the one
before), a FILE is compared with version --from (default: the current
one), as are --swap what-ifs.`,
		Example: `  demarc diff examples/lift-and-shift.yaml --swap app-servers=aws/lambda
  demarc diff old.yaml new.yaml --framework iso-27001-2022 --format markdown
  demarc --server https://demarc.example.com diff --system webshop --from 3 --to 4`,
		Annotations: worksOnServer(),
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 2 {
				return usageError{fmt.Errorf("expected one or two system files, got %d", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			rc, err := a.remote()
			if err != nil {
				return err
			}
			if rc == nil {
				if err := localDiffArgs(args, swaps, df); err != nil {
					return err
				}
			}
			f, err := a.format(format, render.Formats)
			if err != nil {
				return err
			}
			if rc != nil {
				return a.remoteDiff(cmd.Context(), rc, args, swaps, framework, df, f)
			}
			d, err := a.diff(args, swaps, framework)
			if err != nil {
				return err
			}
			return render.Report(a.stdout, d, diffTable(d), f, a.options())
		},
	}
	cmd.Flags().StringVarP(&framework, "framework", "f", "", "framework `ID` for control changes (default: the first system's first, else nist-800-53-r5)")
	cmd.Flags().StringVarP(&format, "format", "F", "table", formatFlagHelp(render.Formats))
	cmd.Flags().StringArrayVar(&swaps, "swap", nil, "what-if: use `COMPONENT=SERVICE` instead; repeatable")
	cmd.Flags().StringVarP(&df.system, "system", "s", "", "against a server: the system's `NAME` or id there")
	cmd.Flags().IntVar(&df.from, "from", 0, "against a server: the older `VERSION` (default: the one before --to; with a FILE or --swap, the current one)")
	cmd.Flags().IntVar(&df.to, "to", 0, "against a server: the newer `VERSION` (default: the current one)")
	return cmd
}

// localDiffArgs checks diff's arguments for local files.
func localDiffArgs(args, swaps []string, df diffFlags) error {
	if df.system != "" || df.from != 0 || df.to != 0 {
		return usageError{fmt.Errorf("--system, --from and --to name a system and its versions on a server, and none is configured: give --server URL, set %s, or run demarc login", envServer)}
	}
	if len(args) == 0 {
		return usageError{fmt.Errorf("expected one or two system files, got %d", len(args))}
	}
	if len(args) == 1 && len(swaps) == 0 {
		return usageError{fmt.Errorf("with one system file, give at least one --swap COMPONENT=SERVICE")}
	}
	return nil
}

func (a *app) diff(args, swaps []string, framework string) (*analyze.Diff, error) {
	lib, err := a.library()
	if err != nil {
		return nil, err
	}
	from, err := systemfile.Load(args[0], lib)
	if err != nil {
		return nil, err
	}
	to := from
	if len(args) == 2 {
		if to, err = systemfile.Load(args[1], lib); err != nil {
			return nil, err
		}
	}
	return a.compareSystems(lib, from, to, swaps, framework)
}

// compareSystems says what moves from one system to another with swaps
// applied to the second.
func (a *app) compareSystems(lib *library.Library, from, to *demarc.System, swaps []string, framework string) (*analyze.Diff, error) {
	var err error
	for _, s := range swaps {
		comp, svc, ok := strings.Cut(s, "=")
		if !ok || comp == "" || svc == "" {
			return nil, usageError{fmt.Errorf("--swap %q: expected COMPONENT=SERVICE", s)}
		}
		if to, err = analyze.Swap(to, comp, demarc.ServiceID(svc)); err != nil {
			return nil, err
		}
	}
	if err := systemfile.Check(to, lib).Err(); err != nil {
		return nil, err
	}
	fw, err := a.pickFramework(lib, from, framework)
	if err != nil {
		return nil, err
	}
	engine := resolve.New(lib)
	ra, err := engine.Resolve(from)
	if err != nil {
		return nil, err
	}
	rb, err := engine.Resolve(to)
	if err != nil {
		return nil, err
	}
	return analyze.Compare(ra, rb, fw), nil
}

func diffTable(d *analyze.Diff) *render.Tabular {
	t := &render.Tabular{
		Title:  fmt.Sprintf("Diff — %s → %s (%s)", d.From, d.To, d.Framework),
		Header: []string{"what", "where", "from", "to"},
	}
	var moves []string
	for _, k := range sortedMoves(d.Moves) {
		moves = append(moves, fmt.Sprintf("%d %s", d.Moves[k], k))
	}
	t.Summary = fmt.Sprintf("%d area changes (%s); %d controls change owner", len(d.Areas), orNone(strings.Join(moves, ", ")), len(d.Controls))
	for _, c := range d.Components.Changed {
		t.Rows = append(t.Rows, []string{"component", c.Component, string(c.From), string(c.To)})
	}
	for _, c := range d.Components.Added {
		t.Rows = append(t.Rows, []string{"component", c, "", "added"})
	}
	for _, c := range d.Components.Removed {
		t.Rows = append(t.Rows, []string{"component", c, "removed", ""})
	}
	for _, c := range d.Areas {
		t.Rows = append(t.Rows, []string{string(c.Area), c.Component, fmt.Sprintf("%s (%s)", c.From, strings.Join(c.FromParts, ", ")), fmt.Sprintf("%s (%s)", c.To, strings.Join(c.ToParts, ", "))})
	}
	for _, c := range d.Controls {
		t.Rows = append(t.Rows, []string{"control " + string(c.ID), c.Title, string(c.From), string(c.To)})
	}
	return t
}

func sortedMoves(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if m[keys[j]] > m[keys[i]] || m[keys[j]] == m[keys[i]] && keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}
