package snapshot

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/demarc-io/demarc"
)

// Files held in memory read as the same files on disk: a folder's .tf
// files are one module with the same digest, other files are read by
// content, and what cannot be read says where and why.
func TestReadFiles(t *testing.T) {
	dir := filepath.Join("..", "examples", "config", "webshop")
	var files []File
	for _, name := range []string{"main.tf", "shop-app.yaml"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, File{Name: "webshop/" + name, Data: data})
	}
	files = append(files,
		File{Name: "notes.txt", Data: []byte("just some notes\n")},
		File{Name: "plan.json", Data: []byte("{\"format_version\": \"1.2\",\n  \"planned_values\": ]\n}\n")})
	got := collectFiles(t, func(fn func(*demarc.Snapshot) error) error { return ReadFiles(context.Background(), files, fn) })
	disk := collectFiles(t, func(fn func(*demarc.Snapshot) error) error { return Walk(context.Background(), []string{dir}, fn) })

	if len(got) != 4 {
		t.Fatalf("got %d snapshots, want 4: %v", len(got), names(got))
	}
	mem := map[string]*demarc.Snapshot{}
	for _, s := range got {
		mem[s.File] = s
	}
	onDisk := map[string]*demarc.Snapshot{}
	for _, s := range disk {
		onDisk[filepath.Base(s.File)] = s
	}
	for name, base := range map[string]string{"webshop": "webshop", "webshop/shop-app.yaml": "shop-app.yaml"} {
		s, d := mem[name], onDisk[base]
		if s == nil || d == nil {
			t.Errorf("%s: missing from memory (%v) or disk (%v)", name, names(got), names(disk))
			continue
		}
		if d.SHA256 != s.SHA256 || d.Format != s.Format || len(d.Resources) != len(s.Resources) {
			t.Errorf("%s: read from memory as %s %s with %d resources, from disk as %s %s with %d", name, s.Format, s.SHA256, len(s.Resources), d.Format, d.SHA256, len(d.Resources))
		}
	}
	if s := mem["notes.txt"]; s == nil || s.Format != FormatUnsupported || len(s.Problems) == 0 {
		t.Errorf("notes.txt: got %+v; want unsupported with a reason", s)
	}
	if s := mem["plan.json"]; s == nil || s.Format != "" || len(s.Problems) == 0 || s.Problems[0].Pos.File != "plan.json" || s.Problems[0].Pos.Line == 0 {
		t.Errorf("plan.json: got %+v; want unreadable, with file and line", s)
	}
}

// Several .tf files in the top folder are one module named for them.
func TestReadFilesTopModule(t *testing.T) {
	files := []File{
		{Name: "vpc.tf", Data: []byte("resource \"aws_vpc\" \"main\" {\n  cidr_block = var.cidr\n}\n")},
		{Name: "main.tf", Data: []byte("variable \"cidr\" {\n  default = \"10.0.0.0/16\"\n}\n")},
	}
	got := collectFiles(t, func(fn func(*demarc.Snapshot) error) error { return ReadFiles(context.Background(), files, fn) })
	if len(got) != 1 || got[0].File != "main.tf, vpc.tf" || got[0].Format != FormatTerraform || len(got[0].Resources) != 1 {
		t.Fatalf("got %v; want one module main.tf, vpc.tf with one resource", names(got))
	}
	if v, _ := Lookup(got[0].Resources[0].Attributes, "cidr_block"); v != "10.0.0.0/16" {
		t.Errorf("cidr_block = %v; the variable in the other file was not read", v)
	}
}

func collectFiles(t *testing.T, read func(func(*demarc.Snapshot) error) error) []*demarc.Snapshot {
	t.Helper()
	var mu sync.Mutex
	var out []*demarc.Snapshot
	if err := read(func(s *demarc.Snapshot) error {
		mu.Lock()
		defer mu.Unlock()
		out = append(out, s)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func names(ss []*demarc.Snapshot) string {
	var out []string
	for _, s := range ss {
		out = append(out, s.File+" ("+s.Format+")")
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
