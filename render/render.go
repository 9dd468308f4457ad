// Package render writes demarc results — matrices, explanations, library
// listings — as terminal tables, JSON, YAML, CSV and Markdown.
package render

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
)

// Format is an output format.
type Format string

// Output formats.
const (
	Table    Format = "table"
	JSON     Format = "json"
	YAML     Format = "yaml"
	CSV      Format = "csv"
	Markdown Format = "markdown"
	XLSX     Format = "xlsx" // a workbook; only where a command says so
)

// Formats lists every format a matrix can be written in.
var Formats = []Format{Table, JSON, YAML, CSV, Markdown}

// ParseFormat returns the format named s, or an invalid-input error that
// lists the allowed formats.
func ParseFormat(s string, allowed []Format) (Format, error) {
	names := make([]string, len(allowed))
	for i, f := range allowed {
		if string(f) == strings.ToLower(s) {
			return f, nil
		}
		names[i] = string(f)
	}
	return "", demarc.Errorf(demarc.EInvalid, "unknown format %q; expected one of %s", s, strings.Join(names, ", "))
}

// Options control terminal output.
type Options struct {
	Color bool // use ANSI colours for owners
	Width int  // terminal width; 0 means 100
}

func (o Options) width() int {
	if o.Width <= 0 {
		return 100
	}
	return o.Width
}

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// WriteYAML writes v as block-style YAML with the same field names and
// order as its JSON form.
func WriteYAML(w io.Writer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return fmt.Errorf("encode yaml: %w", err)
	}
	blockStyle(&n)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return fmt.Errorf("encode yaml: %w", err)
	}
	return enc.Close()
}

func blockStyle(n *yaml.Node) {
	n.Style &^= yaml.FlowStyle
	if n.Kind == yaml.ScalarNode && n.Style&yaml.DoubleQuotedStyle != 0 && n.Tag == "!!str" {
		n.Style &^= yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// ANSI colours per owner; the owner's name is always printed as well, so
// colour is never the only signal.
var ownerColor = map[demarc.Owner]string{
	demarc.OwnerProvider:      "\x1b[34m", // blue
	demarc.OwnerCustomer:      "\x1b[33m", // yellow
	demarc.OwnerShared:        "\x1b[35m", // magenta
	demarc.OwnerThirdParty:    "\x1b[36m", // cyan
	demarc.OwnerNotApplicable: "\x1b[2m",  // dim
	demarc.OwnerUnassigned:    "\x1b[1;31m",
	demarc.OwnerConflict:      "\x1b[1;31m",
}

func paint(o Options, owner demarc.Owner, s string) string {
	if !o.Color {
		return s
	}
	return ownerColor[owner] + s + "\x1b[0m"
}

// OwnerLabel renders an owner with its kind of sharing: "shared (dependent)".
func OwnerLabel(o demarc.Owner, s demarc.Sharing) string {
	if o == demarc.OwnerShared && s != "" {
		return string(o) + " (" + string(s) + ")"
	}
	return string(o)
}
