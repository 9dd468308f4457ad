package snapshot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/demarc-io/demarc"
)

// writeTree creates files (path → content) under a new temporary folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func walkAll(t *testing.T, paths ...string) map[string]*demarc.Snapshot {
	t.Helper()
	var mu sync.Mutex
	got := map[string]*demarc.Snapshot{}
	err := Walk(context.Background(), paths, func(s *demarc.Snapshot) error {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := got[s.File]; dup {
			t.Errorf("%s handed over twice", s.File)
		}
		got[s.File] = s
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestWalk(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"infra/main.tf":              "resource \"aws_s3_bucket\" \"b\" {\n  bucket = var.name\n}\n",
		"infra/variables.tf":         "variable \"name\" {\n  default = \"from-default\"\n}\n",
		"infra/terraform.tfvars":     "name = \"from-tfvars\"\n",
		"infra/prod.auto.tfvars":     "name = \"from-auto\"\n",
		"infra/README.md":            "# notes",
		"infra/.terraform/x/main.tf": "resource \"aws_s3_bucket\" \"hidden\" {}\n",
		"k8s/app.yaml":               "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n",
		"k8s/values.yaml":            "replicaCount: 1\n",
		"k8s/notes.txt":              "not read",
		"cfn/stack.template":         "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n",
		"bad.json":                   "{\"format_version\": \"1.2\", \"resource_changes\": [",
		"node_modules/pkg/x.json":    "{}",
	})
	if err := os.Symlink(filepath.Join(dir, "nowhere.json"), filepath.Join(dir, "dangling.json")); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.yaml")
	got := walkAll(t, dir, missing)

	want := map[string]string{
		filepath.Join(dir, "infra"):              FormatTerraform,
		filepath.Join(dir, "k8s/app.yaml"):       FormatKubernetes,
		filepath.Join(dir, "k8s/values.yaml"):    FormatUnsupported,
		filepath.Join(dir, "cfn/stack.template"): FormatCloudFormation,
		filepath.Join(dir, "bad.json"):           "",
		filepath.Join(dir, "dangling.json"):      "",
		missing:                                  "",
	}
	var files []string
	for f := range got {
		files = append(files, f)
	}
	sort.Strings(files)
	if len(got) != len(want) {
		t.Errorf("snapshots for %v, want %d", files, len(want))
	}
	for file, format := range want {
		s, ok := got[file]
		if !ok {
			t.Errorf("no snapshot for %s", file)
			continue
		}
		if s.Format != format {
			t.Errorf("%s: format %q, want %q (problems %v)", file, s.Format, format, s.Problems)
		}
		if (format == "" || format == FormatUnsupported) != (len(s.Problems) > 0) {
			t.Errorf("%s: problems %v", file, s.Problems)
		}
		if s.Resources == nil {
			t.Errorf("%s: nil resources", file)
		}
	}
	for _, file := range []string{"bad.json", "dangling.json"} {
		s := got[filepath.Join(dir, file)]
		if s != nil && (len(s.Problems) != 1 || s.Problems[0].Pos.File != filepath.Join(dir, file)) {
			t.Errorf("%s: problems %v should name the file", file, s.Problems)
		}
	}
	if s := got[missing]; s != nil && !strings.Contains(s.Problems.Error(), "cannot read") {
		t.Errorf("missing file: %v", s.Problems)
	}

	infra := got[filepath.Join(dir, "infra")]
	if infra == nil || len(infra.Resources) != 1 {
		t.Fatalf("infra module: %+v", infra)
	}
	// *.auto.tfvars are read after terraform.tfvars and win
	if b := infra.Resources[0]; b.Attributes["bucket"] != "from-auto" || b.Pos.File != filepath.Join(dir, "infra/main.tf") {
		t.Errorf("bucket = %v at %v", b.Attributes, b.Pos)
	}
	if infra.SHA256 != moduleDigest(t, filepath.Join(dir, "infra"), "main.tf", "prod.auto.tfvars", "terraform.tfvars", "variables.tf") {
		t.Errorf("module digest %s is not the digest of its files' manifest", infra.SHA256)
	}
}

// moduleDigest computes a module's digest as documented: the SHA-256 of
// "sha256  name" lines in name order.
func moduleDigest(t *testing.T, dir string, names ...string) string {
	var manifest strings.Builder
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(&manifest, "%s  %s\n", hex.EncodeToString(sum[:]), n)
	}
	sum := sha256.Sum256([]byte(manifest.String()))
	return hex.EncodeToString(sum[:])
}

func TestWalkDigestIsTheFileDigest(t *testing.T) {
	content := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"
	dir := writeTree(t, map[string]string{"pod.yaml": content})
	got := walkAll(t, dir)
	sum := sha256.Sum256([]byte(content))
	if s := got[filepath.Join(dir, "pod.yaml")]; s == nil || s.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("digest %v, want %x", s, sum)
	}
}

func TestWalkStopsAtTheFirstError(t *testing.T) {
	files := map[string]string{}
	for i := range 50 {
		files[fmt.Sprintf("p%02d.yaml", i)] = fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p%d\n", i)
	}
	dir := writeTree(t, files)
	stop := errors.New("stop")
	var mu sync.Mutex
	calls := 0
	err := Walk(context.Background(), []string{dir}, func(*demarc.Snapshot) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		return stop
	})
	if !errors.Is(err, stop) {
		t.Errorf("Walk = %v, want the callback's error", err)
	}
	if calls >= 50 {
		t.Errorf("%d calls; Walk should stop early", calls)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Walk(ctx, []string{dir}, func(*demarc.Snapshot) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Walk = %v", err)
	}
}

func TestReadDirectoryAsModule(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"a.tf": "resource \"aws_s3_bucket\" \"b\" {}\n",
		"b.tf": "resource \"aws_s3_bucket_versioning\" \"v\" {\n  bucket = aws_s3_bucket.b.id\n}\n",
		"c.tf": "resource \"broken\" {\n",
	})
	s, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Resources) != 2 || len(s.Problems) == 0 || s.Problems[0].Pos.File != filepath.Join(dir, "c.tf") {
		t.Errorf("module: %d resources, problems %v", len(s.Resources), s.Problems)
	}
	ix := NewIndex(s)
	if got := ids(ix.RelatedOf(ix.Get("aws_s3_bucket.b"), "aws_s3_bucket_versioning")); len(got) != 1 {
		t.Errorf("a reference across files links: %v", got)
	}
	empty := t.TempDir()
	if _, err := Read(empty); !errors.Is(err, ErrUnsupported) {
		t.Errorf("a folder without .tf files: %v", err)
	}
	if _, err := Read(filepath.Join(empty, "nope.json")); demarc.ErrorCode(err) != demarc.ENotFound {
		t.Errorf("a missing file: %v (%s)", err, demarc.ErrorCode(err))
	}
}
