package layer

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Reads declares file content that a rule or an inventory reads through
// FileSystem.Content, as a go/analysis Analyzer declares what it Requires.
// The walker keeps the content of every regular file that one declaration
// of a registered rule or of the inventories matches (the union of all),
// and the layer cache's key includes every declaration: a rule that reads
// a new file declares it here and nothing else changes — not the walker,
// not a cache version.
type Reads struct {
	// Patterns are absolute slash-separated paths. An element is a
	// path.Match pattern ("*.list"); the element "**" matches any number
	// of elements, none included ("/**/pyvenv.cfg").
	Patterns []string
	// MaxSize is the largest file kept whole; 0 means MaxCapturedFile.
	MaxSize int64
	// AptIndex marks apt Packages indexes: read streamed whatever their
	// size (plain, .lz4, .gz, .bz2, .zst; .xz and .lzma are not read),
	// only their Package, Version and Architecture lines kept
	// (CaptureAptList).
	AptIndex bool
}

// readPattern is one compiled pattern of a declaration.
type readPattern struct {
	elems   []string // the pattern's elements, without the leading ""
	prefix  string   // the literal directory before the first wildcard, "/…/"
	suffix  string   // the literal end of the last element after its last '*'
	maxSize int64
}

// Captures is the union of the declarations, compiled for the walker: it
// asks it of every regular file of every layer, so the common answer (no)
// comes from a map lookup or a prefix or suffix compare.
type Captures struct {
	exact    map[string]int64         // literal path → max size
	byBase   map[string][]readPattern // literal last element → patterns
	wild     []readPattern            // last element holds a wildcard
	aptIndex []readPattern
	key      string // hex hash of the declarations, in the layer cache's path
}

// Key is a hash of the declarations: the layer cache's path holds it, so
// entries written for other declarations are never read.
func (c *Captures) Key() string { return c.key }

// Compile makes the walker's capture set of the declarations: the union
// of the inventories' and the registered rules' (the driver's), or a test's.
func Compile(all []Reads) *Captures {
	c := &Captures{exact: map[string]int64{}, byBase: map[string][]readPattern{}}
	var lines []string
	for _, r := range all {
		max := r.MaxSize
		if max == 0 {
			max = MaxCapturedFile
		}
		for _, p := range r.Patterns {
			lines = append(lines, fmt.Sprintf("%s\x00%d\x00%t", p, max, r.AptIndex))
			rp := compilePattern(p, max)
			last := rp.elems[len(rp.elems)-1]
			switch {
			case r.AptIndex:
				c.aptIndex = append(c.aptIndex, rp)
			case !hasWildcard(p):
				if old, ok := c.exact[p]; !ok || max > old {
					c.exact[p] = max
				}
			case !hasWildcard(last):
				c.byBase[last] = append(c.byBase[last], rp)
			default:
				c.wild = append(c.wild, rp)
			}
		}
	}
	sort.Strings(lines)
	h := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	c.key = hex.EncodeToString(h[:6])
	return c
}

func hasWildcard(s string) bool { return strings.ContainsAny(s, `*?[\`) }

func compilePattern(p string, max int64) readPattern {
	if !strings.HasPrefix(p, "/") || path.Clean(p) != p {
		panic("layer: a Reads pattern is a clean absolute path: " + strconv.Quote(p))
	}
	elems := strings.Split(p[1:], "/")
	rp := readPattern{elems: elems, prefix: "/", maxSize: max}
	for _, e := range elems[:len(elems)-1] {
		if hasWildcard(e) {
			break
		}
		rp.prefix += e + "/"
	}
	last := elems[len(elems)-1]
	if i := strings.LastIndexAny(last, `*?]`); i >= 0 {
		rp.suffix = last[i+1:]
	}
	for _, e := range elems {
		if _, err := path.Match(e, ""); err != nil {
			panic("layer: bad Reads pattern " + strconv.Quote(p) + ": " + err.Error())
		}
	}
	return rp
}

// match reports whether the clean absolute path p matches.
func (rp *readPattern) match(p string) bool {
	if !strings.HasPrefix(p, rp.prefix) || !strings.HasSuffix(p, rp.suffix) {
		return false
	}
	return matchElems(rp.elems, p[1:])
}

// matchElems matches the elements of a pattern against p, the rest of a
// clean path without its leading "/" ("" when no element is left), without
// splitting it.
func matchElems(pat []string, p string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			if !slices.Contains(pat[1:], "**") {
				// The rest matches the last len(pat)-1 elements, or none.
				i := len(p)
				for range len(pat) - 1 {
					if i <= 0 {
						return false
					}
					i = strings.LastIndexByte(p[:i], '/')
				}
				return matchElems(pat[1:], p[i+1:])
			}
			for {
				if matchElems(pat[1:], p) {
					return true
				}
				if p == "" {
					return false
				}
				if i := strings.IndexByte(p, '/'); i >= 0 {
					p = p[i+1:]
				} else {
					p = ""
				}
			}
		}
		if p == "" {
			return false
		}
		elem, rest := p, ""
		if i := strings.IndexByte(p, '/'); i >= 0 {
			elem, rest = p[:i], p[i+1:]
		}
		if ok, _ := path.Match(pat[0], elem); !ok {
			return false
		}
		pat, p = pat[1:], rest
	}
	return p == ""
}

// Want reports whether the walker keeps the whole content of the regular
// file of size bytes at p. Keep it cheap: it runs for every entry of every
// layer.
func (c *Captures) Want(p string, size int64) bool {
	if max, ok := c.exact[p]; ok && size <= max {
		return true
	}
	base := p[strings.LastIndexByte(p, '/')+1:]
	for i := range c.byBase[base] {
		if rp := &c.byBase[base][i]; size <= rp.maxSize && rp.match(p) {
			return true
		}
	}
	for i := range c.wild {
		if rp := &c.wild[i]; size <= rp.maxSize && rp.match(p) {
			return true
		}
	}
	return false
}

// Streamed reports whether the walker reads the regular file at p with
// CaptureAptList instead: an apt Packages index that a declaration names,
// in a form it reads.
func (c *Captures) Streamed(p string) bool {
	for i := range c.aptIndex {
		if c.aptIndex[i].match(p) {
			return aptListForm(path.Base(p)) != formUnread
		}
	}
	return false
}
