package inspect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/rules"
)

func indentedJSON(t *testing.T, r Report) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func checkWriteJSON(t *testing.T, r Report) {
	t.Helper()
	var got bytes.Buffer
	if err := r.WriteJSON(&got); err != nil {
		t.Fatal(err)
	}
	if want := indentedJSON(t, r); !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("WriteJSON differs from json.Encoder:\n%s", firstDiff(got.Bytes(), want))
	}
}

// WriteJSON writes what json.Encoder with SetIndent("", "  ") writes, byte
// for byte, on every fixture image with and without the rules, and on
// reports with empty, nil and odd values.
func TestWriteJSONMatchesEncoder(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Now = testNow
	for name, ref := range fixtureRefs(t) {
		t.Run(name, func(t *testing.T) {
			a := analyzeFixture(t, ref)
			checkWriteJSON(t, a.Report())
			checkWriteJSON(t, a.ReportWithFindings(cfg))
		})
	}
	odd := Report{
		Layers: []LayerReport{},
		Waste: WasteReport{ByReason: map[string]int64{"deleted": 1, "<a&b>": 2}, Copies: []fsview.Copy{
			{Path: "/a/<script>&\u2028", Layer: 1, Size: 3, Hash: 9, Reason: fsview.Opaque},
			{Path: "/bad/\xff\xfe", HiddenBy: 2},
		}},
		Duplicates: DuplicatesReport{Groups: []fsview.DuplicateGroup{{Size: 1, Hash: "00", Paths: []string{}}}},
		Findings:   []rules.Finding{{Paths: []string{"/x"}, Packages: []rules.FindingPackage{{Name: "p"}}}},
		Categories: map[string]int64{},
		Summary:    &rules.FindingsSummary{BySeverity: map[string]int{}},
	}
	t.Run("odd", func(t *testing.T) { checkWriteJSON(t, odd) })
	t.Run("zero", func(t *testing.T) { checkWriteJSON(t, Report{}) })
}

// hostileJSONStrings are strings encoding/json escapes: quotes, backslashes,
// every control byte, HTML's <>&, U+2028/U+2029, invalid and truncated
// UTF-8, surrogate halves, and runs long enough to span many words.
var hostileJSONStrings = func() []string {
	s := []string{
		"", "plain/path.py", `"quoted"`, `back\slash`, "<script>&amp;</script>",
		"\u2028\u2029", "a\u2028b\u2029c", "\xff", "\xfe\xff", "a\xffb", "\xe2\x80", "\xe2\x80\xa8x",
		"\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "é", "日本語", "\U0001F600", "\x7f", "\x00",
		"\t\n\r\b\f\v", strings.Repeat("abcdefgh", 9) + "<", strings.Repeat("é<", 20),
		"/usr/lib/python3.11/site-packages/\x1b[31mred\x1b[0m",
	}
	var ctl strings.Builder
	for c := 0; c < 0x80; c++ {
		ctl.WriteByte(byte(c))
		s = append(s, string(rune(c)), "x"+string(rune(c))+"y")
	}
	return append(s, ctl.String())
}()

func checkJSONString(t *testing.T, s string) {
	t.Helper()
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := appendJSONString([]byte("prefix"), s); string(got) != "prefix"+string(want) {
		t.Fatalf("appendJSONString(%q) = %s, encoding/json writes %s", s, got[len("prefix"):], want)
	}
}

