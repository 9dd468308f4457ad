package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/check"
	"github.com/demarc-io/demarc/render"
	"github.com/demarc-io/demarc/server"
)

// 'demarc check' against a server uploads the configuration and the
// policy files, which the server checks against the system it stores and
// records as a run; the report is then read back and printed as the local
// command prints it. 'demarc checks' reads the recorded runs.

// maxUpload is the most a check run or an import may send, as the
// server's API documents it: files are read into memory before they are
// sent, so the limit is kept here too rather than found out after
// reading a whole disk.
const maxUpload = 32 << 20

// configExtensions are the endings of the files 'demarc check' reads when
// it finds them in a folder, as snapshot.Walk reads them.
var configExtensions = []string{".json", ".yaml", ".yml", ".template", ".tfstate", ".ndjson", ".jsonl"}

// uploadFile is a local file sent to the server under a relative name.
type uploadFile struct {
	field string // the form field: config or policy
	local string // the path on this machine
	name  string // the name the server knows it by, with forward slashes
	data  []byte
}

// uploadSet collects the files of one request, each file and each name
// once.
type uploadSet struct {
	files []uploadFile
	byKey map[string]string // field/name → local path
	size  int
}

// add reads a file and adds it under the name arg gives it. A file named
// twice is sent once; two files under one name are an error.
func (u *uploadSet) add(field, arg, local string) error {
	name, err := uploadName(arg, local)
	if err != nil {
		return err
	}
	for _, f := range u.files {
		if f.field == field && sameFile(f.local, local) {
			return nil
		}
	}
	key := field + "/" + name
	if prev, ok := u.byKey[key]; ok {
		return usageError{fmt.Errorf("%s and %s would both be sent as %s; give their folders instead, or check them in separate runs", prev, local, name)}
	}
	data, err := readUpload(local, maxUpload-u.size)
	if errors.Is(err, errTooLarge) {
		return demarc.Errorf(demarc.EInvalid, "the files to check are larger than %d MB, the most a server takes in one check run; check fewer files at once", maxUpload>>20)
	}
	if err != nil {
		return err
	}
	u.size += len(data)
	if u.byKey == nil {
		u.byKey = map[string]string{}
	}
	u.byKey[key] = local
	u.files = append(u.files, uploadFile{field: field, local: local, name: name, data: data})
	return nil
}

// errTooLarge is readUpload's error for a file over its limit.
var errTooLarge = errors.New("too large")

// readUpload reads a file to send, of at most limit bytes: errTooLarge
// beyond, without reading the rest.
func readUpload(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &demarc.Error{Code: demarc.ENotFound, Message: "cannot read " + path + "; nothing was sent", Err: unwrapOSCALPathError(err)}
	}
	defer f.Close() // read only: nothing to flush
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	switch {
	case err != nil:
		return nil, &demarc.Error{Code: demarc.EInvalid, Message: "cannot read " + path + "; nothing was sent", Err: unwrapOSCALPathError(err)}
	case len(data) > limit:
		return nil, errTooLarge
	}
	return data, nil
}

func sameFile(a, b string) bool {
	x, errA := os.Stat(a)
	y, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(x, y)
}

// uploadName is the name a file found under the path arg is sent as: its
// path as given, which is what the local command reports it by, when that
// is a relative path inside the working folder; else its path from the
// folder that holds arg, since the server takes relative names only.
func uploadName(arg, local string) (string, error) {
	clean := filepath.Clean(arg)
	if !filepath.IsAbs(clean) && clean != ".." && !strings.HasPrefix(clean, ".."+string(filepath.Separator)) && filepath.VolumeName(clean) == "" {
		return filepath.ToSlash(filepath.Clean(local)), nil
	}
	absArg, err := filepath.Abs(clean)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", arg, err)
	}
	absLocal, err := filepath.Abs(local)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", local, err)
	}
	rel, err := filepath.Rel(filepath.Dir(absArg), absLocal)
	if err != nil {
		return "", fmt.Errorf("name %s relative to %s: %w", local, arg, err)
	}
	return filepath.ToSlash(rel), nil
}

// addConfig adds the configuration under path as 'demarc check' reads it
// locally: a file whatever its name; in a folder, searched recursively,
// each folder's .tf files with its tfvars, and files of the configuration
// formats, skipping hidden folders and node_modules.
func (u *uploadSet) addConfig(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return &demarc.Error{Code: demarc.ENotFound, Message: "cannot read --config " + path + "; nothing was sent", Err: unwrapOSCALPathError(err)}
	}
	if !fi.IsDir() {
		return u.add("config", path, path)
	}
	return u.addConfigDir(path, path)
}

