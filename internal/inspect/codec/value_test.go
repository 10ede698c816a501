package codec

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"
)

// The encoding keeps nil apart from empty, and every kind of field the
// report uses.
func TestValueRoundTrip(t *testing.T) {
	type inner struct {
		S []string
		M map[string]int64
	}
	type Embedded struct{ WastedFiles int }
	type value struct {
		Nil, Empty []string
		NilMap     map[int]int64
		EmptyMap   map[string]int
		P, NilP    *inner
		F          float64
		T          time.Time
		B          bool
		U          uint64
		I          int8
		A          [2]int
		In         inner
		Embedded
		hidden int
	}
	v := value{
		Empty: []string{}, EmptyMap: map[string]int{},
		P: &inner{S: []string{"a", ""}, M: map[string]int64{"x": -1, "y": 1 << 40}},
		F: 0.1 + 0.2, T: time.Date(2024, 2, 29, 12, 0, 0, 5, time.UTC), B: true, U: 1<<64 - 1, I: -128,
		A: [2]int{3, -4}, In: inner{M: map[string]int64{}}, Embedded: Embedded{WastedFiles: 7}, hidden: 1,
	}
	var b bytes.Buffer
	if err := Encode(&b, &v); err != nil {
		t.Fatal(err)
	}
	var got value
	if err := Decode(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	v.hidden = 0
	if !reflect.DeepEqual(got, v) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", got, v)
	}
	if got.Nil != nil || got.Empty == nil || got.NilMap != nil || got.EmptyMap == nil || got.NilP != nil || got.In.S != nil || got.In.M == nil {
		t.Fatal("nil and empty were confused")
	}
	// Types it cannot express are refused, so that nothing is cached.
	type bad struct{ X any }
	if err := Encode(&bytes.Buffer{}, &bad{}); err == nil {
		t.Fatal("an interface field was accepted")
	}
}

// A frame holds what the Writer wrote; any damage to it, or a cut, is
// ErrCorrupt, and a Reader past the end reads zeros and says so.
func TestFrameAndPrimitives(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	w.Write([]byte("magic"))
	w.Str("diff")
	w.Varint(-5)
	w.Uvarint(300)
	w.Byte(7)
	w.Fixed64(1 << 63)
	for _, p := range []string{"/usr/bin/a", "/usr/bin/b", "/usr/lib/x"} {
		w.Path(p)
	}
	w.ResetPath()
	w.Path("/etc")
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	body, err := Unframe(b.Bytes(), "magic")
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader(body)
	if r.Str() != "diff" || r.Varint() != -5 || r.Uvarint() != 300 || r.Byte() != 7 || r.Fixed64() != 1<<63 {
		t.Fatal("the primitives did not read back")
	}
	for _, want := range []string{"/usr/bin/a", "/usr/bin/b", "/usr/lib/x"} {
		if got := r.Path(); got != want {
			t.Fatalf("path %q, want %q", got, want)
		}
	}
	r.ResetPath()
	if r.Path() != "/etc" || r.Done() != nil {
		t.Fatal("the front-coded run did not restart")
	}
	if r.Uvarint() != 0 || !errors.Is(r.Err(), ErrCorrupt) {
		t.Fatal("a read past the end is not ErrCorrupt")
	}
	for i := range b.Len() {
		d := bytes.Clone(b.Bytes())
		d[i] ^= 0x40
		if _, err := Unframe(d, "magic"); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("a flipped byte %d passed the frame", i)
		}
		if _, err := Unframe(b.Bytes()[:i], "magic"); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("a frame cut at %d passed", i)
		}
	}
}
