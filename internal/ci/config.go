package ci

import (
	"bytes"
	"fmt"
	"maps"

	"go.yaml.in/yaml/v3"
)

// fileConfig is the `ci:` section of .slimpy.yaml. Sizes are strings so
// that "300MB" and "1.5GiB" read as people write them.
type fileConfig struct {
	MaxSize        string            `yaml:"max-size"`
	MaxGrowth      string            `yaml:"max-growth"`
	MaxWasted      string            `yaml:"max-wasted"`
	MinEfficiency  string            `yaml:"min-efficiency"`
	FailOnRules    []string          `yaml:"fail-on-rules"`
	FailOnSeverity string            `yaml:"fail-on-severity"`
	OnlyNew        bool              `yaml:"only-new"`
	CategoryGrowth map[string]string `yaml:"category-growth"`
	DefaultPolicy  *bool             `yaml:"default-policy"`
}

// ParseThresholds reads the `ci:` section of a slimpy config file (raw,
// named path in errors). Other sections belong to other commands and are
// not checked here; unknown keys inside `ci:` are an error, so that a typo
// does not silently disable a limit.
func ParseThresholds(raw []byte, path string) (Thresholds, error) {
	var doc struct {
		CI yaml.Node `yaml:"ci"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return Thresholds{}, fmt.Errorf("%s: %w", path, err)
	}
	if doc.CI.Kind == 0 {
		return Thresholds{}, nil
	}
	// Re-decode the section strictly.
	section, err := yaml.Marshal(&doc.CI)
	if err != nil {
		return Thresholds{}, err
	}
	var fc fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(section))
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil {
		return Thresholds{}, fmt.Errorf("%s: ci: %w", path, err)
	}
	th, err := fc.thresholds()
	if err != nil {
		return Thresholds{}, fmt.Errorf("%s: ci: %w", path, err)
	}
	return th, nil
}

func (fc fileConfig) thresholds() (Thresholds, error) {
	var th Thresholds
	var err error
	th.DefaultPolicy = fc.DefaultPolicy
	for name, v := range map[string]*string{"min-efficiency": &fc.MinEfficiency, "fail-on-severity": &fc.FailOnSeverity, "max-growth": &fc.MaxGrowth} {
		if *v == OffValue {
			*v = ""
			th.SetOff(name)
		}
	}
	if th.MaxSize, err = optSize("max-size", fc.MaxSize); err != nil {
		return th, err
	}
	if th.MaxWasted, err = optSize("max-wasted", fc.MaxWasted); err != nil {
		return th, err
	}
	if fc.MaxGrowth != "" {
		g, err := ParseGrowth(fc.MaxGrowth)
		if err != nil {
			return th, fmt.Errorf("max-growth: %w", err)
		}
		th.MaxGrowth = &g
	}
	if fc.MinEfficiency != "" {
		v, err := ParseRatio(fc.MinEfficiency)
		if err != nil {
			return th, fmt.Errorf("min-efficiency: %w", err)
		}
		th.MinEfficiency = &v
	}
	th.FailOnRules = fc.FailOnRules
	th.FailOnSeverity = fc.FailOnSeverity
	th.OnlyNew = fc.OnlyNew
	for cat, s := range fc.CategoryGrowth {
		g, err := ParseGrowth(s)
		if err != nil {
			return th, fmt.Errorf("category-growth %s: %w", cat, err)
		}
		if th.CategoryGrowth == nil {
			th.CategoryGrowth = map[string]Growth{}
		}
		th.CategoryGrowth[cat] = g
	}
	return th, nil
}

func optSize(name, s string) (*int64, error) {
	if s == "" {
		return nil, nil
	}
	v, err := ParseSize(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &v, nil
}

// Merge returns t with every limit that o sets (or switches off) replaced:
// flags override the config file.
func (t Thresholds) Merge(o Thresholds) Thresholds {
	t.Off = maps.Clone(t.Off)
	if o.MaxSize != nil {
		t.MaxSize = o.MaxSize
	}
	if o.MaxGrowth != nil {
		t.MaxGrowth = o.MaxGrowth
		delete(t.Off, "max-growth")
	}
	if o.MaxWasted != nil {
		t.MaxWasted = o.MaxWasted
	}
	if o.MinEfficiency != nil {
		t.MinEfficiency = o.MinEfficiency
		delete(t.Off, "min-efficiency")
	}
	if len(o.FailOnRules) > 0 {
		t.FailOnRules = o.FailOnRules
	}
	if o.FailOnSeverity != "" {
		t.FailOnSeverity = o.FailOnSeverity
		delete(t.Off, "fail-on-severity")
	}
	for name := range o.Off {
		t.SetOff(name)
	}
	if o.DefaultPolicy != nil {
		t.DefaultPolicy = o.DefaultPolicy
	}
	if o.OnlyNew {
		t.OnlyNew = true
	}
	for k, v := range o.CategoryGrowth {
		if t.CategoryGrowth == nil {
			t.CategoryGrowth = map[string]Growth{}
		}
		t.CategoryGrowth[k] = v
	}
	return t
}