func (u *uploadSet) addConfigDir(arg, dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return &demarc.Error{Code: demarc.ENotFound, Message: "cannot read folder " + dir + "; nothing was sent", Err: unwrapOSCALPathError(err)}
	}
	var found, dirs []string
	for _, e := range entries {
		full := filepath.Join(dir, e.Name())
		switch {
		case e.IsDir():
			if !strings.HasPrefix(e.Name(), ".") && e.Name() != "node_modules" {
				dirs = append(dirs, full)
			}
		case e.Type().IsRegular() || e.Type()&fs.ModeSymlink != 0:
			found = append(found, full)
		}
	}
	var files []string
	if tf, tfvars := moduleFiles(found); len(tf) > 0 {
		files = append(tf, tfvars...)
	}
	for _, f := range found {
		if configFileName(f) {
			files = append(files, f)
		}
	}
	for _, f := range files {
		if err := u.add("config", arg, f); err != nil {
			return err
		}
	}
	for _, d := range dirs {
		if err := u.addConfigDir(arg, d); err != nil {
			return err
		}
	}
	return nil
}

// moduleFiles picks a folder's Terraform module: its .tf files and, when
// there are any, its terraform.tfvars and *.auto.tfvars.
func moduleFiles(names []string) (tf, tfvars []string) {
	for _, n := range names {
		base := filepath.Base(n)
		switch {
		case strings.HasSuffix(base, ".tf"):
			tf = append(tf, n)
		case base == "terraform.tfvars" || base == "terraform.tfvars.json" ||
			strings.HasSuffix(base, ".auto.tfvars") || strings.HasSuffix(base, ".auto.tfvars.json"):
			tfvars = append(tfvars, n)
		}
	}
	return tf, tfvars
}

// configFileName reports whether a file found in a folder is read as
// configuration (variable files belong to their module).
func configFileName(name string) bool {
	base := strings.ToLower(filepath.Base(name))
	if strings.Contains(base, ".tfvars") {
		return false
	}
	for _, ext := range configExtensions {
		if strings.HasSuffix(base, ext) {
			return true
		}
	}
	return false
}

// addPolicies adds policy files as 'demarc check' loads them: files as
// given, folders searched for .yaml and .yml files in name order.
func (u *uploadSet) addPolicies(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return &demarc.Error{Code: demarc.ENotFound, Message: "cannot read --policy " + path + "; nothing was sent", Err: unwrapOSCALPathError(err)}
	}
	if !fi.IsDir() {
		return u.add("policy", path, path)
	}
	var found []string
	err = filepath.WalkDir(path, func(f string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ext := strings.ToLower(filepath.Ext(f)); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
			found = append(found, f)
		}
		return nil
	})
	if err != nil {
		return &demarc.Error{Code: demarc.ENotFound, Message: "cannot read folder " + path + "; nothing was sent", Err: unwrapOSCALPathError(err)}
	}
	sort.Strings(found)
	for _, f := range found {
		if err := u.add("policy", path, f); err != nil {
			return err
		}
	}
	return nil
}

