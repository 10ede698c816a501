package suggest

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// applyPatch applies a unified diff as git apply would, in-process: files
// maps names (without the a/ b/ prefix) to their content and is not
// changed; the result holds every file after the diff. It is strict: the
// hunk headers' line numbers and counts must be right and every context
// and removed line must match the file byte for byte, so a diff that only
// "mostly" fits fails. "/dev/null" as the old name creates a file.
func applyPatch(diff string, files map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range files {
		out[k] = v
	}
	lines := strings.SplitAfter(diff, "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	i := 0
	for i < len(lines) {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "diff --git "), strings.HasPrefix(l, "new file mode "):
			i++
			continue
		case !strings.HasPrefix(l, "--- "):
			return nil, fmt.Errorf("line %d: want a --- header, got %q", i+1, l)
		}
		if !strings.HasSuffix(l, "\n") || i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "+++ ") || !strings.HasSuffix(lines[i+1], "\n") {
			return nil, fmt.Errorf("line %d: a --- header without its +++", i+1)
		}
		from := strings.TrimSuffix(strings.TrimPrefix(l, "--- "), "\n")
		to := strings.TrimSuffix(strings.TrimPrefix(lines[i+1], "+++ "), "\n")
		i += 2
		name, ok := strings.CutPrefix(to, "b/")
		if !ok {
			return nil, fmt.Errorf("+++ %q: want b/NAME", to)
		}
		var old string
		switch {
		case from == "/dev/null":
			if _, exists := out[name]; exists {
				return nil, fmt.Errorf("%s: created, but it exists", name)
			}
		case from == "a/"+name:
			s, exists := out[name]
			if !exists {
				return nil, fmt.Errorf("%s: no such file", name)
			}
			old = s
		default:
			return nil, fmt.Errorf("--- %q does not match +++ %q", from, to)
		}
		src := strings.SplitAfter(old, "\n")
		if src[len(src)-1] == "" {
			src = src[:len(src)-1]
		}
		var res []string
		pos := 0 // lines of src consumed
		hunks := 0
		for i < len(lines) && strings.HasPrefix(lines[i], "@@ ") {
			oldStart, oldN, newStart, newN, err := hunkHeader(lines[i])
			if err != nil {
				return nil, fmt.Errorf("%s: line %d: %w", name, i+1, err)
			}
			i++
			hunks++
			// "-0,0" is an insertion into an empty file.
			first := oldStart - 1
			if oldN == 0 {
				first = oldStart
			}
			if first < pos || first > len(src) {
				return nil, fmt.Errorf("%s: hunk at line %d: out of order or past the end", name, oldStart)
			}
			if newStart-1 != len(res)+(first-pos) && !(newN == 0 && newStart == len(res)+(first-pos)) {
				return nil, fmt.Errorf("%s: hunk +%d: the new line number is wrong (want %d)", name, newStart, len(res)+(first-pos)+1)
			}
			res = append(res, src[pos:first]...)
			pos = first
			gotOld, gotNew := 0, 0
			for i < len(lines) && len(lines[i]) > 0 && strings.ContainsRune(" +-\\", rune(lines[i][0])) && !strings.HasPrefix(lines[i], "--- ") {
				l := lines[i]
				if l[0] == '\\' {
					return nil, fmt.Errorf("%s: line %d: a stray %q", name, i+1, l)
				}
				if !strings.HasSuffix(l, "\n") {
					return nil, fmt.Errorf("%s: line %d: the diff ends without a newline", name, i+1)
				}
				text := l[1:]
				i++
				if i < len(lines) && strings.HasPrefix(lines[i], "\\ No newline at end of file") {
					text = strings.TrimSuffix(text, "\n")
					i++
				}
				switch l[0] {
				case ' ', '-':
					if pos >= len(src) || src[pos] != text {
						return nil, fmt.Errorf("%s: line %d of the file does not match the diff's %q", name, pos+1, text)
					}
					pos++
					gotOld++
					if l[0] == ' ' {
						res = append(res, text)
						gotNew++
					}
				case '+':
					res = append(res, text)
					gotNew++
				}
			}
			if gotOld != oldN || gotNew != newN {
				return nil, fmt.Errorf("%s: hunk -%d,%d +%d,%d has %d old and %d new lines", name, oldStart, oldN, newStart, newN, gotOld, gotNew)
			}
		}
		if hunks == 0 {
			return nil, fmt.Errorf("%s: no hunks", name)
		}
		res = append(res, src[pos:]...)
		out[name] = strings.Join(res, "")
	}
	return out, nil
}

