package inspect

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
)

// WriteJSON writes the report as json.Encoder with SetIndent("", "  ")
// does, byte for byte, but a piece at a time: the report's objects are
// written field by field and its lists element by element, so the big
// lists (40k hidden copies on a 229k-entry image, 16 MB of JSON) never sit
// in memory whole, twice (encoding/json marshals, then indents into a
// second buffer). Values it does not walk into are marshalled whole: the
// structs in a list, any struct with a field that has tag options
// (omitempty...), an embedded field or a method of its own, and everything
// that is not a struct, slice or array.
func (r *Report) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	sw := &jsonStreamer{w: bw}
	sw.value(reflect.ValueOf(r).Elem(), "")
	if sw.err == nil {
		bw.WriteByte('\n')
		sw.err = bw.Flush()
	}
	return sw.err
}

type jsonStreamer struct {
	w   *bufio.Writer
	buf bytes.Buffer
	err error
}

const jsonIndent = "  "

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[interface{ MarshalText() ([]byte, error) }]()
)

// value writes v, whose first line is already indented; its later lines
// start with prefix.
func (s *jsonStreamer) value(v reflect.Value, prefix string) {
	if s.err != nil {
		return
	}
	switch {
	case v.Kind() == reflect.Struct && streamableStruct(v.Type()):
		s.object(v, prefix)
	case (v.Kind() == reflect.Slice && !v.IsNil() || v.Kind() == reflect.Array) && v.Len() > 0 &&
		v.Type().Elem().Kind() != reflect.Uint8 && !hasMethods(v.Type()):
		s.array(v, prefix)
	default:
		s.marshal(v, prefix)
	}
}

func (s *jsonStreamer) object(v reflect.Value, prefix string) {
	t := v.Type()
	inner := prefix + jsonIndent
	s.w.WriteString("{")
	n := 0
	for i := 0; i < t.NumField(); i++ {
		name, skip := jsonFieldName(t.Field(i))
		if skip {
			continue
		}
		if n > 0 {
			s.w.WriteByte(',')
		}
		n++
		s.w.WriteString("\n" + inner)
		s.marshal(reflect.ValueOf(name), inner)
		s.w.WriteString(": ")
		s.value(v.Field(i), inner)
	}
	if n > 0 {
		s.w.WriteString("\n" + prefix)
	}
	s.w.WriteString("}")
}

func (s *jsonStreamer) array(v reflect.Value, prefix string) {
	inner := prefix + jsonIndent
	s.w.WriteString("[")
	for i := 0; i < v.Len(); i++ {
		if i > 0 {
			s.w.WriteByte(',')
		}
		s.w.WriteString("\n" + inner)
		if e := v.Index(i); e.Kind() == reflect.Struct {
			s.marshal(e, inner) // one Marshal per element: cheaper than per field
		} else {
			s.value(e, inner)
		}
	}
	s.w.WriteString("\n" + prefix + "]")
}

// marshal writes v as MarshalIndent(v, prefix, "  ") would.
func (s *jsonStreamer) marshal(v reflect.Value, prefix string) {
	if s.err != nil {
		return
	}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		s.err = err
		return
	}
	if bytes.IndexByte(b, '{') < 0 && bytes.IndexByte(b, '[') < 0 {
		s.w.Write(b) // a scalar (or a string holding none): nothing to indent
		return
	}
	s.buf.Reset()
	if err := json.Indent(&s.buf, b, prefix, jsonIndent); err != nil {
		s.err = err
		return
	}
	s.w.Write(s.buf.Bytes())
}

// streamableStruct: encoding/json writes every exported field of t, in
// order, under its tag's name or its own, nothing else.
func streamableStruct(t reflect.Type) bool {
	if hasMethods(t) {
		return false
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			return false
		}
		tag, ok := f.Tag.Lookup("json")
		if !ok || tag == "-" {
			continue
		}
		if strings.Contains(tag, ",") || !validJSONName(tag) {
			return false
		}
	}
	return true
}

func jsonFieldName(f reflect.StructField) (name string, skip bool) {
	if !f.IsExported() {
		return "", true
	}
	tag, ok := f.Tag.Lookup("json")
	if tag == "-" {
		return "", true
	}
	if !ok || tag == "" {
		return f.Name, false
	}
	return tag, false
}

// validJSONName is a tag name encoding/json takes as it is (else it falls
// back to the field's name; then the value is marshalled whole instead).
func validJSONName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// hasMethods: the type or its pointer marshals itself.
func hasMethods(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(jsonMarshaler) || p.Implements(jsonMarshaler) ||
		t.Implements(textMarshaler) || p.Implements(textMarshaler)
}