// appendJSONString writes every string as json.Marshal does.
func TestAppendJSONStringMatchesMarshal(t *testing.T) {
	for _, s := range hostileJSONStrings {
		checkJSONString(t, s)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range hostileJSONStrings {
		f.Add(s)
	}
	f.Fuzz(checkJSONString)
}

// Types the streamer walks into, or hands to encoding/json, each way it can.
type (
	jsonTextValue   uint8
	jsonTextPointer struct{ N int }
	jsonSelf        struct{ N int }
	jsonNamedString string
	jsonEmbedded    struct{ Inner string }
	jsonNode        struct {
		Name string    `json:"name"`
		Next *jsonNode `json:"next"`
	}
	jsonTree struct {
		Kids []jsonTree `json:"kids"`
	}
	jsonTagOptions struct {
		A int    `json:"a,omitzero"`
		B int    `json:"b,string"`
		C string `json:"c-d"`
		D int    `json:""`
	}
	jsonEmbedding struct {
		jsonEmbedded
		X int
	}
	jsonUntagged struct {
		Name   string
		Ünï    int
		hidden int
		Dash   int `json:"-"`
	}
	jsonOdd struct {
		S       string            `json:"s"`
		Named   jsonNamedString   `json:"named"`
		I8      int8              `json:"i8"`
		I64     int64             `json:"i64"`
		U       uint              `json:"u"`
		U64     uint64            `json:"u64"`
		Ptr     uintptr           `json:"ptr"`
		B       bool              `json:"b"`
		F       float64           `json:"f"`
		F32     float32           `json:"f32"`
		Text    jsonTextValue     `json:"text"`
		Texts   []jsonTextValue   `json:"texts"`
		PText   jsonTextPointer   `json:"ptext"`
		PTexts  []jsonTextPointer `json:"ptexts"`
		Self    jsonSelf          `json:"self"`
		Selves  []jsonSelf        `json:"selves"`
		List    *jsonNode         `json:"list"`
		Nil     *jsonNode         `json:"nil"`
		Bytes   []byte            `json:"bytes"`
		Array   [3]byte           `json:"array"`
		Ints    [2]int            `json:"ints"`
		Nested  [][]string        `json:"nested"`
		NilList []string          `json:"nilList"`
		Empty   []string          `json:"empty"`
		Map     map[string]int    `json:"map"`
		Any     any               `json:"any"`
		Time    time.Time         `json:"time"`
		// omitempty: each kind, empty and not
		OS   string         `json:"os,omitempty"`
		OI   int            `json:"oi,omitempty"`
		OB   bool           `json:"ob,omitempty"`
		OF   float64        `json:"of,omitempty"`
		OL   []int          `json:"ol,omitempty"`
		OM   map[string]int `json:"om,omitempty"`
		OP   *jsonNode      `json:"op,omitempty"`
		OA   any            `json:"oa,omitempty"`
		OT   jsonTextValue  `json:"ot,omitempty"`
		OStr jsonSelf       `json:"ostr,omitempty"`
		// whole by encoding/json: tag options, embedding
		Opts   []jsonTagOptions `json:"opts"`
		Embeds []jsonEmbedding  `json:"embeds"`
		// walked into: untagged, unexported and skipped fields
		Untagged []jsonUntagged `json:"untagged"`
		Structs  []struct{}     `json:"structs"`
	}
)

func (v jsonTextValue) MarshalText() ([]byte, error) {
	return []byte(fmt.Sprintf("t<%d>", v)), nil
}
func (p *jsonTextPointer) MarshalText() ([]byte, error) {
	return []byte(fmt.Sprintf("p&%d", p.N)), nil
}
func (v jsonSelf) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf(`{"self":[%d]}`, v.N)), nil
}

