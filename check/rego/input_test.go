package rego

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/demarc-io/demarc/internal/realdata"
)

// documents decodes a file and writes each document as JSON, as Rego
// would print it.
func documents(t *testing.T, name, src string) []string {
	t.Helper()
	docs, err := decodeFile(name, []byte(src))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out := make([]string, len(docs))
	for i, d := range docs {
		v, err := ast.JSON(d.input)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = string(b)
	}
	return out
}

// YAML reads as conftest reads it (YAML 1.1 through JSON), so that
// policies written for conftest see the same values.
func TestYAMLAsConftest(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string
	}{
		{"YAML 1.1 booleans", "a: yes\nb: off\nc: y\nd: \"yes\"\nN: 1\n", []string{`{"a":true,"b":false,"c":true,"d":"yes","false":1}`}},
		{"numbers become floats", "a: 017\nb: 0x1F\nc: 1_000\nd: 1.50\ne: 9007199254740993\nf: 0b101\ng: 1e400\n",
			[]string{`{"a":15,"b":31,"c":1000,"d":1.5,"e":9.007199254740992e+15,"f":5,"g":"1e400"}`}},
		{"timestamps stay text", "Version: 2012-10-17\nt: 2001-12-14t21:59:43.10-05:00\n", []string{`{"Version":"2012-10-17","t":"2001-12-14t21:59:43.10-05:00"}`}},
		{"CloudFormation short forms keep their scalar", "A: !Ref Bucket\nB: !GetAtt [Role, Arn]\nC: !Sub \"${AWS::Region}\"\nD: !Ref 123\n",
			[]string{`{"A":"Bucket","B":["Role","Arn"],"C":"${AWS::Region}","D":"123"}`}},
		{"keys become text", "1: a\ntrue: b\n1.5: c\n", []string{`{"1":"a","1.5":"c","true":"b"}`}},
		{"nulls", "a: ~\nb:\nc: null\n", []string{`{"a":null,"b":null,"c":null}`}},
		{"anchors and merges", "base: &b {p: 1, q: 2}\nuse:\n  <<: *b\n  q: 3\n", []string{`{"base":{"p":1,"q":2},"use":{"p":1,"q":3}}`}},
		{"y is a boolean key", "x: 1\ny: 2\n", []string{`{"true":2,"x":1}`}},
		{"a later key wins", "a: 1\na: 2\n", []string{`{"a":2}`}},
		{"binary", "a: !!binary aGVsbG8=\n", []string{`{"a":"hello"}`}},
		{"documents", "a: 1\n---\nb: 2\n---\n", []string{`{"a":1}`, `{"b":2}`, `null`}},
		{"a top-level list is one document per element", "- a: 1\n- b: 2\n", []string{`{"a":1}`, `{"b":2}`}},
		{"a separator must stand alone on a line", "a: \"---\"\nb: 1\n", []string{`{"a":"---","b":1}`}},
		{"windows line ends", "a: 1\r\n---\r\nb: 2\r\n", []string{`{"a":1}`, `{"b":2}`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := documents(t, "x.yaml", c.src)
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

// Terraform source reads as conftest reads it: blocks under their type
// and labels, each in a list; expressions as "${…}" text.
func TestHCLAsConftest(t *testing.T) {
	src := `variable "n" {
  default = 2
}

locals {
  names = ["a", "b"]
}

resource "aws_instance" "web" {
  ami           = "ami-1"
  count         = var.n
  monitoring    = true
  cpu           = -1.5
  user_data     = "echo ${var.n} $${literal}"
  tags          = { Name = "web", "team" = local.names[0] }
  list          = [1, "two", null]
  rendered      = "%{if var.n > 1}many%{else}one%{endif}"
  loop          = "%{for x in local.names}${x},%{endfor}"
  fn            = length(local.names)

  ebs_block_device {
    device_name = "/dev/sdb"
  }
  ebs_block_device {
    device_name = "/dev/sdc"
  }
}
`
	got := documents(t, "main.tf", src)
	want := `{"locals":[{"names":["a","b"]}],"resource":{"aws_instance":{"web":[{"ami":"ami-1","count":"${var.n}","cpu":-1.5,` +
		`"ebs_block_device":[{"device_name":"/dev/sdb"},{"device_name":"/dev/sdc"}],"fn":"${length(local.names)}",` +
		`"list":[1,"two",null],"loop":"%{for x in local.names}${x},%{endfor}","monitoring":true,` +
		`"rendered":"%{if var.n \u003e 1}many%{else}one%{endif}","tags":{"Name":"web","team":"${local.names[0]}"},` +
		`"user_data":"echo ${var.n} $${literal}"}]}},"variable":{"n":[{"default":2}]}}`
	if len(got) != 1 || got[0] != want {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"x.json", "{\n  \"a\": 1,\n  \"b\": \n}\n", "line 4: invalid character '}'"},
		{"x.yaml", "a: 1\nb: [\n", "yaml: line"},
		{"x.yaml", "a: .inf\n", "line 1: .inf is not a number JSON can hold"},
		{"x.yaml", "? [a]\n: 1\n", "line 1: a mapping key must be a string, number or boolean"},
		{"x.yaml", "~: 1\n", "line 1: a mapping key must be a string, number or boolean"},
		{"x.yaml", "a: 1\n---\nb: [\n", "document 2 (line 3): yaml: line"},
		{"x.yaml", "a: !!int abc\n", `line 1: cannot read "abc" as !!int`},
		{"x.tf", "resource \"a\" \"b\" {\n  x = \n}\n", "line 2: Invalid expression"},
		{"x.tf", "resource \"a\" \"b\" {}\nresource \"a\" {}\n", "line 2: \"a\" block: a block without labels cannot share its name with one with labels"},
		{"x.ndjson", "{\"a\": 1}\n\n{\"b\": \n", "line 3: unexpected end of JSON input"},
	}
	for _, c := range cases {
		t.Run(c.name+" "+c.want, func(t *testing.T) {
			_, err := decodeFile(c.name, []byte(c.src))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestJSONDocuments(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string
	}{
		{"plan.json", "\xef\xbb\xbf{\"a\": 12345678901234567890}", []string{`{"a":1.2345678901234567e+19}`}},
		{"list.json", `[{"a": 1}, 2]`, []string{`{"a":1}`, `2`}},
		{"assets.ndjson", "{\"a\": 1}\n\n{\"b\": 2}\n", []string{`{"a":1}`, `{"b":2}`}},
		{"stack.template", `{"Resources": {}}`, []string{`{"Resources":{}}`}},
		{"stack.template", "Resources: {}\n", []string{`{"Resources":{}}`}},
		{"terraform.tfstate", `{"version": 4}`, []string{`{"version":4}`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := documents(t, c.name, c.src)
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

// Every real configuration file in the shared data reads, or is refused
// with a line, without a panic.
func TestRealInputs(t *testing.T) {
	root := realdata.Path(t, "configs")
	read, refused := 0, 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".json", ".yaml", ".yml", ".tf", ".tfstate", ".template":
		default:
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if _, err := decodeFile(path, data); err != nil {
			refused++
			if !strings.Contains(err.Error(), "line") && !strings.Contains(err.Error(), "unexpected end") {
				t.Errorf("%s: %v (no line)", path, err)
			}
			return nil
		}
		read++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if read < 700 {
		t.Errorf("read %d files, refused %d", read, refused)
	}
}
