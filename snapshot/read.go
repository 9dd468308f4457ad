package snapshot

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/demarc-io/demarc"
)

// ErrUnsupported is in the chain of the error Read and ParseBytes return
// for content that is none of the supported formats (errors.Is).
var ErrUnsupported = errors.New("not a supported configuration format")

// unsupportedError says what a file looked like instead.
type unsupportedError struct{ p demarc.Problem }

func (e *unsupportedError) Error() string        { return e.p.String() }
func (e *unsupportedError) Is(target error) bool { return target == ErrUnsupported }

func unsupported(file, what string, args ...any) error {
	p := demarc.Problem{Pos: demarc.Position{File: file}, Message: "not a supported configuration format: " + fmt.Sprintf(what, args...)}
	return &demarc.Error{Code: demarc.EInvalid, Err: &unsupportedError{p}}
}

// expected is what every "not a supported format" message offers instead.
const expected = "expected a Terraform plan or state (terraform show -json), a .tfstate file, Terraform .tf source, " +
	"a CloudFormation template, Kubernetes manifests, an AWS Config snapshot, a Cloud Asset Inventory export or an Azure Resource Graph result"

// Read reads one configuration file, recognising its format from its
// content, into a snapshot; a directory is read as one Terraform module
// (its .tf files and .tfvars values). It returns an error naming the file,
// line and field when the file cannot be read at all, one wrapping
// ErrUnsupported when it is no supported format, and a snapshot with
// Problems when only parts of it are bad.
func Read(path string) (*demarc.Snapshot, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, readError(path, err)
	}
	if fi.IsDir() {
		return readModule(path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, readError(path, err)
	}
	return parse(path, data, "")
}

func readError(path string, err error) error {
	msg := "cannot read: " + err.Error()
	var pe *os.PathError
	if errors.As(err, &pe) {
		msg = "cannot read: " + pe.Err.Error()
	}
	code := demarc.EInvalid
	if errors.Is(err, os.ErrNotExist) {
		code = demarc.ENotFound
	}
	return &demarc.Error{Code: code, Err: demarc.Problems{{Pos: demarc.Position{File: path}, Message: msg}}}
}

// ParseBytes reads data, named name in positions and errors, as the given
// format: one of Formats(), an alias (terraform, hcl, cfn, k8s …, so the
// keys of policy example files work), or "" to recognise it from the
// content. Terraform source is read as a module of one file.
func ParseBytes(name, format string, data []byte) (*demarc.Snapshot, error) {
	f := ""
	if format != "" {
		if f = canonicalFormat(format); f == "" {
			return nil, demarc.Errorf(demarc.EInvalid, "unknown configuration format %q; expected one of %s", format, strings.Join(Formats(), ", "))
		}
	}
	return parse(name, data, f)
}

// readModule reads the .tf and .tfvars files of one directory as a
// Terraform module.
func readModule(dir string) (*demarc.Snapshot, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, readError(dir, err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, filepath.Join(dir, e.Name()))
		}
	}
	tf, vars := terraformModuleFiles(names)
	if len(tf) == 0 {
		return nil, unsupported(dir, "a directory without .tf files; name the files to read, or a Terraform module's directory")
	}
	return parseModuleFiles(dir, tf, vars)
}

// parseModuleFiles reads and parses the files of one module. Its digest
// is the SHA-256 of a manifest listing each file's own SHA-256 and base
// name, one per line in name order, as sha256sum prints them.
func parseModuleFiles(dir string, tf, vars []string) (*demarc.Snapshot, error) {
	load := func(names []string) ([]sourceFile, error) {
		out := make([]sourceFile, 0, len(names))
		for _, n := range names {
			data, err := os.ReadFile(n)
			if err != nil {
				return nil, readError(n, err)
			}
			out = append(out, sourceFile{name: n, data: data})
		}
		return out, nil
	}
	files, err := load(tf)
	if err != nil {
		return nil, err
	}
	tfvars, err := load(vars)
	if err != nil {
		return nil, err
	}
	return parseModule(dir, files, tfvars)
}

func parseModule(name string, files, tfvars []sourceFile) (*demarc.Snapshot, error) {
	all := append(append([]sourceFile{}, files...), tfvars...)
	slices.SortFunc(all, func(a, b sourceFile) int { return strings.Compare(filepath.Base(a.name), filepath.Base(b.name)) })
	var manifest bytes.Buffer
	for _, f := range all {
		fmt.Fprintf(&manifest, "%s  %s\n", digest(f.data), filepath.Base(f.name))
	}
	snap := &demarc.Snapshot{File: name, Format: FormatTerraform, SHA256: digest(manifest.Bytes())}
	p, err := parseTerraformHCL(files, tfvars)
	if err != nil {
		return nil, err
	}
	return finish(snap, p), nil
}

