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

// The default policy is switched off in the file, or one of its limits
// with "off"; a flag that sets the limit again wins over the file's off.
func TestParseDefaultPolicyAndOff(t *testing.T) {
	th, err := ParseThresholds([]byte("ci:\n  default-policy: false\n  min-efficiency: off\n  fail-on-severity: off\n  max-growth: off\n"), "slimpy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if th.DefaultPolicy == nil || *th.DefaultPolicy || !th.Off["min-efficiency"] || !th.Off["fail-on-severity"] || !th.Off["max-growth"] || th.MinEfficiency != nil {
		t.Errorf("%+v", th)
	}
	v := 0.8
	m := th.Merge(Thresholds{MinEfficiency: &v})
	if m.Off["min-efficiency"] || *m.MinEfficiency != 0.8 || !th.Off["min-efficiency"] {
		t.Errorf("a flag over the file's off: %+v (file's now %+v)", m, th)
	}
	var flags Thresholds
	if err := flags.SetOff("max-size"); err == nil {
		t.Error("max-size off accepted: the default policy does not set it")
	}
}
