package tui

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/slimpy/slimpy/internal/inspect/fsview"
)

// filterMode is how the path filter reads its text.
type filterMode uint8

const (
	modeSubstring filterMode = iota
	modeRegex
	modeGlob
	numFilterModes
)

var filterModeNames = [numFilterModes]string{"substring", "regex", "glob"}

func (m filterMode) String() string { return filterModeNames[m] }

// pathFilter matches paths: a substring (smart case: lower case matches
// any case), a Go regular expression searched in the whole path, or a
// glob (doublestar: ** crosses directories) matched against the name when
// it has no "/", else against the whole path.
type pathFilter struct {
	mode filterMode
	text string
	re   *regexp.Regexp
	glob string
}

// newPathFilter compiles text; an invalid regex or glob is an error.
func newPathFilter(mode filterMode, text string) (pathFilter, error) {
	f := pathFilter{mode: mode, text: text}
	switch mode {
	case modeRegex:
		re, err := regexp.Compile(text)
		if err != nil {
			return f, fmt.Errorf("invalid regex: %s", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
		f.re = re
	case modeGlob:
		f.glob = text
		if strings.Contains(text, "/") && !strings.HasPrefix(text, "/") {
			f.glob = "/" + text
		}
		if !doublestar.ValidatePattern(f.glob) {
			return f, fmt.Errorf("invalid glob %q", text)
		}
	}
	return f, nil
}

func (f pathFilter) active() bool { return f.text != "" }

// match reports whether the path p (absolute) passes.
func (f pathFilter) match(p string) bool {
	switch f.mode {
	case modeRegex:
		return f.re.MatchString(p)
	case modeGlob:
		if strings.Contains(f.glob, "/") {
			ok, _ := doublestar.Match(f.glob, p)
			return ok
		}
		ok, _ := doublestar.Match(f.glob, path.Base(p))
		return ok
	}
	if strings.ToLower(f.text) == f.text {
		p = strings.ToLower(p)
	}
	return strings.Contains(p, f.text)
}

// changeSet is a set of change kinds, a bit each.
type changeSet uint8

const allChanges changeSet = 1<<(fsview.ChangeRemoved+1) - 1

func (s changeSet) has(k fsview.ChangeKind) bool { return s&(1<<k) != 0 }
func (s changeSet) toggle(k fsview.ChangeKind) changeSet {
	return s ^ (1 << k)
}

// changeStyle is how a change looks: a marker that needs no colour, and
// its colour (dive's: added green, modified yellow, removed red).
type changeStyle struct {
	marker string
	key    string // the key that shows or hides it
	word   string
}

var changeStyles = [...]changeStyle{
	fsview.ChangeNone:     {" ", "=", "unchanged"},
	fsview.ChangeAdded:    {"+", "+", "added"},
	fsview.ChangeContent:  {"~", "~", "modified"},
	fsview.ChangeMetadata: {"*", "*", "metadata only"},
	fsview.ChangeRemoved:  {"-", "-", "removed"},
}

// changeOrder is the order the kinds are listed in.
var changeOrder = []fsview.ChangeKind{fsview.ChangeAdded, fsview.ChangeContent, fsview.ChangeMetadata, fsview.ChangeRemoved, fsview.ChangeNone}

// describe says which kinds a set hides, or "" for none.
func (s changeSet) describe() string {
	var shown []string
	for _, k := range changeOrder {
		if s.has(k) {
			shown = append(shown, changeStyles[k].marker+changeStyles[k].word)
		}
	}
	if s == allChanges {
		return ""
	}
	if len(shown) == 0 {
		return "showing no change type"
	}
	return "only " + strings.Join(shown, " ")
}
