package ci

import (
	"math"
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect"
)

// TestHostileThresholds: infinite, NaN, negative and out-of-range limits
// are refused; "inf%" failed on zero growth and NaN, 150% and -10%
// efficiency were accepted.
func TestHostileThresholds(t *testing.T) {
	for _, bad := range []string{"inf%", "+Inf%", "NaN%", "nan%", "-10%", "-0.1%", "1e400%", "%", "x%", "0x1p-2%"} {
		if g, err := ParseGrowth(bad); err == nil && !(g.IsPct && g.Percent >= 0 && !math.IsInf(g.Percent, 0)) {
			t.Errorf("ParseGrowth(%q) = %+v", bad, g)
		}
	}
	for _, bad := range []string{"inf%", "NaN%", "-10%", "1e400%"} {
		if _, err := ParseGrowth(bad); err == nil || !strings.Contains(err.Error(), "is not a percentage") {
			t.Errorf("ParseGrowth(%q): %v", bad, err)
		}
	}
	for _, bad := range []string{"150%", "-10%", "NaN", "NaN%", "inf", "-inf", "1.5", "-0.1", "101%", "", "%", "90 percent"} {
		if v, err := ParseRatio(bad); err == nil {
			t.Errorf("ParseRatio(%q) = %v", bad, v)
		}
	}
	for in, want := range map[string]float64{"0.9": 0.9, "90%": 0.9, "100%": 1, "0": 0, "-0": 0, " 50 % ": 0.5, "1": 1} {
		if v, err := ParseRatio(in); err != nil || v != want || math.Signbit(v) {
			t.Errorf("ParseRatio(%q) = %v, %v; want %v", in, v, err, want)
		}
	}
	// A huge percentage allows everything; it does not overflow.
	g, _ := ParseGrowth("1e300%")
	if a := g.Allowed(maxFigure); a != maxFigure {
		t.Errorf("1e300%% of the largest baseline allows %d", a)
	}
	zero := inspect.Report{Totals: inspect.Totals{Size: 1000}}
	if r := Evaluate(zero, &zero, Thresholds{MaxGrowth: &g}); !r.Passed {
		t.Errorf("zero growth failed under 1e300%%: %+v", r.Checks)
	}
	// What no parser makes is refused by Validate.
	nan, big, neg := math.NaN(), 1.5, int64(-1)
	for _, th := range []Thresholds{
		{MinEfficiency: &nan}, {MinEfficiency: &big}, {MaxSize: &neg}, {MaxWasted: &neg},
		{MaxGrowth: &Growth{Percent: math.Inf(1), IsPct: true}}, {MaxGrowth: &Growth{Percent: nan, IsPct: true}},
		{CategoryGrowth: map[string]Growth{"caches": {Bytes: -1}}},
	} {
		if err := th.Validate(); err == nil {
			t.Errorf("Validate accepted %+v", th)
		}
	}
}

func TestLoadThresholdsHostile(t *testing.T) {
	for _, doc := range []string{
		"ci:\n  min-efficiency: .nan\n", "ci:\n  min-efficiency: 1.5\n", "ci:\n  min-efficiency: 150%\n",
		"ci:\n  min-efficiency: -.inf\n", "ci:\n  max-growth: inf%\n", "ci:\n  max-growth: .nan%\n",
		"ci:\n  category-growth:\n    caches: -5%\n",
	} {
		if _, err := ParseThresholds([]byte(doc), "slimpy.yaml"); err == nil {
			t.Errorf("accepted %q", doc)
		}
	}
	th, err := ParseThresholds([]byte("ci:\n  min-efficiency: 90%\n"), "slimpy.yaml")
	if err != nil || *th.MinEfficiency != 0.9 {
		t.Errorf("90%%: %v", err)
	}
}

// FuzzThresholds: whatever the parsers accept is a limit Validate accepts,
// finite and in range; an allowance never overflows, never goes below
// zero, and grows with the baseline; a growth reads back from its String.
func FuzzThresholds(f *testing.F) {
	for _, s := range []string{"10%", "0%", "1e300%", "inf%", "NaN%", "-10%", "150%", "0.9", "90%", "NaN", "300MB", "1.5GiB", "1048576", "-5MB", "18446744073709551615", "4.6 EB", " 12 kB "} {
		f.Add(s)
	}
	bases := []int64{0, 1, 1000, 1 << 40, maxFigure}
	f.Fuzz(func(t *testing.T, s string) {
		if g, err := ParseGrowth(s); err == nil {
			if err := (Thresholds{MaxGrowth: &g}).Validate(); err != nil {
				t.Fatalf("ParseGrowth(%q) = %+v, which Validate refuses: %v", s, g, err)
			}
			last := int64(-1)
			for _, b := range bases {
				a := g.Allowed(b)
				if a < 0 || a > maxFigure || a < last {
					t.Fatalf("ParseGrowth(%q).Allowed(%d) = %d", s, b, a)
				}
				last = a
			}
			back, err := ParseGrowth(g.String())
			if err != nil || back.IsPct != g.IsPct || g.IsPct && back.Percent != g.Percent {
				t.Fatalf("ParseGrowth(%q) = %+v; its String %q reads back as %+v, %v", s, g, g.String(), back, err)
			}
			base := inspect.Report{Totals: inspect.Totals{Size: 1000}}
			if r := Evaluate(base, &base, Thresholds{MaxGrowth: &g}); !r.Passed {
				t.Fatalf("zero growth fails under %q", s)
			}
		}
		if v, err := ParseRatio(s); err == nil {
			if err := (Thresholds{MinEfficiency: &v}).Validate(); err != nil || math.Signbit(v) {
				t.Fatalf("ParseRatio(%q) = %v, which Validate refuses: %v", s, v, err)
			}
		}
		if v, err := ParseSize(s); err == nil {
			if err := (Thresholds{MaxSize: &v}).Validate(); err != nil {
				t.Fatalf("ParseSize(%q) = %d, which Validate refuses: %v", s, v, err)
			}
		}
	})
}
