package snapshot

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/demarc-io/demarc"
)

// File is a configuration file held in memory, such as an upload. Name
// may hold a relative path with forward slashes ("infra/main.tf"): the
// .tf files of one folder are one Terraform module, as on disk.
type File struct {
	Name string
	Data []byte
}

// ReadFiles reads files held in memory as Walk reads a folder, and calls
// fn with each snapshot: the .tf files of each folder, with that folder's
// terraform.tfvars and *.auto.tfvars, as one Terraform module, and every
// other file by its content, whatever its name. A module is named for its
// folder; in the top folder, for its files ("main.tf", or "main.tf,
// vpc.tf"), so that one .tf file reads exactly as Read reads it.
//
// As with Walk, a file that cannot be read arrives as a snapshot with
// Format "" and the reason in Problems, one of no supported format with
// Format FormatUnsupported. ReadFiles never touches the file system. It
// stops at the first error fn returns, or when ctx is done, and returns
// that error.
func ReadFiles(ctx context.Context, files []File, fn func(*demarc.Snapshot) error) error {
	modules, others := groupModules(files)
	for _, m := range modules {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(readModuleFiles(m)); err != nil {
			return err
		}
	}
	for _, f := range others {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(readFile(f)); err != nil {
			return err
		}
	}
	return nil
}

// memoryModule is the Terraform files of one folder of an upload.
type memoryModule struct {
	name       string
	tf, tfvars []sourceFile
}

// groupModules sorts files into Terraform modules, one per folder with .tf
// files, and the rest, each in name order.
func groupModules(files []File) ([]memoryModule, []File) {
	byDir := map[string][]File{}
	for _, f := range files {
		byDir[path.Dir(f.Name)] = append(byDir[path.Dir(f.Name)], f)
	}
	dirs := make([]string, 0, len(byDir))
	for d := range byDir {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	var modules []memoryModule
	var others []File
	for _, d := range dirs {
		fs := byDir[d]
		names := make([]string, len(fs))
		data := map[string][]byte{}
		for i, f := range fs {
			names[i] = f.Name
			data[f.Name] = f.Data
		}
		tf, tfvars := terraformModuleFiles(names)
		inModule := map[string]bool{}
		if len(tf) > 0 {
			m := memoryModule{name: moduleName(d, tf, tfvars)}
			for _, n := range tf {
				m.tf = append(m.tf, sourceFile{name: n, data: data[n]})
				inModule[n] = true
			}
			for _, n := range tfvars {
				m.tfvars = append(m.tfvars, sourceFile{name: n, data: data[n]})
				inModule[n] = true
			}
			modules = append(modules, m)
		}
		for _, f := range fs {
			if !inModule[f.Name] {
				others = append(others, f)
			}
		}
	}
	sort.SliceStable(others, func(i, j int) bool { return others[i].Name < others[j].Name })
	return modules, others
}

// moduleName names a module for its folder, or in the top folder for its
// files.
func moduleName(dir string, tf, tfvars []string) string {
	if dir != "." {
		return dir
	}
	return strings.Join(append(append([]string{}, tf...), tfvars...), ", ")
}

// readModuleFiles parses one module; failures become its problems.
func readModuleFiles(m memoryModule) (snap *demarc.Snapshot) {
	defer recoverInto(&snap, m.name)
	s, err := parseModule(m.name, m.tf, m.tfvars)
	if err != nil {
		return failed(m.name, FormatTerraform, "", err)
	}
	return s
}

// readFile parses one file by its content; failures become its problems.
func readFile(f File) (snap *demarc.Snapshot) {
	defer recoverInto(&snap, f.Name)
	s, err := parse(f.Name, f.Data, "")
	if err != nil {
		format := ""
		if errors.Is(err, ErrUnsupported) {
			format = FormatUnsupported
		}
		return failed(f.Name, format, digest(f.Data), err)
	}
	return s
}

// recoverInto turns a panic while reading into a problem of the file, as
// Walk does: one defective input must not take the process down.
func recoverInto(snap **demarc.Snapshot, name string) {
	if r := recover(); r != nil {
		*snap = &demarc.Snapshot{File: name, Resources: []demarc.Resource{}, Problems: demarc.Problems{{
			Pos: demarc.Position{File: name}, Message: fmt.Sprintf("internal error while reading (please report it): %v", r)}}}
	}
}
