package demarc_test

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// Every package has a doc comment, and so does every exported name.
func TestEveryPackageAndExportedNameIsDocumented(t *testing.T) {
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if strings.Contains(path, "testdata") || strings.HasPrefix(d.Name(), ".") && path != "." {
			return filepath.SkipDir
		}
		checkPackage(t, path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func checkPackage(t *testing.T, dir string) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range pkgs {
		files := make([]*ast.File, 0, len(pkg.Files))
		for _, f := range pkg.Files {
			files = append(files, f)
		}
		p, err := doc.NewFromFiles(fset, files, "example/"+dir)
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("package %s (%s) has no doc comment", p.Name, dir)
		}
		if p.Name == "main" {
			continue
		}
		for _, f := range p.Funcs {
			undocumented(t, dir, f.Name, f.Doc)
		}
		for _, typ := range p.Types {
			undocumented(t, dir, typ.Name, typ.Doc)
			for _, f := range typ.Funcs {
				undocumented(t, dir, f.Name, f.Doc)
			}
			for _, m := range typ.Methods {
				if m.Name != "Error" && m.Name != "String" && m.Name != "Unwrap" {
					undocumented(t, dir, typ.Name+"."+m.Name, m.Doc)
				}
			}
		}
	}
}

func undocumented(t *testing.T, dir, name, docText string) {
	if ast.IsExported(name[strings.LastIndex(name, ".")+1:]) && strings.TrimSpace(docText) == "" {
		t.Errorf("%s: %s has no doc comment", dir, name)
	}
}
