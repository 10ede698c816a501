package suggest

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/rules"
	"github.com/slimpy/slimpy/internal/textsafe"
)

// Reconstruct writes a Dockerfile from an image's history, for an image
// whose Dockerfile is not at hand. It is marked as reconstructed: the base
// image's name is not recorded in an image (the FROM line is a guess from
// its OS and Python), and COPY sources are guesses (the history keeps only
// destinations). The instructions are those after the base image's last
// CMD or ENTRYPOINT, as the history tells them.
func Reconstruct(a *inspect.Analysis, findings []rules.Finding, ref string) string {
	hist := a.Config.History
	var instrs []string
	var layerOf []int // per history entry: layer index or -1
	layer := 0
	for _, h := range hist {
		instrs = append(instrs, inspect.Instruction(h.CreatedBy))
		if h.EmptyLayer {
			layerOf = append(layerOf, -1)
		} else {
			layerOf = append(layerOf, layer)
			layer++
		}
	}
	// The base ends at the last CMD/ENTRYPOINT that layers follow.
	start := 0
	for i := len(instrs) - 2; i >= 0; i-- {
		kw, _, _ := strings.Cut(instrs[i], " ")
		if kw == "CMD" || kw == "ENTRYPOINT" {
			later := false
			for j := i + 1; j < len(instrs); j++ {
				later = later || layerOf[j] >= 0
			}
			if later {
				start = i + 1
				break
			}
		}
	}
	firstLayer := -1
	for i := start; i < len(instrs); i++ {
		if layerOf[i] >= 0 {
			firstLayer = layerOf[i]
			break
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Reconstructed by slimpy from the history of %s: not the original Dockerfile.\n", textsafe.OneLine(ref))
	b.WriteString("# An image does not record its base image's name: this FROM is a guess from its OS\n")
	b.WriteString("# and Python. COPY sources are guesses too (the history keeps only destinations).\n")
	b.WriteString("FROM " + guessBase(a, findings, firstLayer) + "\n")
	for i := start; i < len(instrs); i++ {
		line := dockerfileLine(reconstructLine(instrs[i]))
		if line == "" {
			if layerOf[i] >= 0 {
				fmt.Fprintf(&b, "# (layer %d: no instruction recorded)\n", layerOf[i])
			}
			continue
		}
		b.WriteString(line + "\n")
	}
	out := b.String()
	// Anything BuildKit's parser refuses becomes a comment.
	for k := 0; k < 100; k++ {
		_, err := Parse([]byte(out))
		var pe *ParseError
		if err == nil || !errors.As(err, &pe) || pe.Line <= 4 {
			break
		}
		lines := strings.SplitAfter(out, "\n")
		lines[pe.Line-1] = "# (unparsable) " + strings.ReplaceAll(lines[pe.Line-1], "\n", " ") + "\n"
		out = strings.Join(lines, "")
	}
	return out
}

// dockerfileLine keeps a reconstructed instruction when it is one
// instruction of printable text, and otherwise writes it as one comment
// line, escaped. The history is the image's to say: a newline in a
// created_by would forge instructions (ENV a=b, then USER root on a line
// of its own; lines after a heredoc's end), and escape sequences in it
// would reach every terminal the Dockerfile is shown on.
func dockerfileLine(line string) string {
	if line == "" {
		return ""
	}
	why := ""
	for _, l := range strings.Split(line, "\n") {
		if textsafe.Code(l) != l {
			why = "control characters"
			break
		}
	}
	if why == "" && strings.Contains(line, "\n") && !oneInstruction(line) {
		why = "more than one instruction"
	}
	if why == "" {
		return line
	}
	return "# (not reconstructed: " + why + ") " + textsafe.Term(line)
}

// oneInstruction: text is exactly one instruction for BuildKit's parser.
func oneInstruction(text string) bool {
	d, err := Parse([]byte("FROM scratch\n" + text + "\n"))
	return err == nil && len(d.Instructions) == 2
}

var copyHistRe = regexp.MustCompile(`^(COPY|ADD) (?:--\S+ )*(file|dir|multi):[0-9a-f]+ in (\S+)`)
var exposeMapRe = regexp.MustCompile(`^EXPOSE map\[(.*)\]$`)

// reconstructLine turns one history instruction into a Dockerfile line.
func reconstructLine(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasPrefix(s, "#") {
		return ""
	}
	kw, rest, _ := strings.Cut(s, " ")
	switch kw {
	case "RUN":
		if strings.Contains(rest, "\n") && !strings.Contains(rest, "<<") {
			return "RUN " + strings.ReplaceAll(rest, "\n", " \\\n")
		}
		return s
	case "COPY", "ADD":
		if m := copyHistRe.FindStringSubmatch(s); m != nil {
			dest := m[3]
			if m[2] == "file" {
				base := dest[strings.LastIndex(dest, "/")+1:]
				if base == "" || base == "." {
					return m[1] + " . " + dest
				}
				return m[1] + " " + base + " " + dest
			}
			return m[1] + " . " + dest
		}
		return s
	case "EXPOSE":
		if m := exposeMapRe.FindStringSubmatch(s); m != nil {
			var ports []string
			for _, f := range strings.Fields(m[1]) {
				p, _, _ := strings.Cut(f, ":")
				ports = append(ports, p)
			}
			sort.Strings(ports)
			return "EXPOSE " + strings.Join(ports, " ")
		}
		return s
	case "CMD", "ENTRYPOINT", "SHELL":
		// The classic builder prints exec forms as Go slices: ["a" "b"].
		if strings.HasPrefix(rest, "[\"") && strings.HasSuffix(rest, "\"]") && !strings.Contains(rest, "\",") {
			return kw + " " + strings.ReplaceAll(rest, "\" \"", "\", \"")
		}
		return s
	case "ENV", "WORKDIR", "USER", "LABEL", "ARG", "VOLUME", "STOPSIGNAL":
		return s
	}
	return "# " + s
}

// tagWord is what an os-release value or a Python version may be to go
// into a FROM line's tag; anything else (the image says it) is dropped.
var tagWord = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func tagPart(s string) string {
	if tagWord.MatchString(s) {
		return s
	}
	return ""
}

// dashed is "-"+s, or "" for "".
func dashed(s string) string {
	if s == "" {
		return ""
	}
	return "-" + s
}

// guessBase names a base image like the one the image was built from.
func guessBase(a *inspect.Analysis, findings []rules.Finding, firstLayer int) string {
	osr := a.Inventory.OSRelease
	id, ver, codename := osr["ID"], tagPart(osr["VERSION_ID"]), tagPart(osr["VERSION_CODENAME"])
	py := ""
	for _, it := range a.Inventory.Interpreters {
		if it.Kind == "local" && it.Version != "" && (firstLayer < 0 || it.Layer < firstLayer) {
			py = tagPart(minorOf(it.Version))
		}
	}
	if py != "" {
		switch id {
		case "alpine":
			return "python:" + py + "-alpine" + minorOf(ver)
		case "debian":
			full := false
			for _, f := range findings {
				if f.Rule == buildToolchainRule && f.Layer >= 0 && (firstLayer < 0 || f.Layer < firstLayer) {
					full = true
				}
			}
			if full {
				return "python:" + py + dashed(codename)
			}
			return "python:" + py + "-slim" + dashed(codename)
		}
		return "python:" + py
	}
	switch id {
	case "debian":
		if codename != "" {
			return "debian:" + codename
		}
	case "ubuntu":
		if ver != "" {
			return "ubuntu:" + ver
		}
	case "alpine":
		if ver != "" {
			return "alpine:" + minorOf(ver)
		}
	}
	return "scratch"
}
