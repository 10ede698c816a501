package textsafe

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestTerm(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"usr/lib/python3.11/site-packages", "usr/lib/python3.11/site-packages"},
		{"naïve café ☕ 日本", "naïve café ☕ 日本"},
		{"a b", "a b"},
		{"evil\nforged line", `evil\nforged line`},
		{"\x1b[2J\x1b]52;c;aGk=\x07", `\x1b[2J\x1b]52;c;aGk=\a`},
		{"back\rspace\ttab", `back\rspace\ttab`},
		{"del\x7f", `del\x7f`},
		{"c1\u0085\u009b", `c1\u0085\u009b`},
		{"bad\xff\xfeutf8", `bad\xff\xfeutf8`},
		{"bidi\u202eevil", `bidi\u202eevil`},
		{`C:\path`, `C:\path`},
	} {
		if got := Term(c.in); got != c.want {
			t.Errorf("Term(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestOneLine(t *testing.T) {
	got := OneLine("  /bin/sh -c apt-get update \\\n\t&& rm -rf /var/lib/apt/lists/*\n")
	if want := `/bin/sh -c apt-get update \ && rm -rf /var/lib/apt/lists/*`; got != want {
		t.Errorf("OneLine = %q, want %q", got, want)
	}
	if got := OneLine("a\x1b[31mred"); got != `a\x1b[31mred` {
		t.Errorf("OneLine kept an escape: %q", got)
	}
}

func TestMarkdown(t *testing.T) {
	got := Markdown("| *x* <script> `y`\nz")
	if want := "\\| \\*x\\* \\<script\\> \\`y\\` z"; got != want {
		t.Errorf("Markdown = %q, want %q", got, want)
	}
}

// FuzzTerm: whatever the input, the output is valid UTF-8 with no control
// rune and no invisible format rune, OneLine's has no line break, and
// Term is the identity on text that was already safe.
func FuzzTerm(f *testing.F) {
	for _, s := range []string{"", "plain", "a\nb", "\x1b]52;c;x\x07", "\xff", "\u202e", `\`, "\u0085"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{Term(s), OneLine(s), Markdown(s)} {
			if !utf8.ValidString(out) {
				t.Fatalf("invalid UTF-8 out of %q: %q", s, out)
			}
			for _, r := range out {
				if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == '\u202e' || r == '\u2028' {
					t.Fatalf("rune %U left in %q (from %q)", r, out, s)
				}
			}
		}
		if strings.ContainsAny(OneLine(s), "\n\r") {
			t.Fatalf("OneLine kept a line break")
		}
		if safe := Term(s); Term(safe) != safe {
			t.Fatalf("Term is not stable on its own output")
		}
	})
}

func TestClipAndCode(t *testing.T) {
	if got := Clip("RUN  apt-get\ninstall \x1b[2J", 12); got != `RUN apt-get…` {
		t.Errorf("Clip = %q", got)
	}
	if got := Clip("short", 12); got != "short" {
		t.Errorf("Clip = %q", got)
	}
	for in, want := range map[string]string{
		"RUN apt-get update \\":     "RUN apt-get update \\",
		"\tpip install flask":       "\tpip install flask",
		"+COPY --from=builder a b":  "+COPY --from=builder a b",
		"RUN echo \x1b]52;c;aGk=\a": `RUN echo \x1b]52;c;aGk=\a`,
		"a\rb \\":                   `a\rb \`,
		"bidi\u202e":                `bidi\u202e`,
		"bad\xff":                   `bad\xff`,
	} {
		if got := Code(in); got != want {
			t.Errorf("Code(%q) = %q, want %q", in, got, want)
		}
	}
}

// Clip folds only the start of s it needs, with the result OneLine(s) cut
// to n runes gives: a 3.5 MB history entry clipped on every frame of the
// interactive view took 0.1 s each time.
func TestClipFoldsOnlyTheStart(t *testing.T) {
	whole := func(s string, n int) string {
		s = OneLine(s)
		if n < 1 || utf8.RuneCountInString(s) <= n {
			return s
		}
		return string([]rune(s)[:n-1]) + "…"
	}
	inputs := []string{"", " ", "a", "  RUN  apt-get\ninstall \x1b[2J  ", "bad\xff\xfe bytes \u202e é\u0301 漢字", "\t\n x \r\n"}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "é", " ", "\n", "\t", "\x1b", "\xff", "漢", "\u00a0", "\u2028"}
	for range 2000 {
		var b strings.Builder
		for range rng.IntN(30) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		inputs = append(inputs, b.String())
	}
	for _, s := range inputs {
		for n := -1; n < 25; n++ {
			if got, want := Clip(s, n), whole(s, n); got != want {
				t.Fatalf("Clip(%q, %d) = %q, want %q", s, n, got, want)
			}
		}
	}
	huge := "RUN " + strings.Repeat("echo hello && ", 250_000)
	start := time.Now()
	for range 100 {
		Clip(huge, 200)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("100 clips of 3.5 MB took %s", d)
	}
}
