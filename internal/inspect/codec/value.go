package codec

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"sync"
	"time"
)

// A compact binary encoding of Go values, for the image cache's reports.
// It follows the types by reflection, so a field added to Report is cached
// with no change here; what it cannot express (interfaces, funcs,
// channels) is an error, and then nothing is cached. Unlike gob it keeps
// nil apart from empty (a report says null for rules that did not run and
// [] for rules that found nothing), and unlike JSON it keeps the fields
// JSON leaves out (Copy.Hash) and decodes ~15x faster.
//
//	bool                   one byte
//	signed / unsigned int  varint / uvarint
//	float                  8 bytes, IEEE 754 bits, little endian
//	string                 uvarint length, bytes
//	slice, map             uvarint 0 for nil, else length+1, then the
//	                       elements (map keys sorted, so equal maps encode
//	                       alike)
//	pointer                one byte 0 for nil, else 1 and the value
//	array, struct          the elements, the exported fields in order
//	time.Time              its MarshalBinary, as a string
//
// Unexported fields are skipped: nothing outside the package sees them
// (internal/inspect's Finding.units only feeds the summary, which is
// cached whole).

// Codec encodes and decodes the values of one type.
type Codec struct {
	enc func(w *Writer, v reflect.Value)
	dec func(r *Reader, v reflect.Value)
}

// Encode writes v, a value of the Codec's type, to w.
func (c *Codec) Encode(w *Writer, v reflect.Value) { c.enc(w, v) }

// Decode reads into v, a settable value of the Codec's type, from r.
func (c *Codec) Decode(r *Reader, v reflect.Value) { c.dec(r, v) }

var codecCache sync.Map // reflect.Type → *Codec or error

// For returns the Codec of t, or why t cannot be encoded.
func For(t reflect.Type) (*Codec, error) {
	if c, ok := codecCache.Load(t); ok {
		if err, isErr := c.(error); isErr {
			return nil, err
		}
		return c.(*Codec), nil
	}
	c, err := compileCodec(t, map[reflect.Type]*Codec{})
	if err != nil {
		codecCache.Store(t, err)
		return nil, err
	}
	codecCache.Store(t, c)
	return c, nil
}

// Encode writes v (a pointer) in the encoding above, unchecksummed.
func Encode(out io.Writer, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("Encode: want a non-nil pointer, got %T", v)
	}
	c, err := For(rv.Type().Elem())
	if err != nil {
		return err
	}
	w := NewWriter(out)
	c.enc(w, rv.Elem())
	return w.w.Flush()
}

// Decode decodes what Encode wrote into v (a pointer); all of b
// must be used.
func Decode(b []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("Decode: want a non-nil pointer, got %T", v)
	}
	c, err := For(rv.Type().Elem())
	if err != nil {
		return err
	}
	r := &Reader{b: b}
	c.dec(r, rv.Elem())
	if r.err == nil && len(r.b) != 0 {
		r.Fail()
	}
	return r.err
}

var timeType = reflect.TypeFor[time.Time]()

