package inspect

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/codec"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/source"
)

// fixtureRefs are the committed fixture images as references.
func fixtureRefs(t *testing.T) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(fixtureDir)
	if err != nil {
		t.Skipf("no fixture images: %v", err)
	}
	refs := map[string]string{}
	for _, e := range entries {
		switch {
		case strings.HasSuffix(e.Name(), ".tar"):
			refs[e.Name()] = "docker-archive:" + filepath.Join(fixtureDir, e.Name())
		case e.IsDir():
			refs[e.Name()] = "oci:" + filepath.Join(fixtureDir, e.Name())
		}
	}
	return refs
}

func inspectReportJSON(t *testing.T, ref string, opts Options, rules *Config) (Report, []byte) {
	t.Helper()
	ctx := context.Background()
	src, err := source.Open(ctx, ref, source.OpenOptions{Platform: "linux/amd64"})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	r, err := InspectReport(ctx, src, opts, rules)
	if err != nil {
		t.Fatal(err)
	}
	return r, indentedJSON(t, r)
}

// uncached is the report with every layer's cached flag cleared: the one
// field a warm run reports differently, by design.
func uncached(t *testing.T, r Report) []byte {
	t.Helper()
	r.Layers = append([]LayerReport(nil), r.Layers...)
	for i := range r.Layers {
		r.Layers[i].Cached = false
	}
	return indentedJSON(t, r)
}

func imageCacheFiles(t *testing.T, cacheDir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(cacheDir, "images-v*", "*", "*.report"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// A report from the image cache is byte for byte the cold report (but for
// the layers' cached flags), with and without the rules, on every fixture
// image; and the cold report InspectReport makes is Analyze's.
func TestImageCacheReportsMatchCold(t *testing.T) {
	rules := DefaultConfig()
	rules.Now = testNow
	for name, ref := range fixtureRefs(t) {
		for _, withRules := range []bool{false, true} {
			var cfg *Config
			if withRules {
				cfg = &rules
			}
			t.Run(name+map[bool]string{false: "", true: "/rules"}[withRules], func(t *testing.T) {
				// The reference: Analyze and Report, as before the image cache.
				a := analyzeFixture(t, ref)
				want := indentedJSON(t, a.Report())
				if withRules {
					want = indentedJSON(t, a.ReportWithFindings(rules))
				}

				_, cold := inspectReportJSON(t, ref, Options{}, cfg)
				if !bytes.Equal(cold, want) {
					t.Fatalf("InspectReport without a cache differs from Analyze+Report:\n%s", firstDiff(cold, want))
				}

				cache := t.TempDir()
				first, _ := inspectReportJSON(t, ref, Options{CacheDir: cache}, cfg)
				if got := uncached(t, first); !bytes.Equal(got, want) {
					t.Fatalf("first cached run differs from cold:\n%s", firstDiff(got, want))
				}
				if n := len(imageCacheFiles(t, cache)); n != 1 {
					t.Fatalf("%d image cache entries after one run, want 1", n)
				}
				// Without the layer cache, a report whose layers all say
				// cached can only come from the image cache.
				if err := os.RemoveAll(layer.NewCache(cache, theCaptures()).Dir()); err != nil {
					t.Fatal(err)
				}
				warm, _ := inspectReportJSON(t, ref, Options{CacheDir: cache}, cfg)
				for _, l := range warm.Layers {
					if !l.Cached {
						t.Fatalf("layer %d was read again: the image cache missed", l.Index)
					}
				}
				if got := uncached(t, warm); !bytes.Equal(got, want) {
					t.Fatalf("warm report differs from cold:\n%s", firstDiff(got, want))
				}
			})
		}
	}
}

func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return "line " + strconv.Itoa(i+1) + ":\n got  " + al[i] + "\n want " + bl[i]
		}
	}
	return "lengths differ: " + strconv.Itoa(len(al)) + " vs " + strconv.Itoa(len(bl)) + " lines"
}

