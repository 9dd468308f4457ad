package yamlfile

import (
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var printer = message.NewPrinter(language.English)

// describe turns a schema failure into a sentence that says what was
// expected, in the vocabulary of the file rather than of JSON Schema.
func describe(e *jsonschema.ValidationError) string {
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		return fmt.Sprintf("unknown field %s", quoteAll(k.Properties))
	case *kind.Required:
		return fmt.Sprintf("missing required field %s", quoteAll(k.Missing))
	case *kind.Enum:
		return fmt.Sprintf("got %s; expected one of %s", show(k.Got), showAll(k.Want))
	case *kind.Type:
		return fmt.Sprintf("got %s; expected %s", k.Got, strings.Join(k.Want, " or "))
	case *kind.Pattern:
		return fmt.Sprintf("%q does not have the expected form (%s)", k.Got, k.Want)
	case *kind.MinLength:
		return "must not be empty"
	case *kind.MinItems:
		return fmt.Sprintf("needs at least %d entries", k.Want)
	}
	return e.ErrorKind.LocalizedString(printer)
}

func additional(e *jsonschema.ValidationError) ([]string, bool) {
	k, ok := e.ErrorKind.(*kind.AdditionalProperties)
	if !ok {
		return nil, false
	}
	return k.Properties, true
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

func show(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}

func showAll(vs []any) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = show(v)
	}
	return strings.Join(out, ", ")
}
