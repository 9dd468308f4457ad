package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/check"
	"github.com/demarc-io/demarc/render"
	"github.com/demarc-io/demarc/snapshot"
)

func init() {
	extraCommands = append(extraCommands, (*app).policyCommand)
	validators = append(validators, validatePolicyFile)
}

func (a *app) policyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "List, test and describe the policies 'demarc check' runs",
		Long: `Policies are YAML files: each policy names the responsibility areas it
evidences, the resource types it matches, a CEL expression per type that is
true when a resource complies, a message, a remediation, and examples.
'demarc policy schema' prints the file format's JSON Schema.`,
	}
	cmd.AddCommand(a.policyListCommand(), a.policyTestCommand(), a.policySchemaCommand())
	return cmd
}

func (a *app) policyListCommand() *cobra.Command {
	var format, provider, area string
	var paths []string
	var noBuiltin bool
	cmd := &cobra.Command{
		Use:   "list [--policy FILE ...]",
		Short: "List the policies: id, severity, areas, resource types",
		Example: `  demarc policy list
  demarc policy list --provider azure --format markdown
  demarc policy list --area data.encryption-at-rest
  demarc policy list --no-builtin --policy ./our-policies/`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			f, err := a.format(format, render.Formats)
			if err != nil {
				return err
			}
			set, problems, err := a.policySet(paths, noBuiltin)
			if err != nil {
				return err
			}
			l := policyListing(set.Policies(), provider, area, f == render.Table)
			if err := render.List(a.stdout, l, f, a.options()); err != nil {
				return err
			}
			return problems.Err()
		},
	}
	cmd.Flags().StringVarP(&format, "format", "F", "table", formatFlagHelp(render.Formats))
	cmd.Flags().StringVar(&provider, "provider", "", "only policies for `PROVIDER` (aws, azure, gcp, kubernetes)")
	cmd.Flags().StringVar(&area, "area", "", "only policies that evidence `AREA`")
	cmd.Flags().StringArrayVar(&paths, "policy", nil, "extra policy `FILE` or folder; repeatable")
	cmd.Flags().BoolVar(&noBuiltin, "no-builtin", false, "list only the --policy policies")
	return cmd
}

// policyListing lists the policies that match the filters; a terminal
// table leaves out the long type and counterpart columns.
func policyListing(policies []*check.Policy, provider, area string, narrow bool) *render.Listing {
	l := &render.Listing{Kind: "policies", Header: []string{"id", "severity", "areas", "types", "counterpart", "title"}}
	if narrow {
		l.Header = []string{"id", "severity", "areas", "title"}
	}
	for _, p := range policies {
		if !policyMatches(p, provider, area) {
			continue
		}
		row := []string{p.ID, string(p.Severity), areaList(p.Areas), strings.Join(p.Types(), " "), p.Counterpart, p.Title}
		if narrow {
			row = []string{p.ID, string(p.Severity), areaList(p.Areas), p.Title}
		}
		l.Rows = append(l.Rows, row)
	}
	return l
}

// policyMatches filters the listing by provider (from the resource types'
// vocabulary) and area.
func policyMatches(p *check.Policy, provider, area string) bool {
	if area != "" {
		found := false
		for _, a := range p.Areas {
			found = found || string(a) == area
		}
		if !found {
			return false
		}
	}
	if provider == "" {
		return true
	}
	for _, t := range p.Types() {
		if providerOfType(t) == provider {
			return true
		}
	}
	return false
}

// providerOfType names the platform a resource type belongs to.
func providerOfType(t string) string {
	switch {
	case strings.HasPrefix(t, "aws_"), strings.HasPrefix(t, "AWS::"):
		return "aws"
	case strings.HasPrefix(t, "azurerm_"), strings.HasPrefix(t, "azuread_"), strings.HasPrefix(t, "microsoft."):
		return "azure"
	case strings.HasPrefix(t, "google_"), strings.Contains(t, ".googleapis.com/"):
		return "gcp"
	case strings.Contains(t, "/"):
		return "kubernetes"
	}
	return ""
}

func areaList(as []demarc.AreaID) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, " ")
}

