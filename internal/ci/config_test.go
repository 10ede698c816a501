package ci

import (
	"strings"
	"testing"
)

func TestParseSizeAndGrowth(t *testing.T) {
	for in, want := range map[string]int64{"300MB": 300_000_000, "1.5GiB": 1610612736, "1048576": 1048576, " 12 kB ": 12000} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "huge", "-5MB", "1e99GB"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
	g, err := ParseGrowth("10%")
	if err != nil || !g.IsPct || g.Allowed(1000) != 100 {
		t.Errorf("10%%: %+v %v", g, err)
	}
	g, err = ParseGrowth("20MB")
	if err != nil || g.IsPct || g.Allowed(1) != 20_000_000 {
		t.Errorf("20MB: %+v %v", g, err)
	}
}

func TestParseThresholds(t *testing.T) {
	th, err := ParseThresholds([]byte(`
rules:
  disable: [SP101]
ci:
  max-size: 300MB
  max-growth: 5%
  min-efficiency: 0.9
  fail-on-rules: [SP201]
  category-growth:
    compilers: 0
    caches: 10MB
`), "slimpy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if *th.MaxSize != 300_000_000 || th.MaxGrowth.Percent != 5 || *th.MinEfficiency != 0.9 || th.FailOnRules[0] != "SP201" ||
		th.CategoryGrowth["caches"].Bytes != 10_000_000 {
		t.Errorf("%+v", th)
	}
	if _, err := ParseThresholds([]byte("ci:\n  max-sise: 3MB\n"), "slimpy.yaml"); err == nil || !strings.Contains(err.Error(), "max-sise") {
		t.Errorf("a typo in ci: must be an error, got %v", err)
	}
	if th, err := ParseThresholds(nil, "slimpy.yaml"); err != nil || th.MaxSize != nil {
		t.Errorf("empty file: %v", err)
	}
	// Flags override the file.
	five := int64(5)
	if m := th.Merge(Thresholds{MaxSize: &five}); *m.MaxSize != 5 || m.MaxGrowth == nil {
		t.Errorf("merge: %+v", m)
	}
}