// uniqueIDs renames the second and later resources that share an id
// (id#2, id#3 …), which an input that contradicts itself may cause, and
// reports each.
func uniqueIDs(res []demarc.Resource) demarc.Problems {
	var ps demarc.Problems
	seen := make(map[string]int, len(res))
	for i := range res {
		r := &res[i]
		n := seen[r.ID]
		seen[r.ID] = n + 1
		if n == 0 {
			continue
		}
		ps = append(ps, demarc.Problem{Pos: r.Pos, Field: r.ID, Message: fmt.Sprintf("defined more than once; this one is read as %s#%d", r.ID, n+1)})
		r.ID = fmt.Sprintf("%s#%d", r.ID, n+1)
	}
	return ps
}

// sortedPaths sorts and dedupes paths, leaving out those beneath
// another listed path, which says it all.
func sortedPaths(paths []string) []string {
	if len(paths) == 0 {
		return nil
	}
	slices.Sort(paths)
	out := paths[:0]
	for _, p := range paths {
		if len(out) > 0 && within(p, out[len(out)-1]) {
			continue
		}
		out = append(out, p)
	}
	return out
}

func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// finish links the resources and fills the snapshot.
func finish(snap *demarc.Snapshot, p *parsed) *demarc.Snapshot {
	for i := range p.resources {
		r := &p.resources[i]
		r.Unknown = sortedPaths(r.Unknown)
		r.Sensitive = sortedPaths(r.Sensitive)
	}
	p.problems = append(p.problems, uniqueIDs(p.resources)...)
	link(p.resources, p.refs, p.byValue)
	snap.Resources = p.resources
	if snap.Resources == nil {
		snap.Resources = []demarc.Resource{}
	}
	snap.Problems = p.problems
	return snap
}

// parse reads data as format, or as the format its content shows.
func parse(file string, data []byte, format string) (*demarc.Snapshot, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if format == FormatTerraform || format == "" && isTerraformSource(file) {
		return parseModule(file, []sourceFile{{name: file, data: data}}, nil)
	}
	in := &input{file: file, data: data}
	if format == "" {
		var err error
		if format, err = in.detect(); err != nil {
			return nil, err
		}
	}
	p, err := in.parseAs(format)
	if err != nil {
		return nil, err
	}
	snap := &demarc.Snapshot{File: file, Format: format, SHA256: digest(data)}
	return finish(snap, p), nil
}

func isTerraformSource(name string) bool {
	return strings.HasSuffix(name, ".tf")
}

// input is one file being read; detect keeps the YAML documents it parsed
// so that they are not parsed twice.
type input struct {
	file      string
	data      []byte
	docs      []yamlDoc
	parsedYML bool
	streamErr error
}

func (in *input) yaml() ([]yamlDoc, error) {
	if !in.parsedYML {
		in.docs, in.streamErr = yamlStream(in.file, in.data)
		in.parsedYML = true
	}
	return in.docs, in.streamErr
}

// isJSON reports whether the content is JSON rather than YAML.
func (in *input) isJSON() bool {
	c := firstByte(in.data)
	return c == '{' || c == '['
}

func (in *input) parseAs(format string) (*parsed, error) {
	switch format {
	case FormatTerraformPlan:
		return parsePlan(in.file, in.data)
	case FormatTerraformState:
		if keys, _ := topKeys(in.data); slices.Contains(keys, "lineage") || slices.Contains(keys, "serial") || !slices.Contains(keys, "format_version") && slices.Contains(keys, "version") {
			return parseRawState(in.file, in.data)
		}
		return parseStateJSON(in.file, in.data)
	case FormatCloudFormation:
		if in.isJSON() {
			return parseCloudFormationJSON(in.file, in.data)
		}
		docs, err := in.yaml()
		if err != nil {
			return nil, err
		}
		if len(docs) == 0 {
			return nil, demarc.Problems{{Pos: demarc.Position{File: in.file}, Message: "empty; expected a CloudFormation template"}}.Err()
		}
		return parseCloudFormationYAML(in.file, docs[0])
	case FormatKubernetes:
		if in.isJSON() {
			return parseKubernetesJSON(in.file, in.data)
		}
		docs, err := in.yaml()
		if len(docs) == 0 {
			if err != nil {
				return nil, err
			}
			return nil, demarc.Problems{{Pos: demarc.Position{File: in.file}, Message: "empty; expected Kubernetes manifests"}}.Err()
		}
		return parseKubernetesYAML(in.file, docs, err)
	case FormatAWSConfig:
		return parseAWSConfig(in.file, in.data)
	case FormatGCPAsset:
		return parseGCPAssets(in.file, in.data)
	case FormatAzureResourceGraph:
		return parseAzureResourceGraph(in.file, in.data)
	}
	return nil, demarc.Errorf(demarc.EInvalid, "unknown configuration format %q; expected one of %s", format, strings.Join(Formats(), ", "))
}

// problemsOf returns the problems an error carries, or one problem with
// its message.
func problemsOf(err error) demarc.Problems {
	var ps demarc.Problems
	if errors.As(err, &ps) {
		return ps
	}
	var u *unsupportedError
	if errors.As(err, &u) {
		return demarc.Problems{u.p}
	}
	return demarc.Problems{{Message: err.Error()}}
}
