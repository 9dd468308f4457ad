package rego

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Terraform source is read into the shape conftest gives policies (that
// of the hcl2json tool): each block nested under its type and labels and
// always wrapped in a list (resource.aws_s3_bucket.logs[0].versioning[0]),
// literal values as values, and every other expression as its source text
// inside "${…}", unevaluated. Numbers are float64.

// decodeHCL reads one Terraform (HCL native syntax) file.
func decodeHCL(name string, data []byte) (map[string]any, error) {
	file, diags := hclsyntax.ParseConfig(data, name, hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		return nil, hclError(diags)
	}
	body, ok := file.Body.(*hclsyntax.Body)
	if !ok {
		return nil, fmt.Errorf("not HCL native syntax")
	}
	c := hclConverter{src: data}
	return c.body(body)
}

// hclError names the first error's line and says what is wrong.
func hclError(diags hcl.Diagnostics) error {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		if d.Subject != nil {
			return fmt.Errorf("line %d: %s", d.Subject.Start.Line, msg)
		}
		return fmt.Errorf("%s", msg)
	}
	return fmt.Errorf("%s", diags.Error())
}

type hclConverter struct {
	src []byte
}

func (c *hclConverter) body(b *hclsyntax.Body) (map[string]any, error) {
	out := make(map[string]any, len(b.Blocks)+len(b.Attributes))
	for _, block := range b.Blocks {
		if err := c.block(block, out); err != nil {
			return nil, err
		}
	}
	for name, attr := range b.Attributes {
		v, err := c.expr(attr.Expr)
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", attr.SrcRange.Start.Line, name, err)
		}
		out[name] = v
	}
	return out, nil
}

// block nests a block's body under its type and labels, appending it to
// the list at the innermost key.
func (c *hclConverter) block(b *hclsyntax.Block, out map[string]any) error {
	key := b.Type
	for _, label := range b.Labels {
		next, exists := out[key]
		if !exists {
			m := map[string]any{}
			out[key] = m
			out = m
		} else if m, ok := next.(map[string]any); ok {
			out = m
		} else {
			return fmt.Errorf("line %d: %s %s: a block with labels cannot share its name with one without",
				b.TypeRange.Start.Line, b.Type, strings.Join(b.Labels, "."))
		}
		key = label
	}
	value, err := c.body(b.Body)
	if err != nil {
		return err
	}
	switch current := out[key].(type) {
	case nil:
		out[key] = []any{value}
	case []any:
		out[key] = append(current, value)
	default:
		return fmt.Errorf("line %d: %q block: a block without labels cannot share its name with one with labels", b.TypeRange.Start.Line, key)
	}
	return nil
}

