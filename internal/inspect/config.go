package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/inspect/rules"
	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/slimpy/slimpy/internal/safefile"
	"go.yaml.in/yaml/v3"
)

// Config is a `.slimpy.yaml`: the rules' config and how images are read.
type Config struct {
	rules.Config
	// Sources are the file's settings for reading images (registry:,
	// cache:): no rule reads them; the CLI hands them to OpenOptions and
	// Options.
	Sources SourceSettings
}

// SourceSettings are how images are read: the bounds on registries and
// on the cache directory.
type SourceSettings struct {
	Registry source.RegistryOptions // zero fields: the defaults
	// CacheMaxBytes bounds the cache directory: 0 is DefaultCacheMaxBytes,
	// < 0 no bound (`cache.max-size: 0` in the file).
	CacheMaxBytes int64
	// Refresh is `refresh: true`: inspect asks the image's package
	// sources what is newer, as with --refresh.
	Refresh bool
	// CacheRepo is `cache.repo`: the registry repository of the shared
	// layer cache, as --cache-repo.
	CacheRepo string
}

// DefaultConfig is what runs without a `.slimpy.yaml`.
func DefaultConfig() Config {
	return Config{Config: rules.DefaultConfig()}
}

// ConfigFileName is the file looked for in the working directory.
const ConfigFileName = ".slimpy.yaml"

// fileRules is the `rules:` section.
type fileRules struct {
	Disable           []string                  `yaml:"disable"`
	Severity          map[string]rules.Severity `yaml:"severity"`
	DuplicatesMinSize *sizeValue                `yaml:"duplicates-min-size"`
	StaleImageDays    *int                      `yaml:"stale-image-days"`
	EOLWarningDays    *int                      `yaml:"eol-warning-days"`
}

// fileConfig is the whole file. Sections other commands own (ci:) are
// accepted and left to them.
type fileConfig struct {
	Rules    fileRules    `yaml:"rules"`
	Ignore   []string     `yaml:"ignore"`
	CI       yaml.Node    `yaml:"ci"`
	Registry fileRegistry `yaml:"registry"`
	Cache    fileCache    `yaml:"cache"`
	Refresh  bool         `yaml:"refresh"`
}

// fileRegistry is the `registry:` section (source.RegistryOptions).
type fileRegistry struct {
	ConnectTimeout        *durationValue `yaml:"connect-timeout"`
	ResponseHeaderTimeout *durationValue `yaml:"response-header-timeout"`
	IdleTimeout           *durationValue `yaml:"idle-timeout"`
	MaxRetryAfter         *durationValue `yaml:"max-retry-after"`
}

// fileCache is the `cache:` section.
type fileCache struct {
	MaxSize *sizeValue `yaml:"max-size"`
	Repo    string     `yaml:"repo"`
}

// durationValue reads a positive Go duration: 30s, 2m, 1h30m.
type durationValue time.Duration

func (d *durationValue) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || v <= 0 {
		return fmt.Errorf("line %d: %q: a duration is a positive number with a unit, like 30s or 2m", n.Line, n.Value)
	}
	*d = durationValue(v)
	return nil
}

// sizeValue reads 4096, "4KiB", "1.5 MB" (MB = 10^6, MiB = 2^20).
type sizeValue int64

func (s *sizeValue) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a size is a number of bytes or a string like 4KiB", n.Line)
	}
	v, err := humanize.ParseBytes(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: size %q: %v", n.Line, n.Value, err)
	}
	*s = sizeValue(v)
	return nil
}

// maxConfigFile bounds a `.slimpy.yaml` (a FIFO or /dev/zero named by
// --config is refused, never read until memory runs out).
const maxConfigFile = 1 << 20

// LoadConfig reads a config file over the defaults. A missing file is no
// error when optional is true (the default `.slimpy.yaml`); it is when the
// user named it.
func LoadConfig(file string, optional bool) (Config, error) {
	raw, err := safefile.ReadRegular(file, maxConfigFile)
	if err != nil {
		if optional && errors.Is(err, os.ErrNotExist) {
			return DefaultConfig(), nil
		}
		return DefaultConfig(), err
	}
	cfg, err := ParseConfig(raw)
	if err != nil {
		return cfg, fmt.Errorf("%s: %w", file, err)
	}
	return cfg, nil
}

// ParseConfig reads the YAML of a config file over the defaults. Unknown
// keys are an error, so a typo does not silently keep a rule on.
func ParseConfig(raw []byte) (Config, error) {
	cfg := DefaultConfig()
	var fc fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	// An empty file (io.EOF) is the defaults.
	if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
		return cfg, err
	}
	r := fc.Rules
	for _, d := range r.Disable {
		if !rules.KnownSelector(d) {
			return cfg, fmt.Errorf("rules.disable: %q is no rule ID, rule name or category (see docs/rules.md)", d)
		}
	}
	cfg.Disable = r.Disable
	for id, sev := range r.Severity {
		if rules.RuleByID(id) == nil {
			return cfg, fmt.Errorf("rules.severity: %q is no rule ID", id)
		}
		if sev.Rank() < 0 {
			return cfg, fmt.Errorf("rules.severity.%s: %q: use info, low, medium or high", id, sev)
		}
	}
	cfg.Severity = r.Severity
	if r.DuplicatesMinSize != nil {
		cfg.DuplicatesMinSize = int64(*r.DuplicatesMinSize)
	}
	if r.StaleImageDays != nil {
		if *r.StaleImageDays < 0 {
			return cfg, fmt.Errorf("rules.stale-image-days: %d is negative", *r.StaleImageDays)
		}
		cfg.StaleImageDays = *r.StaleImageDays
	}
	if r.EOLWarningDays != nil {
		if *r.EOLWarningDays < 0 {
			return cfg, fmt.Errorf("rules.eol-warning-days: %d is negative", *r.EOLWarningDays)
		}
		cfg.EOLWarningDays = *r.EOLWarningDays
	}
	for _, g := range fc.Ignore {
		if _, err := rules.CompileGlob(g); err != nil {
			return cfg, fmt.Errorf("ignore: %q: %w", g, err)
		}
	}
	cfg.Ignore = fc.Ignore
	cfg.Sources = fc.sources()
	return cfg, nil
}

// sources are the registry: and cache: sections.
func (fc fileConfig) sources() SourceSettings {
	s := SourceSettings{Refresh: fc.Refresh, CacheRepo: fc.Cache.Repo}
	for _, f := range []struct {
		from *durationValue
		to   *time.Duration
	}{
		{fc.Registry.ConnectTimeout, &s.Registry.ConnectTimeout},
		{fc.Registry.ResponseHeaderTimeout, &s.Registry.ResponseHeaderTimeout},
		{fc.Registry.IdleTimeout, &s.Registry.IdleTimeout},
		{fc.Registry.MaxRetryAfter, &s.Registry.MaxRetryAfter},
	} {
		if f.from != nil {
			*f.to = time.Duration(*f.from)
		}
	}
	if fc.Cache.MaxSize != nil {
		s.CacheMaxBytes = int64(*fc.Cache.MaxSize)
		if s.CacheMaxBytes == 0 {
			s.CacheMaxBytes = -1 // 0 in the file: no bound
		}
	}
	return s
}
