package rules_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/rules"
	"github.com/slimpy/slimpy/internal/inspect/source"
)

// The committed fixture images (testdata/images, made by internal/fixtures)
// run through Open, Analyze and every rule.

func analyzeFixture(t *testing.T, ref string) *inspect.Analysis {
	t.Helper()
	src, err := source.Open(context.Background(), ref, source.OpenOptions{Platform: "linux/amd64"})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	a, err := inspect.Analyze(context.Background(), src, inspect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

const fixtureDir = "../../../testdata/images"

func TestRulesOnEveryFixture(t *testing.T) {
	entries, err := os.ReadDir(fixtureDir)
	if err != nil {
		t.Skipf("no fixture images: %v", err)
	}
	for _, e := range entries {
		var ref string
		switch {
		case strings.HasSuffix(e.Name(), ".tar"):
			ref = "docker-archive:" + filepath.Join(fixtureDir, e.Name())
		case e.IsDir():
			ref = "oci:" + filepath.Join(fixtureDir, e.Name())
		default:
			continue
		}
		t.Run(e.Name(), func(t *testing.T) {
			a := analyzeFixture(t, ref)
			fs := inspect.RunRules(a, inspect.Config{Config: rules.Config{Now: testNow, DuplicatesMinSize: 4096, StaleImageDays: 90}})
			sum, cats := summarize(a, fs)
			var catTotal int64
			for _, b := range cats {
				catTotal += b
			}
			if sum.RecoverableBytes > sum.StoredSize || sum.RecoverableBytes > catTotal {
				t.Errorf("summary %+v exceeds stored size or the categories' sum %d", sum, catTotal)
			}
			for i, f := range fs {
				if i > 0 && f.Bytes > fs[i-1].Bytes {
					t.Errorf("not sorted by bytes at %d", i)
				}
				if len(f.Paths) != len(f.PathBytes) || f.Rule == "" || f.Fix == "" || f.Title == "" {
					t.Errorf("incomplete finding %+v", f)
				}
				var pathSum int64
				for _, b := range f.PathBytes {
					pathSum += b
				}
				if pathSum != f.Bytes {
					t.Errorf("%s: paths hold %d bytes, the finding says %d", f.Rule, pathSum, f.Bytes)
				}
				if f.Layer >= len(a.Layers) || (f.Layer >= 0 && f.CreatedBy != a.Layers[f.Layer].CreatedBy) {
					t.Errorf("%s: layer %d createdBy %q", f.Rule, f.Layer, f.CreatedBy)
				}
			}
		})
	}
}

// ruleBytes is rule → total bytes, for the fixtures' hand-checked figures.
func ruleBytes(fs []rules.Finding) map[string]int64 {
	out := map[string]int64{}
	for _, f := range fs {
		out[f.Rule] += f.Bytes
	}
	return out
}

func TestRulesOnPythonFixture(t *testing.T) {
	a := analyzeFixture(t, "docker-archive:"+fixtureDir+"/python.tar")
	fs := inspect.RunRules(a, inspect.Config{Config: rules.Config{Now: testNow, DuplicatesMinSize: 4096, StaleImageDays: 90}})
	got := ruleBytes(fs)
	// Sizes from internal/fixtures/specs.go (pythonSpec).
	want := map[string]int64{
		"SP101": 0 + 1500 + 1000 + 700, // test/{__init__,test_os,test_json}.py, test_os pyc
		"SP102": 0 + 1800,              // numpy/core/tests; numpy/testing is API
		"SP103": 0 + 500,               // /app/tests
		"SP111": 600,                   // os.cpython-311.opt-1.pyc
		"SP201": 1500 + 3000,           // gcc-12: the driver and cc1
		"SP211": 900,                   // /usr/include/stdio.h
		"SP212": 2500,                  // libc.a
		"SP213": 900 + 2500,            // libc6-dev
		"SP301": 2500 + 300,            // /root/.cache/pip
	}
	for rule, b := range want {
		if got[rule] != b {
			t.Errorf("%s: %d bytes, want %d", rule, got[rule], b)
		}
	}
	for _, rule := range []string{"SP202", "SP305", "SP501", "SP503"} {
		if got[rule] != 0 {
			t.Errorf("%s: %d bytes, want none", rule, got[rule])
		}
	}
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.Rule)
		for _, p := range f.Paths {
			if strings.Contains(p, "numpy/testing") || strings.Contains(p, "ensurepip") {
				t.Errorf("%s flags %s", f.Rule, p)
			}
		}
	}
	sort.Strings(ids)
	for _, id := range []string{"SP401", "SP406", "SP601", "SP602", "SP603"} {
		if i := sort.SearchStrings(ids, id); i >= len(ids) || ids[i] != id {
			t.Errorf("no %s finding in %v", id, ids)
		}
	}
}

func TestRulesOnDemoFixture(t *testing.T) {
	a := analyzeFixture(t, "docker-archive:"+fixtureDir+"/demo.tar")
	fs := inspect.RunRules(a, inspect.Config{Config: rules.Config{Now: testNow, DuplicatesMinSize: 4096, StaleImageDays: 90}})
	got := byRule(fs)
	// The chown -R layer rewrote the whole /app tree: SP503 counts exactly
	// what the core's metadata-only accounting counts, in that layer.
	r := a.Report()
	if b := sumBytes(got["SP503"]); b != r.MetadataOnlyCopies.Bytes || b == 0 {
		t.Errorf("SP503 %d bytes, metadataOnlyCopies %d", b, r.MetadataOnlyCopies.Bytes)
	}
	// SP502 + SP503 = every hidden byte.
	if b := sumBytes(got["SP502"]) + sumBytes(got["SP503"]); b != r.Waste.Bytes {
		t.Errorf("SP502+SP503 %d bytes, waste %d", b, r.Waste.Bytes)
	}
	if len(got["SP601"]) != 0 {
		t.Errorf("the demo runs as USER app: %+v", got["SP601"])
	}
	// /app/tests was deleted in a later layer: no app-tests finding, but
	// its bytes are layer waste of the rm layer.
	if len(got["SP103"]) != 0 {
		t.Errorf("SP103 %+v: /app/tests is deleted", got["SP103"])
	}
	for _, f := range got["SP502"] {
		if containsPath(f.Paths, "/app/tests") && !strings.HasPrefix(f.CreatedBy, "RUN rm -rf /app/tests") {
			t.Errorf("deleted /app/tests attributed to %q", f.CreatedBy)
		}
	}
	for _, id := range []string{"SP101", "SP102", "SP201", "SP301", "SP303", "SP602", "SP603"} {
		if len(got[id]) == 0 {
			t.Errorf("demo: no %s finding", id)
		}
	}
}