// The streamer writes what json.Encoder writes for values of every kind it
// walks into and every kind it hands to encoding/json, with hostile strings.
func TestWriteJSONStreamerMatchesEncoder(t *testing.T) {
	for typ, want := range map[reflect.Type]jsonHow{ // each type takes the path it is here for
		reflect.TypeFor[jsonOdd]():           jsonObject,
		reflect.TypeFor[jsonUntagged]():      jsonObject,
		reflect.TypeFor[jsonNode]():          jsonObject,
		reflect.TypeFor[*jsonNode]():         jsonPointer,
		reflect.TypeFor[jsonNamedString]():   jsonString,
		reflect.TypeFor[jsonTextValue]():     jsonText,
		reflect.TypeFor[[2]int]():            jsonList,
		reflect.TypeFor[jsonTextPointer]():   jsonMarshal,
		reflect.TypeFor[jsonSelf]():          jsonMarshal,
		reflect.TypeFor[jsonTagOptions]():    jsonMarshal,
		reflect.TypeFor[jsonEmbedding]():     jsonMarshal,
		reflect.TypeFor[[]byte]():            jsonMarshal,
		reflect.TypeFor[float64]():           jsonMarshal,
		reflect.TypeFor[map[string]int]():    jsonMarshal,
		reflect.TypeFor[time.Time]():         jsonMarshal,
		reflect.TypeFor[fsview.HideReason](): jsonText,
	} {
		if got := jsonHowOf(typ); got != want {
			t.Errorf("%v is written as %d, want %d", typ, got, want)
		}
	}
	for i, s := range hostileJSONStrings {
		v := &jsonOdd{
			S: s, Named: jsonNamedString(s), I8: -128, I64: -1 << 63, U: 7, U64: 1<<64 - 1, Ptr: 3, B: true,
			F: 1e21, F32: 0.1, Text: jsonTextValue(i), Texts: []jsonTextValue{1, 2},
			PText: jsonTextPointer{1}, PTexts: []jsonTextPointer{{2}, {3}},
			Self: jsonSelf{4}, Selves: []jsonSelf{{5}},
			List:  &jsonNode{Name: s, Next: &jsonNode{Name: "<"}},
			Bytes: []byte(s), Array: [3]byte{1, 2, 3}, Ints: [2]int{-1, 1},
			Nested: [][]string{{s, s}, {}, nil}, Empty: []string{},
			Map: map[string]int{s: 1, "b": 2}, Any: []any{s, 1.5, nil},
			Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		}
		if i%2 == 1 {
			v.OS, v.OI, v.OB, v.OF, v.OL, v.OM, v.OP, v.OA, v.OT = s, -1, true, 0.5, []int{0}, map[string]int{}, &jsonNode{}, s, 1
			v.Opts = []jsonTagOptions{{B: 2, C: s, D: 4}}
			v.Embeds = []jsonEmbedding{{jsonEmbedded{s}, 1}}
			v.Untagged = []jsonUntagged{{s, 1, 2, 3}}
			v.Structs = []struct{}{{}, {}}
		}
		checkStreamer(t, reflect.ValueOf(v))
	}
	// Two fields of one name (encoding/json drops both); a field named "-".
	// Made with reflect: go vet and staticcheck reject such tags in code.
	for _, fields := range [][]reflect.StructField{{
		{Name: "A", Type: reflect.TypeFor[int](), Tag: `json:"x"`},
		{Name: "B", Type: reflect.TypeFor[string](), Tag: `json:"x"`},
		{Name: "C", Type: reflect.TypeFor[int]()},
	}, {
		{Name: "A", Type: reflect.TypeFor[int](), Tag: `json:"-,"`},
		{Name: "B", Type: reflect.TypeFor[string]()},
	}} {
		odd := reflect.StructOf(fields)
		elem := reflect.New(odd).Elem()
		elem.Field(0).SetInt(1)
		elem.Field(1).SetString("<")
		outer := reflect.New(reflect.StructOf([]reflect.StructField{{Name: "L", Type: reflect.SliceOf(odd), Tag: `json:"l"`}}))
		outer.Elem().Field(0).Set(reflect.Append(outer.Elem().Field(0), elem))
		checkStreamer(t, outer)
	}
}

// A cycle is an error, as it is to encoding/json, not a stack overflow;
// a deep chain without one is written in full.
func TestWriteJSONStreamerCycles(t *testing.T) {
	loop := &jsonNode{Name: "a"}
	loop.Next = loop
	kids := make([]jsonTree, 1)
	kids[0].Kids = kids
	for _, cycle := range []any{loop, &kids} {
		if err := writeIndentedJSON(io.Discard, reflect.ValueOf(cycle).Elem()); err == nil {
			t.Fatalf("a cycle through %T was written", cycle)
		}
	}
	deep := &jsonNode{}
	for range 3 * jsonMaxDepth {
		deep = &jsonNode{Name: "<", Next: deep}
	}
	checkStreamer(t, reflect.ValueOf(deep))
}

// checkStreamer: writeIndentedJSON of what ptr points to is what
// json.Encoder writes of ptr.
func checkStreamer(t *testing.T, ptr reflect.Value) {
	t.Helper()
	var want, got bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent("", "  ")
	if err := enc.Encode(ptr.Interface()); err != nil {
		t.Fatal(err)
	}
	if err := writeIndentedJSON(&got, ptr.Elem()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("the streamer differs from json.Encoder:\n%s", firstDiff(got.Bytes(), want.Bytes()))
	}
}