func compileCodec(t reflect.Type, seen map[reflect.Type]*Codec) (*Codec, error) {
	if c, ok := seen[t]; ok {
		return c, nil // a recursive type: filled in below before it runs
	}
	c := &Codec{}
	seen[t] = c
	if t == timeType {
		c.enc = func(w *Writer, v reflect.Value) {
			b, err := v.Interface().(time.Time).MarshalBinary()
			if err != nil {
				b = nil // a zone offset MarshalBinary cannot express: decodes as a miss
			}
			w.Uvarint(uint64(len(b)))
			w.Write(b)
		}
		c.dec = func(r *Reader, v reflect.Value) {
			b := r.Bytes(r.Uvarint())
			var tm time.Time
			if err := tm.UnmarshalBinary(b); err != nil {
				r.Fail()
				return
			}
			v.Set(reflect.ValueOf(tm))
		}
		return c, nil
	}
	switch t.Kind() {
	case reflect.Bool:
		c.enc = func(w *Writer, v reflect.Value) {
			w.buf[0] = 0
			if v.Bool() {
				w.buf[0] = 1
			}
			w.Write(w.buf[:1])
		}
		c.dec = func(r *Reader, v reflect.Value) {
			switch r.Byte() {
			case 0:
				v.SetBool(false)
			case 1:
				v.SetBool(true)
			default:
				r.Fail()
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		c.enc = func(w *Writer, v reflect.Value) { w.Varint(v.Int()) }
		c.dec = func(r *Reader, v reflect.Value) {
			n := r.Varint()
			if v.OverflowInt(n) {
				r.Fail()
				return
			}
			v.SetInt(n)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		c.enc = func(w *Writer, v reflect.Value) { w.Uvarint(v.Uint()) }
		c.dec = func(r *Reader, v reflect.Value) {
			n := r.Uvarint()
			if v.OverflowUint(n) {
				r.Fail()
				return
			}
			v.SetUint(n)
		}
	case reflect.Float32, reflect.Float64:
		c.enc = func(w *Writer, v reflect.Value) {
			binary.LittleEndian.PutUint64(w.buf[:8], math.Float64bits(v.Float()))
			w.Write(w.buf[:8])
		}
		c.dec = func(r *Reader, v reflect.Value) {
			if b := r.Bytes(8); len(b) == 8 {
				v.SetFloat(math.Float64frombits(binary.LittleEndian.Uint64(b)))
			}
		}
	case reflect.String:
		c.enc = func(w *Writer, v reflect.Value) { w.Str(v.String()) }
		c.dec = func(r *Reader, v reflect.Value) { v.SetString(r.Str()) }
	case reflect.Pointer:
		elem, err := compileCodec(t.Elem(), seen)
		if err != nil {
			return nil, err
		}
		c.enc = func(w *Writer, v reflect.Value) {
			if v.IsNil() {
				w.buf[0] = 0
				w.Write(w.buf[:1])
				return
			}
			w.buf[0] = 1
			w.Write(w.buf[:1])
			elem.enc(w, v.Elem())
		}
		c.dec = func(r *Reader, v reflect.Value) {
			switch r.Byte() {
			case 0:
			case 1:
				p := reflect.New(t.Elem())
				elem.dec(r, p.Elem())
				v.Set(p)
			default:
				r.Fail()
			}
		}
	case reflect.Slice:
		elem, err := compileCodec(t.Elem(), seen)
		if err != nil {
			return nil, err
		}
		c.enc = func(w *Writer, v reflect.Value) {
			if v.IsNil() {
				w.Uvarint(0)
				return
			}
			n := v.Len()
			w.Uvarint(uint64(n) + 1)
			for i := 0; i < n; i++ {
				elem.enc(w, v.Index(i))
			}
		}
		c.dec = func(r *Reader, v reflect.Value) {
			n, ok := r.length()
			if !ok {
				return
			}
			s := reflect.MakeSlice(t, n, n)
			for i := 0; i < n && r.err == nil; i++ {
				elem.dec(r, s.Index(i))
			}
			v.Set(s)
		}
	case reflect.Array:
		elem, err := compileCodec(t.Elem(), seen)
		if err != nil {
			return nil, err
		}
		c.enc = func(w *Writer, v reflect.Value) {
			for i := 0; i < v.Len(); i++ {
				elem.enc(w, v.Index(i))
			}
		}
		c.dec = func(r *Reader, v reflect.Value) {
			for i := 0; i < v.Len() && r.err == nil; i++ {
				elem.dec(r, v.Index(i))
			}
		}
	case reflect.Map:
		key, err := compileCodec(t.Key(), seen)
		if err != nil {
			return nil, err
		}
		val, err := compileCodec(t.Elem(), seen)
		if err != nil {
			return nil, err
		}
		c.enc = func(w *Writer, v reflect.Value) {
			if v.IsNil() {
				w.Uvarint(0)
				return
			}
			keys := v.MapKeys()
			slices.SortFunc(keys, compareKeys)
			w.Uvarint(uint64(len(keys)) + 1)
			for _, k := range keys {
				key.enc(w, k)
				val.enc(w, v.MapIndex(k))
			}
		}
		c.dec = func(r *Reader, v reflect.Value) {
			n, ok := r.length()
			if !ok {
				return
			}
			m := reflect.MakeMapWithSize(t, n)
			k, e := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
			for i := 0; i < n && r.err == nil; i++ {
				k.SetZero()
				e.SetZero()
				key.dec(r, k)
				val.dec(r, e)
				m.SetMapIndex(k, e)
			}
			if r.err == nil && m.Len() != n {
				r.Fail() // the same key twice
			}
			v.Set(m)
		}
	case reflect.Struct:
		type field struct {
			index int
			c     *Codec
		}
		var fields []field
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			fc, err := compileCodec(f.Type, seen)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", t, f.Name, err)
			}
			fields = append(fields, field{i, fc})
		}
		if len(fields) == 0 {
			return nil, fmt.Errorf("%s: no exported fields", t)
		}
		c.enc = func(w *Writer, v reflect.Value) {
			for _, f := range fields {
				f.c.enc(w, v.Field(f.index))
			}
		}
		c.dec = func(r *Reader, v reflect.Value) {
			for _, f := range fields {
				if r.err != nil {
					return
				}
				f.c.dec(r, v.Field(f.index))
			}
		}
	default:
		return nil, fmt.Errorf("%s: cannot encode a %s", t, t.Kind())
	}
	return c, nil
}

// length reads a slice's or map's length+1; ok is false for nil (0) and
// for a length that cannot fit what is left (each element takes at least
// a byte: a damaged length must not make a huge allocation).
func (r *Reader) length() (int, bool) {
	n := r.Uvarint()
	if n == 0 || r.err != nil {
		return 0, false
	}
	if n-1 > uint64(len(r.b)) {
		r.Fail()
		return 0, false
	}
	return int(n - 1), true
}

func compareKeys(a, b reflect.Value) int {
	switch a.Kind() {
	case reflect.String:
		return cmp.Compare(a.String(), b.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return cmp.Compare(a.Int(), b.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return cmp.Compare(a.Uint(), b.Uint())
	case reflect.Float32, reflect.Float64:
		return cmp.Compare(a.Float(), b.Float())
	case reflect.Bool:
		return cmp.Compare(boolInt(a.Bool()), boolInt(b.Bool()))
	}
	return 0 // other keys: in map order (equal maps may then encode apart)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
