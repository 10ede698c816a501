package textsafe

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

func TestWrap(t *testing.T) {
	got := Wrap("dpkg: 11 packages, 134 kB; largest: libc6-dev 18 kB, python3-scipy 51 MB and /usr/local/include", 40)
	want := []string{"dpkg: 11 packages, 134 kB; largest:", "libc6-dev 18 kB, python3-scipy 51 MB and", "/usr/local/include"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Wrap = %q, want %q (at spaces only, a size with its unit)", got, want)
	}
	if got := Wrap(strings.Repeat("x", 25), 10); len(got) != 3 || got[2] != "xxxxx" {
		t.Errorf("a long word: %q", got)
	}
	if got := Wrap("", 10); len(got) != 1 || got[0] != "" {
		t.Errorf("empty: %q", got)
	}
}

func TestWrapKeepsGlueTogether(t *testing.T) {
	// A glued run (a package and its size or version) is never broken
	// across lines and is written with plain spaces.
	text := "largest: cpp-12 40 kB, " + Glue("libc6-dev", "18 kB") + ", " + Glue("bash", "1.2.3", "→", "1.2.4")
	for width, want := range map[int][]string{
		45: {"largest: cpp-12 40 kB, libc6-dev 18 kB,", "bash 1.2.3 → 1.2.4"},
		34: {"largest: cpp-12 40 kB,", "libc6-dev 18 kB,", "bash 1.2.3 → 1.2.4"},
	} {
		if got := Wrap(text, width); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("Wrap(%d) = %q, want %q", width, got, want)
		}
	}
}

// A word of megabytes (a user name from an image's config) is cut into
// lines in time linear in its length (it was quadratic: 11 s for 200 kB
// in the text report), into the same pieces as before: of width cells,
// wide and combining characters kept whole.
func TestWrapHugeWord(t *testing.T) {
	start := time.Now()
	got := Wrap(strings.Repeat("u", 4<<20), 120)
	if len(got) != (4<<20+119)/120 || got[0] != strings.Repeat("u", 120) || time.Since(start) > 5*time.Second {
		t.Errorf("%d lines, the first %d bytes, in %s", len(got), len(got[0]), time.Since(start))
	}
	for _, word := range []string{strings.Repeat("漢", 1000), strings.Repeat("e\u0301", 1000), strings.Repeat("a\u0301\u0302\u0303\u0304\u0305\u0306\u0307", 100)} {
		lines := Wrap(word, 10)
		if strings.Join(lines, "") != word {
			t.Fatalf("%q lost text", word[:20])
		}
		for _, l := range lines[:len(lines)-1] {
			if w := ansi.StringWidth(l); w > 10 || w < 9 {
				t.Errorf("a line of %d cells: %q", w, l)
			}
		}
	}
}