func (c *hclConverter) expr(e hclsyntax.Expression) (any, error) {
	switch x := e.(type) {
	case *hclsyntax.LiteralValueExpr:
		return ctyValue(x.Val)
	case *hclsyntax.UnaryOpExpr:
		if _, literal := x.Val.(*hclsyntax.LiteralValueExpr); !literal {
			return c.wrap(x), nil
		}
		v, diags := x.Value(nil)
		if diags.HasErrors() {
			return nil, hclError(diags)
		}
		return ctyValue(v)
	case *hclsyntax.TemplateExpr:
		return c.template(x)
	case *hclsyntax.TemplateWrapExpr:
		return c.expr(x.Wrapped)
	case *hclsyntax.TupleConsExpr:
		list := make([]any, 0, len(x.Exprs))
		for _, item := range x.Exprs {
			v, err := c.expr(item)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case *hclsyntax.ObjectConsExpr:
		m := make(map[string]any, len(x.Items))
		for _, item := range x.Items {
			k, err := c.key(item.KeyExpr)
			if err != nil {
				return nil, err
			}
			if m[k], err = c.expr(item.ValueExpr); err != nil {
				return nil, err
			}
		}
		return m, nil
	}
	return c.wrap(e), nil
}

// ctyValue turns a literal into a JSON-like value. A number becomes the
// float64 its decimal text reads as.
func ctyValue(v cty.Value) (any, error) {
	if v.IsNull() {
		return nil, nil
	}
	if !v.IsKnown() {
		return nil, fmt.Errorf("value is not known")
	}
	switch v.Type() {
	case cty.String:
		return v.AsString(), nil
	case cty.Bool:
		return v.True(), nil
	case cty.Number:
		return strconv.ParseFloat(v.AsBigFloat().Text('f', -1), 64)
	}
	return nil, fmt.Errorf("unexpected literal of type %s", v.Type().FriendlyName())
}

// template writes a string template: a literal as its value (with "${"
// and "%{" escaped as in HCL's JSON syntax), interpolations and
// directives as written.
func (c *hclConverter) template(t *hclsyntax.TemplateExpr) (string, error) {
	if t.IsStringLiteral() {
		v, diags := t.Value(nil)
		if diags.HasErrors() {
			return "", hclError(diags)
		}
		return escapeTemplate(v.AsString()), nil
	}
	var b strings.Builder
	for _, part := range t.Parts {
		s, err := c.part(part)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

func escapeTemplate(s string) string {
	s = strings.ReplaceAll(s, "${", "$${")
	return strings.ReplaceAll(s, "%{", "%%{")
}

func (c *hclConverter) part(e hclsyntax.Expression) (string, error) {
	switch x := e.(type) {
	case *hclsyntax.LiteralValueExpr:
		if x.Val.IsNull() {
			return "null", nil
		}
		s, err := convert.Convert(x.Val, cty.String)
		if err != nil {
			return "", err
		}
		return escapeTemplate(s.AsString()), nil
	case *hclsyntax.TemplateExpr:
		return c.template(x)
	case *hclsyntax.TemplateWrapExpr:
		return c.part(x.Wrapped)
	case *hclsyntax.ConditionalExpr:
		return c.ifDirective(x)
	case *hclsyntax.TemplateJoinExpr:
		if loop, ok := x.Tuple.(*hclsyntax.ForExpr); ok {
			return c.forDirective(loop)
		}
	}
	return c.wrap(e), nil
}

func (c *hclConverter) key(e hclsyntax.Expression) (string, error) {
	if k, ok := e.(*hclsyntax.ObjectConsKeyExpr); ok {
		e = k.Wrapped
		if _, bare := e.(*hclsyntax.ScopeTraversalExpr); bare {
			return c.source(e.Range()), nil
		}
	}
	return c.part(e)
}

func (c *hclConverter) ifDirective(x *hclsyntax.ConditionalExpr) (string, error) {
	var b strings.Builder
	b.WriteString("%{if " + c.source(x.Condition.Range()) + "}")
	yes, err := c.part(x.TrueResult)
	if err != nil {
		return "", err
	}
	b.WriteString(yes)
	if no, err := c.part(x.FalseResult); err == nil && no != "" {
		b.WriteString("%{else}" + no)
	}
	b.WriteString("%{endif}")
	return b.String(), nil
}

func (c *hclConverter) forDirective(x *hclsyntax.ForExpr) (string, error) {
	var b strings.Builder
	b.WriteString("%{for ")
	if x.KeyVar != "" {
		b.WriteString(x.KeyVar + ", ")
	}
	b.WriteString(x.ValVar + " in " + c.source(x.CollExpr.Range()) + "}")
	body, err := c.part(x.ValExpr)
	if err != nil {
		return "", err
	}
	b.WriteString(body + "%{endfor}")
	return b.String(), nil
}

// wrap writes an expression as its source inside "${…}".
func (c *hclConverter) wrap(e hclsyntax.Expression) string {
	return "${" + c.source(e.Range()) + "}"
}

// source is the text of r. A range that stops just before a closing
// parenthesis (a function call's, as the parser reports it) takes it in.
func (c *hclConverter) source(r hcl.Range) string {
	start, end := r.Start.Byte, r.End.Byte
	if start < 0 || end > len(c.src) || start > end {
		return ""
	}
	if end < len(c.src) && c.src[end] == ')' {
		end++
	}
	return string(c.src[start:end])
}
