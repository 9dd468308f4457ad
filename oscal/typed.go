package oscal

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
)

// typedDecoder fills go-oscal's types from parsed values. Decoding from the
// values already parsed, instead of parsing the text a second time, halves
// the cost of loading a large catalog, and every finding keeps the line
// and field path of its value.
//
// It decodes as far as it can: a member the Go types lack, or a value of
// the wrong JSON type, is recorded and skipped.
type typedDecoder struct {
	path    []pathStep
	unknown []failure // members the Go types do not have
	wrong   []failure // values the Go types cannot hold
}

var timeType = reflect.TypeFor[time.Time]()

func (d *typedDecoder) decode(v *value, rv reflect.Value) {
	if v.kind == kindNull {
		return // null leaves the zero value, as encoding/json does
	}
	t := rv.Type()
	switch {
	case t == timeType:
		d.decodeTime(v, rv)
		return
	case t.Kind() == reflect.Pointer:
		if rv.IsNil() {
			rv.Set(reflect.New(t.Elem()))
		}
		d.decode(v, rv.Elem())
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		d.decodeStruct(v, rv)
	case reflect.Slice:
		d.decodeSlice(v, rv)
	case reflect.Map:
		d.decodeMap(v, rv)
	case reflect.Interface:
		if rv.NumMethod() > 0 {
			d.mismatch(v, t)
			return
		}
		if p := plain(v); p != nil {
			rv.Set(reflect.ValueOf(p))
		}
	case reflect.String:
		if v.kind != kindString {
			d.mismatch(v, t)
			return
		}
		rv.SetString(v.str)
	case reflect.Bool:
		if v.kind != kindBool {
			d.mismatch(v, t)
			return
		}
		rv.SetBool(v.str == "true")
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, err := strconv.ParseInt(v.str, 10, 64)
		if v.kind != kindNumber || err != nil || rv.OverflowInt(n) {
			d.mismatch(v, t)
			return
		}
		rv.SetInt(n)
	case reflect.Float64, reflect.Float32:
		f, err := strconv.ParseFloat(v.str, 64)
		if v.kind != kindNumber || err != nil {
			d.mismatch(v, t)
			return
		}
		rv.SetFloat(f)
	default:
		d.mismatch(v, t)
	}
}

func (d *typedDecoder) mismatch(v *value, t reflect.Type) {
	d.wrong = append(d.wrong, failure{path: renderPath(d.path), line: int(v.line), msg: fmt.Sprintf("got %s; the Go type is %s", show(v), t)})
}

func (d *typedDecoder) decodeTime(v *value, rv reflect.Value) {
	if v.kind != kindString {
		d.mismatch(v, rv.Type())
		return
	}
	t, err := parseTime(v.str)
	if err != nil {
		d.wrong = append(d.wrong, failure{path: renderPath(d.path), line: int(v.line), msg: err.Error()})
		return
	}
	rv.Set(reflect.ValueOf(t))
}

func (d *typedDecoder) decodeStruct(v *value, rv reflect.Value) {
	if v.kind != kindObject {
		d.mismatch(v, rv.Type())
		return
	}
	fields := structFields(rv.Type())
	for i, k := range v.keys {
		d.path = append(d.path, pathStep{key: k, index: -1})
		if f, ok := fields[k]; ok {
			d.decode(v.items[i], rv.Field(f))
		} else {
			d.unknown = append(d.unknown, failure{path: renderPath(d.path), line: int(v.items[i].line), msg: fmt.Sprintf("the Go type %s has no field %q", rv.Type(), k)})
		}
		d.path = d.path[:len(d.path)-1]
	}
}

func (d *typedDecoder) decodeSlice(v *value, rv reflect.Value) {
	if v.kind != kindArray {
		d.mismatch(v, rv.Type())
		return
	}
	s := reflect.MakeSlice(rv.Type(), len(v.items), len(v.items))
	for i, e := range v.items {
		d.path = append(d.path, pathStep{index: i})
		d.decode(e, s.Index(i))
		d.path = d.path[:len(d.path)-1]
	}
	rv.Set(s)
}

func (d *typedDecoder) decodeMap(v *value, rv reflect.Value) {
	t := rv.Type()
	if v.kind != kindObject || t.Key().Kind() != reflect.String {
		d.mismatch(v, t)
		return
	}
	m := reflect.MakeMapWithSize(t, len(v.keys))
	for i, k := range v.keys {
		d.path = append(d.path, pathStep{key: k, index: -1})
		e := reflect.New(t.Elem()).Elem()
		d.decode(v.items[i], e)
		m.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), e)
		d.path = d.path[:len(d.path)-1]
	}
	rv.Set(m)
}

// plain returns v as encoding/json would decode it into an interface.
func plain(v *value) any {
	switch v.kind {
	case kindBool:
		return v.str == "true"
	case kindNumber:
		f, err := strconv.ParseFloat(v.str, 64)
		if err != nil {
			return v.str
		}
		return f
	case kindString:
		return v.str
	case kindObject:
		m := make(map[string]any, len(v.keys))
		for i, k := range v.keys {
			m[k] = plain(v.items[i])
		}
		return m
	case kindArray:
		s := make([]any, len(v.items))
		for i, e := range v.items {
			s[i] = plain(e)
		}
		return s
	}
	return nil
}

// fieldCache maps each struct type to its fields by JSON name.
var fieldCache sync.Map // reflect.Type → map[string]int

func structFields(t reflect.Type) map[string]int {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]int)
	}
	m := make(map[string]int, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		m[name] = i
	}
	fieldCache.Store(t, m)
	return m
}
