package textsafe

import (
	"strings"
	"testing"
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
