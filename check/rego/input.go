package rego

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// document is one input a policy is evaluated against, and where in its
// file it starts.
type document struct {
	input ast.Value
	// line is where the document starts (1 for a whole file).
	line int
	// lines is how many lines it spans; 0 when it runs to the end.
	lines int
}

// syntax is how an input file is read.
type syntax int

const (
	syntaxJSON syntax = iota
	syntaxYAML
	syntaxHCL
	syntaxJSONLines
)

// syntaxOf chooses how to read a file, by its name as conftest does, and by
// its content where the name says nothing (a .template may be JSON or
// YAML).
func syntaxOf(name string, data []byte) syntax {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml":
		return syntaxYAML
	case ".tf", ".hcl", ".tfvars":
		return syntaxHCL
	case ".ndjson", ".jsonl":
		return syntaxJSONLines
	case ".json", ".tfstate":
		return syntaxJSON
	}
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, utf8BOM), " \t\r\n")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		return syntaxJSON
	}
	return syntaxYAML
}

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// decodeFile reads a file into the documents conftest would evaluate: the
// whole file, except that a list at the top (a multi-document YAML file,
// a JSON array) is evaluated element by element. It returns an error
// saying where and what when the file cannot be read.
func decodeFile(name string, data []byte) ([]document, error) {
	var docs []document
	switch syntaxOf(name, data) {
	case syntaxYAML:
		ys, err := decodeYAML(data)
		if err != nil {
			return nil, err
		}
		if len(ys) > 1 {
			for i, y := range ys {
				lines := 0
				if i+1 < len(ys) {
					lines = ys[i+1].line - y.line
				}
				d, err := newDocument(y.value, y.line, lines)
				if err != nil {
					return nil, err
				}
				docs = append(docs, d)
			}
			return docs, nil
		}
		return splitTop(ys[0].value)
	case syntaxHCL:
		v, err := decodeHCL(name, data)
		if err != nil {
			return nil, err
		}
		return splitTop(v)
	case syntaxJSONLines:
		return decodeJSONLines(data)
	}
	v, err := decodeJSON(data)
	if err != nil {
		return nil, err
	}
	return splitTop(v)
}

// splitTop makes the documents of a file's value.
func splitTop(v any) ([]document, error) {
	list, ok := v.([]any)
	if !ok {
		d, err := newDocument(v, 1, 0)
		if err != nil {
			return nil, err
		}
		return []document{d}, nil
	}
	docs := make([]document, 0, len(list))
	for _, e := range list {
		d, err := newDocument(e, 1, 0)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	return docs, nil
}

func newDocument(v any, line, lines int) (document, error) {
	input, err := ast.InterfaceToValue(v)
	if err != nil {
		return document{}, fmt.Errorf("convert to Rego: %w", err)
	}
	return document{input: input, line: line, lines: lines}, nil
}

// decodeJSON reads a JSON document as conftest does: numbers become
// float64.
func decodeJSON(data []byte) (any, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, jsonError(data, err)
	}
	return v, nil
}

// jsonError says on which line a JSON syntax error is.
func jsonError(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off := min(int(se.Offset), len(data))
		return fmt.Errorf("line %d: %s", bytes.Count(data[:off], []byte("\n"))+1, se.Error())
	}
	return err
}

// decodeJSONLines reads one JSON document per line (a Cloud Asset
// Inventory export); blank lines are skipped.
func decodeJSONLines(data []byte) ([]document, error) {
	var docs []document
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), len(data)+1)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var v any
		if err := json.Unmarshal(text, &v); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		d, err := newDocument(v, line, 1)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return docs, nil
}
