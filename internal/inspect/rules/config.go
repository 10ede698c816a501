package rules

import (
	"errors"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/slimpy/slimpy/internal/refresh"
)

// Config tunes the rules: which run, their thresholds, the paths they never
// flag. The zero value is not ready; start from DefaultConfig. The
// `.slimpy.yaml` file sets it (docs/configuration.md).
type Config struct {
	// Disable lists rule IDs (SP101), rule names (stdlib-tests) or
	// categories (docs) that do not run.
	Disable []string
	// Severity overrides a rule's severity, by rule ID.
	Severity map[string]Severity
	// DuplicatesMinSize: duplicate groups whose single copy is smaller are
	// not reported by SP501.
	DuplicatesMinSize int64
	// StaleImageDays: SP406 flags an image created longer ago than this.
	StaleImageDays int
	// EOLWarningDays: an OS or a Python reaching end of life within this
	// many days gets an info finding; 0 turns the warning off.
	EOLWarningDays int
	// Ignore holds glob patterns of paths no rule flags (docs/configuration.md).
	Ignore []string
	// Now is the date ages and end-of-life dates are compared with; zero
	// means the current time.
	Now time.Time
	// Refresh is what the image's own package sources said today
	// (slimpy inspect --refresh): SP407-SP409 read it; nil, they find
	// nothing. A report with it is never cached.
	Refresh *refresh.Result
}

// DefaultConfig is what runs without a `.slimpy.yaml`.
func DefaultConfig() Config {
	return Config{
		DuplicatesMinSize: 4096,
		StaleImageDays:    90,
		EOLWarningDays:    90,
	}
}

// enabled reports whether the config lets a rule run.
func (c Config) enabled(r *Rule) bool {
	for _, d := range c.Disable {
		if strings.EqualFold(d, r.ID) || d == r.Name || d == r.Category {
			return false
		}
	}
	return true
}

// KnownSelector reports whether s names a rule by ID, name or category
// (what `rules.disable` accepts).
func KnownSelector(s string) bool {
	for _, r := range Rules {
		if strings.EqualFold(s, r.ID) || s == r.Name || s == r.Category {
			return true
		}
	}
	return false
}

// ignoreMatcher answers "does an ignore pattern match this path or one of
// its parent directories".
type ignoreMatcher struct {
	res  []*regexp.Regexp
	memo map[string]bool // directory → ignored
}

func newIgnoreMatcher(globs []string) *ignoreMatcher {
	m := &ignoreMatcher{memo: map[string]bool{}}
	for _, g := range globs {
		if re, err := CompileGlob(g); err == nil {
			m.res = append(m.res, re)
		}
	}
	return m
}

// ignored reports whether p or a directory above it matches a pattern.
func (m *ignoreMatcher) ignored(p string) bool {
	if m == nil || len(m.res) == 0 {
		return false
	}
	if m.match(p) {
		return true
	}
	return m.dirIgnored(path.Dir(p))
}

func (m *ignoreMatcher) dirIgnored(d string) bool {
	if d == "/" || d == "." || d == "" {
		return false
	}
	if v, ok := m.memo[d]; ok {
		return v
	}
	v := m.match(d) || m.dirIgnored(path.Dir(d))
	m.memo[d] = v
	return v
}

func (m *ignoreMatcher) match(p string) bool {
	for _, re := range m.res {
		if re.MatchString(p) {
			return true
		}
	}
	return false
}

// CompileGlob turns an ignore pattern into a regular expression over
// absolute paths: `*` matches within one path element, `**` across
// elements, `?` one character, `[...]` a class. A pattern without a
// leading "/" matches at any depth ("*.pem" matches /etc/x.pem).
func CompileGlob(g string) (*regexp.Regexp, error) {
	g = strings.TrimSpace(g)
	if g == "" {
		return nil, errors.New("empty pattern")
	}
	var sb strings.Builder
	sb.WriteString("^")
	if strings.HasPrefix(g, "/") {
		g = strings.TrimRight(g, "/")
		if g == "" {
			g = "/"
		}
	} else {
		sb.WriteString("(?:.*/)?")
		g = strings.TrimRight(g, "/")
	}
	for i := 0; i < len(g); i++ {
		c := g[i]
		switch c {
		case '*':
			if i+1 < len(g) && g[i+1] == '*' {
				i++
				if i+1 < len(g) && g[i+1] == '/' {
					i++
					sb.WriteString("(?:.*/)?")
				} else {
					sb.WriteString(".*")
				}
			} else {
				sb.WriteString("[^/]*")
			}
		case '?':
			sb.WriteString("[^/]")
		case '[':
			j := strings.IndexByte(g[i+1:], ']')
			if j < 0 {
				return nil, errors.New("unclosed [")
			}
			class := g[i+1 : i+1+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			sb.WriteString("[" + class + "]")
			i += j + 1
		case '\\':
			if i+1 < len(g) {
				i++
				sb.WriteString(regexp.QuoteMeta(string(g[i])))
			}
		default:
			if !strings.HasPrefix(g, "/") && i == 0 && c == '/' {
				continue
			}
			sb.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	sb.WriteString("$")
	return regexp.Compile(sb.String())
}