// multipart encodes the files as a multipart/form-data body, each part
// named for its field, with the file's name.
func (u *uploadSet) multipart() ([]byte, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range u.files {
		part, err := w.CreateFormFile(f.field, f.name)
		if err != nil {
			return nil, "", fmt.Errorf("encode upload: %w", err)
		}
		if _, err := part.Write(f.data); err != nil {
			return nil, "", fmt.Errorf("encode upload: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", fmt.Errorf("encode upload: %w", err)
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

// localNames reports the problems the server found against the local
// files they came from.
func (u *uploadSet) localNames(err error) error {
	var re *remoteError
	if !errors.As(err, &re) || len(re.problems) == 0 {
		return err
	}
	local := map[string]string{}
	for _, f := range u.files {
		local[f.name] = f.local
	}
	ps := make(demarc.Problems, len(re.problems))
	for i, p := range re.problems {
		if l, ok := local[p.Pos.File]; ok {
			p.Pos.File = l
		}
		ps[i] = p
	}
	re.msg = ps.Error()
	return re
}

// remoteCheck is 'demarc check' against a server: the run is recorded
// there, and printed here exactly as the local command prints its report.
func (a *app) remoteCheck(ctx context.Context, c *client, f *checkFlags) error {
	format, fail, err := a.checkOutput(f)
	if err != nil {
		return err
	}
	if err := remoteFramework(f.framework, ""); err != nil {
		return err
	}
	if len(a.libraryFiles) > 0 {
		return notOnServer("--library", "the server checks with the organisation's library")
	}
	if f.noBuiltin && len(f.policies) == 0 {
		return usageError{errors.New("--no-builtin leaves no policies; add --policy")}
	}
	var up uploadSet
	for _, p := range f.configs {
		if err := up.addConfig(p); err != nil {
			return err
		}
	}
	if len(up.files) == 0 {
		return demarc.Errorf(demarc.EInvalid, "no configuration files under the --config paths (%s): expected Terraform, CloudFormation, Kubernetes or inventory files; nothing was sent", strings.Join(f.configs, ", "))
	}
	for _, p := range f.policies {
		if err := up.addPolicies(p); err != nil {
			return err
		}
	}
	info, err := a.postChecks(ctx, c, f, &up)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "recorded as check run %d of %s on %s\n", info.Run, f.system, c)
	return a.showRun(ctx, c, f.system, info.Run, format, fail)
}

// postChecks sends the files and returns the run the server recorded.
func (a *app) postChecks(ctx context.Context, c *client, f *checkFlags, up *uploadSet) (*server.CheckRunInfo, error) {
	d, err := c.find(ctx, systemDocs, f.system)
	if err != nil {
		return nil, err
	}
	path, err := c.docPath(ctx, systemDocs, d.ID, "/checks")
	if err != nil {
		return nil, err
	}
	body, contentType, err := up.multipart()
	if err != nil {
		return nil, err
	}
	q := values("framework", f.framework)
	if f.noBuiltin {
		q.Set("builtin", "false")
	}
	res, err := c.do(ctx, request{method: http.MethodPost, path: path, query: q, raw: body, contentType: contentType})
	if err != nil {
		return nil, up.localNames(err)
	}
	var info server.CheckRunInfo
	if err := c.decode(res.body, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// runPath is the API path of a recorded run of the system ref names.
func (c *client) runPath(ctx context.Context, ref string, run int, rest string) (string, error) {
	d, err := c.find(ctx, systemDocs, ref)
	if err != nil {
		return "", err
	}
	return c.docPath(ctx, systemDocs, d.ID, "/checks/"+strconv.Itoa(run)+rest)
}

// showRun prints a recorded run's report in format, as the local command
// prints one: JSON as the server recorded it, the other formats rendered
// here for this terminal. Failing checks at or above fail exit 3.
func (a *app) showRun(ctx context.Context, c *client, system string, run int, format render.Format, fail check.Severity) error {
	path, err := c.runPath(ctx, system, run, "")
	if err != nil {
		return err
	}
	body, err := c.get(ctx, path, url.Values{"format": {"json"}})
	if err != nil {
		return err
	}
	r, err := decodeReport(c, body)
	if err != nil {
		return err
	}
	if format == render.JSON {
		err = a.write(body)
	} else {
		err = check.Write(a.stdout, r, format, a.options())
	}
	if err != nil {
		return err
	}
	return checkOutcome(r, fail)
}

// decodeReport reads a report, keeping numbers as written: a value a
// check read prints as it did when the run was made.
func decodeReport(c *client, body []byte) (*check.Report, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var r check.Report
	if err := dec.Decode(&r); err != nil {
		return nil, &remoteError{exit: exitInternal, msg: fmt.Sprintf("the server at %s answered with a report that does not decode: %v", c, err)}
	}
	return &r, nil
}

func init() {
	extraCommands = append(extraCommands, (*app).checksCommand)
}

func (a *app) checksCommand() *cobra.Command {
	var system string
	cmd := &cobra.Command{
		Use:   "checks",
		Short: "Read the check runs a demarc server recorded: list, show, evidence",
		Long: `Every 'demarc check' against a server is recorded there as a run of the
system, numbered from 1, which never changes afterwards. list shows a
system's runs, newest first; show prints a run's report as 'demarc check'
printed it; evidence prints its evidence record: the SHA-256 of the system
and of every input and policy file, each control's verdict, the findings,
and the audit event that recorded the run.`,
		Annotations: worksOnServer(),
	}
	cmd.PersistentFlags().StringVarP(&system, "system", "s", "", "the system's `NAME` or id on the server")
	cmd.AddCommand(a.checksListCommand(&system), a.checksShowCommand(&system), a.checksEvidenceCommand(&system))
	return cmd
}

func (a *app) checksListCommand(system *string) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:         "list --system NAME",
		Short:       "List a system's check runs on the server, newest first",
		Example:     "  demarc checks list --system webshop\n  demarc checks list --system webshop --format json",
		Args:        exactArgs(0, "no arguments"),
		Annotations: worksOnServer(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := a.format(format, listFormats)
			if err != nil {
				return err
			}
			c, err := a.needSystem(cmd, *system)
			if err != nil {
				return err
			}
			runs, err := c.checkRuns(cmd.Context(), *system)
			if err != nil {
				return err
			}
			l := &render.Listing{Kind: "check runs", Header: []string{"run", "created", "by", "summary"}}
			for _, r := range runs {
				l.Rows = append(l.Rows, []string{strconv.Itoa(r.Run), stamp(r.Created), string(r.CreatedBy), r.Summary})
			}
			return a.writeListing(runs, l, f)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "F", "table", formatFlagHelp(listFormats))
	return cmd
}

// needSystem is the client for a command about a system on the server,
// which --system must name.
func (a *app) needSystem(cmd *cobra.Command, system string) (*client, error) {
	c, err := a.needRemote(cmd)
	if err != nil {
		return nil, err
	}
	if system == "" {
		return nil, usageError{errors.New("name the system with --system NAME: its name or id on the server")}
	}
	return c, nil
}

// checkRuns lists every recorded run of a system, newest first.
func (c *client) checkRuns(ctx context.Context, ref string) ([]server.CheckRunInfo, error) {
	d, err := c.find(ctx, systemDocs, ref)
	if err != nil {
		return nil, err
	}
	path, err := c.docPath(ctx, systemDocs, d.ID, "/checks")
	if err != nil {
		return nil, err
	}
	runs := []server.CheckRunInfo{}
	q := url.Values{"limit": {pageLimit}}
	for {
		var page server.List[server.CheckRunInfo]
		if err := c.getJSON(ctx, path, q, &page); err != nil {
			return nil, err
		}
		runs = append(runs, page.Items...)
		if page.Next == "" {
			return runs, nil
		}
		q.Set("cursor", page.Next)
	}
}

// runArg reads a run number.
func runArg(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, usageError{fmt.Errorf("run %q: expected a run number, 1 or more, as 'demarc checks list' shows", s)}
	}
	return n, nil
}

func (a *app) checksShowCommand(system *string) *cobra.Command {
	var format, failOn string
	cmd := &cobra.Command{
		Use:   "show RUN --system NAME [--format FORMAT] [--fail-on SEVERITY]",
		Short: "Print a recorded check run's report, as 'demarc check' printed it",
		Example: "  demarc checks show 3 --system webshop\n" +
			"  demarc checks show 3 --system webshop --format sarif -o demarc.sarif",
		Args:        exactArgs(1, "the run's number"),
		Annotations: worksOnServer(),
		RunE: func(cmd *cobra.Command, args []string) error {
			run, err := runArg(args[0])
			if err != nil {
				return err
			}
			f, err := a.format(format, check.Formats)
			if err != nil {
				return err
			}
			fail, err := parseCheckSeverity(failOn)
			if err != nil {
				return err
			}
			c, err := a.needSystem(cmd, *system)
			if err != nil {
				return err
			}
			return a.showRun(cmd.Context(), c, *system, run, f, fail)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "F", "table", formatFlagHelp(check.Formats))
	cmd.Flags().StringVar(&failOn, "fail-on", "", "exit 3 when a check failed at or above `SEVERITY` (low, medium, high, critical)")
	return cmd
}

func (a *app) checksEvidenceCommand(system *string) *cobra.Command {
	var format string
	formats := []render.Format{render.JSON, render.YAML}
	cmd := &cobra.Command{
		Use:   "evidence RUN --system NAME [--format json|yaml]",
		Short: "Print a recorded check run's evidence record, with the audit event that recorded it",
		Long: `Print the evidence record of a run: when and by whom it was recorded, the
content hash the audit trail holds for it and that audit event, the SHA-256
of the system and of every input and policy file, each control's verdict
and the findings. The server shows it to owners, admins and auditors.`,
		Example:     "  demarc checks evidence 3 --system webshop -o run-3-evidence.json",
		Args:        exactArgs(1, "the run's number"),
		Annotations: worksOnServer(),
		RunE: func(cmd *cobra.Command, args []string) error {
			run, err := runArg(args[0])
			if err != nil {
				return err
			}
			f, err := a.format(format, formats)
			if err != nil {
				return err
			}
			c, err := a.needSystem(cmd, *system)
			if err != nil {
				return err
			}
			path, err := c.runPath(cmd.Context(), *system, run, "/evidence")
			if err != nil {
				return err
			}
			body, err := c.get(cmd.Context(), path, nil)
			if err != nil {
				return err
			}
			if !json.Valid(body) {
				return &remoteError{exit: exitInternal, msg: fmt.Sprintf("the server at %s answered with something that is not the JSON expected", c)}
			}
			if f == render.YAML {
				return render.WriteYAML(a.stdout, json.RawMessage(body))
			}
			return render.WriteJSON(a.stdout, json.RawMessage(body))
		},
	}
	cmd.Flags().StringVarP(&format, "format", "F", "json", formatFlagHelp(formats))
	return cmd
}