func (a *app) policyTestCommand() *cobra.Command {
	var verbose bool
	cmd := &cobra.Command{
		Use:   "test [FILE ...]",
		Short: "Run the policies' own examples (the built-in pack when no file is given)",
		Long: `Evaluate every example of every policy and compare the verdict with the
example's "expect": pass, fail, indeterminate or not-applicable. Snippet
examples (terraform, cloudformation, kubernetes …) are read as 'demarc
check' reads files. Exits 2 when a policy does not load or an example does
not judge as expected.`,
		Example: `  demarc policy test
  demarc policy test our-policies/*.yaml -v`,
		RunE: func(cmd *cobra.Command, args []string) error {
			set, problems, err := a.testSet(args)
			if err != nil {
				return err
			}
			results := check.RunExamples(cmd.Context(), set, snapshot.ParseBytes)
			if err := writeExampleResults(a.stdout, results, verbose); err != nil {
				return err
			}
			return exampleOutcome(results, problems)
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "list every example, not only those that fail")
	return cmd
}

// testSet loads the policies to test: the files given, or the built-in
// pack.
func (a *app) testSet(files []string) (*check.PolicySet, demarc.Problems, error) {
	if len(files) == 0 {
		set, err := check.Builtin()
		return set, nil, err
	}
	lib, err := a.library()
	if err != nil {
		return nil, nil, err
	}
	set, problems := check.Load(files, check.LoadOptions{KnownArea: knownArea(lib)})
	return set, problems, nil
}

func writeExampleResults(w io.Writer, results []check.ExampleResult, verbose bool) error {
	var b strings.Builder
	passed, failed, skipped := 0, 0, 0
	for _, r := range results {
		name := r.Example.Name
		if name == "" {
			name = "expect " + string(r.Example.Expect)
		}
		switch {
		case r.Skipped:
			skipped++
			if verbose {
				fmt.Fprintf(&b, "SKIP  %s  %s: %s (%s)\n", r.Policy.ID, r.Example.Pos, name, r.Detail)
			}
		case r.OK:
			passed++
			if verbose {
				fmt.Fprintf(&b, "ok    %s  %s: %s\n", r.Policy.ID, r.Example.Pos, name)
			}
		default:
			failed++
			fmt.Fprintf(&b, "FAIL  %s  %s: %s: got %s, want %s", r.Policy.ID, r.Example.Pos, name, r.Got, r.Example.Expect)
			if r.Detail != "" {
				fmt.Fprintf(&b, " (%s)", r.Detail)
			}
			b.WriteByte('\n')
		}
	}
	fmt.Fprintf(&b, "%d examples: %d passed, %d failed, %d skipped\n", len(results), passed, failed, skipped)
	_, err := io.WriteString(w, b.String())
	return err
}

func exampleOutcome(results []check.ExampleResult, problems demarc.Problems) error {
	failed := 0
	for _, r := range results {
		if !r.OK && !r.Skipped {
			failed++
		}
	}
	switch {
	case len(problems) > 0 && failed > 0:
		return &demarc.Error{Code: demarc.EInvalid, Message: fmt.Sprintf("%d examples failed, and some policies did not load", failed), Err: problems}
	case len(problems) > 0:
		return problems.Err()
	case failed > 0:
		return demarc.Errorf(demarc.EInvalid, "%d of %d examples failed", failed, len(results))
	}
	return nil
}

func (a *app) policySchemaCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of policy files, for editors",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			_, err := io.WriteString(a.stdout, check.SchemaJSON())
			return err
		},
	}
}

// validatePolicyFile lets 'demarc validate' check policy files: those
// whose top-level key is "policies".
func validatePolicyFile(a *app, path string, data []byte) (fileReport, bool) {
	if !isPolicyFile(data) {
		return fileReport{}, false
	}
	r := fileReport{File: path, Kind: "policies"}
	lib, err := a.library()
	if err != nil {
		r.Problems = demarc.Problems{{Pos: demarc.Position{File: path}, Message: err.Error()}}
		return r, true
	}
	set, problems := check.Parse(path, data, check.LoadOptions{KnownArea: knownArea(lib)})
	r.Problems = problems
	r.Valid = len(problems) == 0
	r.Summary = fmt.Sprintf("%d policies", len(set.Policies()))
	return r, true
}

// isPolicyFile reports whether the first top-level key of a YAML file is
// "policies".
func isPolicyFile(data []byte) bool {
	for _, line := range bytes.Split(data, []byte("\n")) {
		s := strings.TrimSpace(string(line))
		if s == "" || strings.HasPrefix(s, "#") || s == "---" {
			continue
		}
		return strings.HasPrefix(string(line), "policies:")
	}
	return false
}