// hunkHeader reads "@@ -a,b +c,d @@" (",b" and ",d" default to 1).
func hunkHeader(l string) (oldStart, oldN, newStart, newN int, err error) {
	rest, ok := strings.CutPrefix(strings.TrimSuffix(l, "\n"), "@@ -")
	if !ok {
		return 0, 0, 0, 0, fmt.Errorf("bad hunk header %q", l)
	}
	rest, ok = strings.CutSuffix(rest, " @@")
	if !ok {
		return 0, 0, 0, 0, fmt.Errorf("bad hunk header %q", l)
	}
	o, n, ok := strings.Cut(rest, " +")
	if !ok {
		return 0, 0, 0, 0, fmt.Errorf("bad hunk header %q", l)
	}
	rng := func(s string) (int, int, error) {
		a, b, has := strings.Cut(s, ",")
		x, err := strconv.Atoi(a)
		if err != nil || x < 0 {
			return 0, 0, fmt.Errorf("bad hunk header %q", l)
		}
		y := 1
		if has {
			if y, err = strconv.Atoi(b); err != nil || y < 0 {
				return 0, 0, fmt.Errorf("bad hunk header %q", l)
			}
		}
		return x, y, nil
	}
	if oldStart, oldN, err = rng(o); err != nil {
		return
	}
	newStart, newN, err = rng(n)
	return
}

func TestApplyPatch(t *testing.T) {
	for _, c := range []struct{ old, new string }{
		{"a\nb\nc\n", "a\nB\nc\n"},
		{"a\nb\nc", "a\nb\nc\n"},
		{"a\nb\nc\n", "a\nb\nc"},
		{"a\n", "x\na\n"},
		{"a\n", ""},
		{"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n"},
		{"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "1\n2\n3\n4\n5\n7\n8\n9\n10\n11\n12\n"},
	} {
		d := unifiedDiff("Dockerfile", c.old, c.new)
		got, err := applyPatch(d, map[string]string{"Dockerfile": c.old})
		if err != nil || got["Dockerfile"] != c.new {
			t.Errorf("%q → %q: got %q, %v\n%s", c.old, c.new, got["Dockerfile"], err, d)
		}
		if c.old != c.new {
			if _, err := applyPatch(d, map[string]string{"Dockerfile": "z\n" + c.old}); err == nil && c.old != "" {
				t.Errorf("%q: the diff applied to another file", c.old)
			}
		}
	}
	got, err := applyPatch(newFileDiff(".dockerignore", ".git\n*.pyc\n"), map[string]string{})
	if err != nil || got[".dockerignore"] != ".git\n*.pyc\n" {
		t.Errorf("new file: %q, %v", got, err)
	}
	if _, err := applyPatch(newFileDiff(".dockerignore", "x\n"), map[string]string{".dockerignore": ""}); err == nil {
		t.Errorf("a new file diff applied over an existing file")
	}
}

// Two edits joined into one hunk, then a second hunk: go-udiff counted the
// new lines of the second hunk without the unchanged line between the two
// edits (+18 for +19). The fuzzer's seed eabdc623cc794e9e found it.
func TestUnifiedDiffLineNumbers(t *testing.T) {
	var old, new []string
	for i := 1; i <= 20; i++ {
		old = append(old, strings.Repeat("x", i)+"\n")
	}
	new = append(new, "A\n", old[1], "i1\n", "i2\n", "i3\n", "B\n")
	new = append(new, old[3:18]...)
	new = append(new, "C\n", old[19])
	d := unifiedDiff("Dockerfile", strings.Join(old, ""), strings.Join(new, ""))
	if !strings.Contains(d, "\n@@ -16,5 +19,5 @@\n") {
		t.Errorf("the second hunk's header is wrong:\n%s", d)
	}
	got, err := applyPatch(d, map[string]string{"Dockerfile": strings.Join(old, "")})
	if err != nil || got["Dockerfile"] != strings.Join(new, "") {
		t.Errorf("%v\n%s", err, d)
	}
}
