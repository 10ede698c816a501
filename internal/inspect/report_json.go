package inspect

import (
	"bytes"
	"encoding"
	"encoding/json"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// WriteJSON writes the report as json.Encoder with SetIndent("", "  ")
// does, byte for byte, but a piece at a time and mostly without
// encoding/json: structs are written field by field, lists element by
// element, and strings, integers, booleans and values that marshal as text
// are appended directly. encoding/json's Marshal and Indent of each list
// element took ~110 ms of a warm run's ~130 ms of CPU on the 229k-entry
// benchmark image (16 MB of JSON; docs/performance.md), and the big lists
// never sit in memory whole, twice, as Marshal then Indent would hold them.
func (r *Report) WriteJSON(w io.Writer) error {
	return writeIndentedJSON(w, reflect.ValueOf(r).Elem())
}

// writeIndentedJSON writes v, which must be addressable, as json.Encoder
// with SetIndent("", "  ") writes a pointer to it. What it does not walk
// into is marshalled whole by encoding/json and indented: maps, floats,
// interfaces, byte slices, types that marshal themselves as JSON (or as
// text through a pointer), structs with an embedded field, a tag option
// other than omitempty or two fields of one name, and what lies deeper
// than jsonMaxDepth levels (where encoding/json finds cycles).
func writeIndentedJSON(w io.Writer, v reflect.Value) error {
	s := &jsonStreamer{w: w, out: make([]byte, 0, 2*jsonFlushAt), plans: map[reflect.Type]*jsonPlan{}}
	s.value(s.plan(v.Type()), v, 0)
	s.out = append(s.out, '\n')
	s.flush()
	return s.err
}

type jsonStreamer struct {
	w       io.Writer
	out     []byte // what is not written to w yet
	buf     bytes.Buffer
	err     error
	plans   map[reflect.Type]*jsonPlan
	newline string // "\n" and the indent of the deepest level so far
}

const jsonIndent = "  "

// jsonMaxDepth is how deep the streamer walks itself.
const jsonMaxDepth = 500

// jsonFlushAt is how much the streamer holds before it writes to w.
const jsonFlushAt = 64 << 10

// flush writes what the streamer holds (the streamer appends to out
// rather than through a bufio.Writer: appends are inlined, ~10% faster).
func (s *jsonStreamer) flush() {
	if s.err == nil {
		_, s.err = s.w.Write(s.out)
	}
	s.out = s.out[:0]
}

// indent is the prefix of lines at depth.
func (s *jsonStreamer) indent(depth int) string { return s.newlineAt(depth)[1:] }

// newlineAt is a newline followed by the prefix of lines at depth.
func (s *jsonStreamer) newlineAt(depth int) string {
	n := 1 + depth*len(jsonIndent)
	if len(s.newline) < n {
		s.newline = "\n" + strings.Repeat(jsonIndent, 2*depth+8)
	}
	return s.newline[:n]
}

// jsonPlan is how the streamer writes values of one type.
type jsonPlan struct {
	how    jsonHow
	elem   *jsonPlan   // jsonList, jsonPointer
	fields []jsonField // jsonObject
}

type jsonHow uint8

const (
	jsonMarshal jsonHow = iota // encoding/json, then indented
	jsonString
	jsonInt
	jsonUint
	jsonBool
	jsonText // a value that marshals as text: a JSON string
	jsonList
	jsonPointer
	jsonObject
)

type jsonField struct {
	index     int
	key       string // "name": and a space
	omitEmpty bool
	plan      *jsonPlan
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// plan returns t's plan, made once per WriteJSON (a plan is in the map
// before its fields are planned, so a recursive type ends).
func (s *jsonStreamer) plan(t reflect.Type) *jsonPlan {
	if p := s.plans[t]; p != nil {
		return p
	}
	p := &jsonPlan{}
	s.plans[t] = p
	p.how = jsonHowOf(t)
	switch p.how {
	case jsonList, jsonPointer:
		p.elem = s.plan(t.Elem())
	case jsonObject:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, omitEmpty, skip := jsonFieldName(f)
			if !skip {
				p.fields = append(p.fields, jsonField{index: i, key: string(appendJSONString(nil, name)) + ": ", omitEmpty: omitEmpty, plan: s.plan(f.Type)})
			}
		}
	}
	return p
}

func jsonHowOf(t reflect.Type) jsonHow {
	p := reflect.PointerTo(t)
	if t.Implements(jsonMarshaler) || p.Implements(jsonMarshaler) {
		return jsonMarshal
	}
	if t.Implements(textMarshaler) {
		if k := t.Kind(); k == reflect.Pointer || k == reflect.Interface {
			return jsonMarshal // nil is null
		}
		return jsonText
	}
	if p.Implements(textMarshaler) {
		return jsonMarshal // encoding/json calls it only when addressable
	}
	switch t.Kind() {
	case reflect.String:
		return jsonString
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return jsonInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return jsonUint
	case reflect.Bool:
		return jsonBool
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() != reflect.Uint8 { // []byte is base64
			return jsonList
		}
	case reflect.Pointer:
		return jsonPointer
	case reflect.Struct:
		if streamableStruct(t) {
			return jsonObject
		}
	}
	return jsonMarshal
}

// value writes v, whose first line is already indented; its later lines
// are indented depth levels.
func (s *jsonStreamer) value(p *jsonPlan, v reflect.Value, depth int) {
	if s.err != nil {
		return
	}
	if depth > jsonMaxDepth {
		s.marshal(v, depth) // a cycle is encoding/json's error, not a stack overflow
		return
	}
	switch p.how {
	case jsonString:
		s.out = appendJSONString(s.out, v.String())
	case jsonInt:
		s.out = strconv.AppendInt(s.out, v.Int(), 10)
	case jsonUint:
		s.out = strconv.AppendUint(s.out, v.Uint(), 10)
	case jsonBool:
		s.out = strconv.AppendBool(s.out, v.Bool())
	case jsonText:
		b, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			s.marshal(v, depth) // encoding/json's error
			return
		}
		s.out = appendJSONString(s.out, string(b))
	case jsonPointer:
		if v.IsNil() {
			s.out = append(s.out, "null"...)
		} else {
			s.value(p.elem, v.Elem(), depth)
		}
	case jsonList:
		s.list(p.elem, v, depth)
	case jsonObject:
		s.object(p, v, depth)
	default:
		s.marshal(v, depth)
	}
}

