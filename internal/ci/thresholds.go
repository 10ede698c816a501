// Package ci compares an inspection report with a baseline and with
// thresholds, and renders the verdict for people (text, markdown) and for CI
// systems (JSON, JUnit XML). It reads only inspect.Report values.
package ci

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
)

// Thresholds are the limits a CI run enforces. A nil pointer or empty value
// means "no limit".
type Thresholds struct {
	MaxSize        *int64   `yaml:"max-size" json:"maxSize,omitempty"`
	MaxGrowth      *Growth  `yaml:"max-growth" json:"maxGrowth,omitempty"`
	MaxWasted      *int64   `yaml:"max-wasted" json:"maxWasted,omitempty"`
	MinEfficiency  *float64 `yaml:"min-efficiency" json:"minEfficiency,omitempty"`
	FailOnRules    []string `yaml:"fail-on-rules" json:"failOnRules,omitempty"`
	FailOnSeverity string   `yaml:"fail-on-severity" json:"failOnSeverity,omitempty"`
	// OnlyNew limits the two checks above to findings the baseline did
	// not have, for a project that adopts slimpy with known debt.
	OnlyNew bool `yaml:"only-new" json:"onlyNew,omitempty"`
	// CategoryGrowth is the growth allowed per category since the baseline.
	CategoryGrowth map[string]Growth `yaml:"category-growth" json:"categoryGrowth,omitempty"`
	// DefaultPolicy false switches the default policy off (DefaultPolicy
	// func); nil or true: it sets the limits nobody set.
	DefaultPolicy *bool `yaml:"default-policy" json:"defaultPolicy,omitempty"`
	// Off are the limits switched off by the value "off" (max-growth,
	// min-efficiency, fail-on-severity): the default policy leaves them
	// unset too.
	Off map[string]bool `yaml:"-" json:"off,omitempty"`
}

// The default policy: what ci checks when nothing says otherwise, so that
// a pipeline that only runs `slimpy ci IMAGE` fails on something, as
// dive's CI mode does (its lowestEfficiency is 0.9). Without a baseline:
// the layer efficiency (visible / stored) is at least 90% and no finding
// is high-severity. With one: no high-severity finding is new, and the
// image grew by at most 10%.
const (
	DefaultMinEfficiency  = 0.9
	DefaultFailOnSeverity = "high"
	DefaultMaxGrowthPct   = 10
)

// OffValue switches a limit off, default included ("--min-efficiency off").
const OffValue = "off"

// Offable are the limits the default policy sets, which "off" switches off.
var Offable = []string{"min-efficiency", "fail-on-severity", "max-growth"}

// withDefaults fills in the limits the default policy sets and nobody
// set or switched off; defaulted names them.
func (t Thresholds) withDefaults(baseline bool) (th Thresholds, defaulted map[string]bool) {
	defaulted = map[string]bool{}
	if t.DefaultPolicy != nil && !*t.DefaultPolicy {
		return t, defaulted
	}
	if t.FailOnSeverity == "" && !t.Off["fail-on-severity"] {
		t.FailOnSeverity = DefaultFailOnSeverity
		defaulted["fail-on-severity"] = true
	}
	if baseline && t.MaxGrowth == nil && !t.Off["max-growth"] {
		t.MaxGrowth = &Growth{Percent: DefaultMaxGrowthPct, IsPct: true}
		defaulted["max-growth"] = true
	}
	if !baseline && t.MinEfficiency == nil && !t.Off["min-efficiency"] {
		v := DefaultMinEfficiency
		t.MinEfficiency = &v
		defaulted["min-efficiency"] = true
	}
	return t, defaulted
}

// SetOff switches the limit name off (one of Offable), clearing its value.
func (t *Thresholds) SetOff(name string) error {
	switch name {
	case "min-efficiency":
		t.MinEfficiency = nil
	case "fail-on-severity":
		t.FailOnSeverity = ""
	case "max-growth":
		t.MaxGrowth = nil
	default:
		return fmt.Errorf("%s cannot be %s (only %s can)", name, OffValue, strings.Join(Offable, ", "))
	}
	if t.Off == nil {
		t.Off = map[string]bool{}
	}
	t.Off[name] = true
	return nil
}

// Growth is an allowed increase: bytes, or a percentage of the baseline.
type Growth struct {
	Bytes   int64   `json:"bytes,omitempty"`
	Percent float64 `json:"percent,omitempty"`
	IsPct   bool    `json:"-"`
}

// ParseGrowth reads "50MB", "1.5GiB", "1048576" or "10%". A percentage is
// finite and not negative ("inf%" and "NaN%" are refused: an infinite
// allowance overflowed into a negative one and failed on zero growth).
func ParseGrowth(s string) (Growth, error) {
	s = strings.TrimSpace(s)
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
		if err != nil || !(v >= 0) || math.IsInf(v, 0) {
			return Growth{}, fmt.Errorf("%q is not a percentage (use e.g. 5%%)", s)
		}
		return Growth{Percent: v + 0, IsPct: true}, nil // + 0: no "-0%"
	}
	b, err := ParseSize(s)
	if err != nil {
		return Growth{}, err
	}
	return Growth{Bytes: b}, nil
}

// ParseRatio reads an efficiency, "0.9" or "90%": from 0 to 1 (0% to
// 100%); NaN, infinities and anything outside are refused.
func ParseRatio(s string) (float64, error) {
	t := strings.TrimSpace(s)
	num, pct := strings.CutSuffix(t, "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if pct {
		v /= 100
	}
	if err != nil || !(v >= 0 && v <= 1) {
		return 0, fmt.Errorf("%q is not a ratio from 0 to 1 or a percentage from 0%% to 100%%", s)
	}
	return v + 0, nil
}

// Allowed returns the growth in bytes allowed over a baseline of base
// bytes, at most maxFigure (a percentage of 1e300 allows everything, it
// does not overflow).
func (g Growth) Allowed(base int64) int64 {
	if !g.IsPct {
		return g.Bytes
	}
	a := float64(max(base, 0)) * g.Percent / 100
	if !(a < maxFigure) {
		return maxFigure
	}
	return int64(a)
}

// validate checks a Growth made other than by ParseGrowth (a struct
// literal, JSON).
func (g Growth) validate() error {
	if g.IsPct && (!(g.Percent >= 0) || math.IsInf(g.Percent, 0)) || g.Bytes < 0 || g.Bytes > maxFigure {
		return fmt.Errorf("%s is not a growth limit", g)
	}
	return nil
}

func (g Growth) String() string {
	if g.IsPct {
		return strconv.FormatFloat(g.Percent, 'f', -1, 64) + "%"
	}
	return humanize.Bytes(uint64(g.Bytes))
}

// UnmarshalText lets flags and YAML take "10%" or "50MB".
func (g *Growth) UnmarshalText(b []byte) error {
	v, err := ParseGrowth(string(b))
	if err != nil {
		return err
	}
	*g = v
	return nil
}

// ParseSize reads "300MB", "1.5GiB", "12kB" or raw bytes "1048576".
// Units follow go-humanize: MB = 10^6, MiB = 2^20.
func ParseSize(s string) (int64, error) {
	v, err := humanize.ParseBytes(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a size (use e.g. 300MB, 1.5GiB or bytes)", s)
	}
	if v > maxFigure {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return int64(v), nil
}