// A damaged entry (any byte changed, cut short, or another image's entry
// in its place) is a miss: the report is the cold one, and the entry is
// written again.
func TestImageCacheDamagedEntryIsAMiss(t *testing.T) {
	ref := fixtureRefs(t)["python.tar"]
	other := fixtureRefs(t)["demo.tar"]
	if ref == "" || other == "" {
		t.Skip("python.tar or demo.tar fixture missing")
	}
	rules := DefaultConfig()
	rules.Now = testNow
	a := analyzeFixture(t, ref)
	want := indentedJSON(t, a.ReportWithFindings(rules))

	cache := t.TempDir()
	inspectReportJSON(t, ref, Options{CacheDir: cache}, &rules)
	files := imageCacheFiles(t, cache)
	if len(files) != 1 {
		t.Fatalf("%d entries", len(files))
	}
	entry := files[0]
	good, err := os.ReadFile(entry)
	if err != nil {
		t.Fatal(err)
	}
	otherCache := t.TempDir()
	inspectReportJSON(t, other, Options{CacheDir: otherCache}, &rules)
	otherEntry, err := os.ReadFile(imageCacheFiles(t, otherCache)[0])
	if err != nil {
		t.Fatal(err)
	}

	damaged := map[string][]byte{
		"empty":         {},
		"truncated":     good[:len(good)/2],
		"no checksum":   good[:len(good)-8],
		"other image":   otherEntry,
		"magic changed": append([]byte("slimpy-image\x09"), good[len(imageCacheMagic):]...),
	}
	for _, off := range []int{len(imageCacheMagic), len(imageCacheMagic) + 3, len(good) / 3, len(good) / 2, len(good) - 9, len(good) - 1} {
		b := bytes.Clone(good)
		b[off] ^= 0x20
		damaged["byte "+strconv.Itoa(off)+" flipped"] = b
	}
	for name, b := range damaged {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(entry, b, 0o644); err != nil {
				t.Fatal(err)
			}
			// Drop the layer cache too: a miss must read the layers again.
			if err := os.RemoveAll(layer.NewCache(cache, theCaptures()).Dir()); err != nil {
				t.Fatal(err)
			}
			r, got := inspectReportJSON(t, ref, Options{CacheDir: cache}, &rules)
			if r.Layers[0].Cached {
				t.Fatal("a damaged entry was used")
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("report after a damaged entry differs from cold:\n%s", firstDiff(got, want))
			}
			if again, err := os.ReadFile(entry); err != nil || !bytes.Equal(again, good) {
				t.Fatalf("entry not rewritten (err %v)", err)
			}
		})
	}
}

// The entry's decoder, given any damage the checksum did not catch, fails
// or decodes something; it never panics nor allocates beyond the input.
func TestImageCacheDecodeDamagedBody(t *testing.T) {
	ref := fixtureRefs(t)["python.tar"]
	if ref == "" {
		t.Skip("no python.tar fixture")
	}
	rules := DefaultConfig()
	rules.Now = testNow
	r, _ := inspectReportJSON(t, ref, Options{}, &rules)
	var b bytes.Buffer
	e := &imageEntry{Key: "k", TarBytes: make([]int64, len(r.Layers)), Report: r}
	if err := codec.Encode(&b, e); err != nil {
		t.Fatal(err)
	}
	body := b.Bytes()
	var back imageEntry
	if err := codec.Decode(body, &back); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(indentedJSON(t, back.Report), indentedJSON(t, r)) {
		t.Fatal("round trip changed the report")
	}
	for i := 0; i < len(body); i += 1 + i/64 {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			d := bytes.Clone(body)
			d[i] ^= x
			var e imageEntry
			_ = codec.Decode(d, &e)
		}
		var e imageEntry
		if err := codec.Decode(body[:i], &e); err == nil {
			t.Fatalf("a body cut at %d of %d decoded", i, len(body))
		}
	}
}

// --no-cache (an empty CacheDir) writes and reads no cache at all, and
// rules without a date are not cached.
func TestImageCacheBypass(t *testing.T) {
	ref := fixtureRefs(t)["python.tar"]
	if ref == "" {
		t.Skip("no python.tar fixture")
	}
	if slot, k := imageKey("sha256:x", []string{"sha256:y"}, &Config{}); slot != "" || k != "" {
		t.Fatalf("rules without a date got the slot %q, key %q", slot, k)
	}
	cache := t.TempDir()
	noDate := DefaultConfig()
	inspectReportJSON(t, ref, Options{CacheDir: cache}, &noDate)
	if n := len(imageCacheFiles(t, cache)); n != 0 {
		t.Fatalf("rules without a date made %d image cache entries", n)
	}
	rules := DefaultConfig()
	rules.Now = testNow
	inspectReportJSON(t, ref, Options{CacheDir: cache}, &rules)
	other := rules
	other.StaleImageDays++
	inspectReportJSON(t, ref, Options{CacheDir: cache}, &other)
	if n := len(imageCacheFiles(t, cache)); n != 2 {
		t.Fatalf("two rules settings made %d entries, want 2", n)
	}
	// Another date is another key in the same slot: a miss, and the entry
	// is replaced rather than added to.
	nextDay := rules
	nextDay.Now = rules.Now.AddDate(0, 0, 1)
	if r, _ := inspectReportJSON(t, ref, Options{CacheDir: cache}, &nextDay); r.Summary == nil || r.Summary.Now != "2026-11-29" {
		t.Fatalf("next day's summary %+v", r.Summary)
	}
	if n := len(imageCacheFiles(t, cache)); n != 2 {
		t.Fatalf("a second date made %d entries, want 2 (replaced)", n)
	}
	if r, _ := inspectReportJSON(t, ref, Options{CacheDir: cache}, &rules); r.Summary.Now != "2026-11-28" {
		t.Fatalf("the first date's report says %s", r.Summary.Now)
	}
	r, _ := inspectReportJSON(t, ref, Options{}, &rules)
	if r.Layers[0].Cached {
		t.Fatal("a run without a cache dir used a cache")
	}
}