func (s *jsonStreamer) object(p *jsonPlan, v reflect.Value, depth int) {
	s.out = append(s.out, '{')
	n := 0
	for _, f := range p.fields {
		fv := v.Field(f.index)
		if f.omitEmpty && isEmptyJSON(fv) {
			continue
		}
		if n > 0 {
			s.out = append(s.out, ',')
		}
		n++
		s.out = append(s.out, s.newlineAt(depth+1)...)
		s.out = append(s.out, f.key...)
		s.value(f.plan, fv, depth+1)
	}
	if n > 0 {
		s.out = append(s.out, s.newlineAt(depth)...)
	}
	s.out = append(s.out, '}')
}

func (s *jsonStreamer) list(elem *jsonPlan, v reflect.Value, depth int) {
	switch {
	case v.Kind() == reflect.Slice && v.IsNil():
		s.out = append(s.out, "null"...)
		return
	case v.Len() == 0:
		s.out = append(s.out, "[]"...)
		return
	}
	s.out = append(s.out, '[')
	for i := 0; i < v.Len(); i++ {
		if i > 0 {
			s.out = append(s.out, ',')
		}
		s.out = append(s.out, s.newlineAt(depth+1)...)
		s.value(elem, v.Index(i), depth+1)
		if len(s.out) >= jsonFlushAt {
			s.flush()
		}
	}
	s.out = append(s.out, s.newlineAt(depth)...)
	s.out = append(s.out, ']')
}

// marshal writes v as MarshalIndent(v, prefix, "  ") would, with the
// prefix of depth.
func (s *jsonStreamer) marshal(v reflect.Value, depth int) {
	if s.err != nil {
		return
	}
	if v.CanAddr() {
		v = v.Addr() // a method on the pointer, as encoding/json calls it on what it can address
	}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		s.err = err
		return
	}
	if bytes.IndexByte(b, '{') < 0 && bytes.IndexByte(b, '[') < 0 {
		s.out = append(s.out, b...) // a scalar (or a string holding none): nothing to indent
		return
	}
	s.buf.Reset()
	if err := json.Indent(&s.buf, b, s.indent(depth), jsonIndent); err != nil {
		s.err = err
		return
	}
	s.out = append(s.out, s.buf.Bytes()...)
}

// isEmptyJSON is encoding/json's test for omitempty.
func isEmptyJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// streamableStruct: encoding/json writes every exported field of t, in
// order, under its tag's name or its own, each one unless omitempty and
// empty, nothing else (no embedded fields to flatten, no names that clash).
func streamableStruct(t reflect.Type) bool {
	names := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			return false
		}
		name, _, skip := jsonFieldName(f)
		if skip {
			continue
		}
		if tag, ok := f.Tag.Lookup("json"); ok {
			tagName, opts, _ := strings.Cut(tag, ",")
			if opts != "" && opts != "omitempty" || !validJSONName(tagName) {
				return false
			}
		}
		if names[name] {
			return false
		}
		names[name] = true
	}
	return true
}

func jsonFieldName(f reflect.StructField) (name string, omitEmpty, skip bool) {
	if !f.IsExported() {
		return "", false, true
	}
	tag, ok := f.Tag.Lookup("json")
	if tag == "-" {
		return "", false, true
	}
	name, opts, _ := strings.Cut(tag, ",")
	if !ok || name == "" {
		name = f.Name
	}
	return name, opts == "omitempty", false
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

// appendJSONString appends s as encoding/json (its appendString) writes a string with HTML
// escaping on (as Marshal and a default Encoder do): quoted; `"` and `\`
// escaped; \b \f \n \r \t short; other control bytes, <, > and & as
// \u00XX; U+2028 and U+2029 as \u2028 and \u2029; each byte of invalid
// UTF-8 as \ufffd.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if jsonPlain[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// jsonPlain are the ASCII bytes appendJSONString copies as they are.
var jsonPlain = func() (plain [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		plain[c] = !strings.ContainsRune(`"\\<>&`, rune(c))
	}
	return plain
}()
