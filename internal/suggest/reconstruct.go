package suggest

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect"
)

// Reconstruct writes a Dockerfile from an image's history, for an image
// whose Dockerfile is not at hand. It is marked as reconstructed: the base
// image's name is not recorded in an image (the FROM line is a guess from
// its OS and Python), and COPY sources are guesses (the history keeps only
// destinations). The instructions are those after the base image's last
// CMD or ENTRYPOINT, as the history tells them.
func Reconstruct(a *inspect.Analysis, findings []inspect.Finding, ref string) string {
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
	fmt.Fprintf(&b, "# Reconstructed by slimpy from the history of %s: not the original Dockerfile.\n", ref)
	b.WriteString("# An image does not record its base image's name: this FROM is a guess from its OS\n")
	b.WriteString("# and Python. COPY sources are guesses too (the history keeps only destinations).\n")
	b.WriteString("FROM " + guessBase(a, findings, firstLayer) + "\n")
	for i := start; i < len(instrs); i++ {
		line := reconstructLine(instrs[i])
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

// guessBase names a base image like the one the image was built from.
func guessBase(a *inspect.Analysis, findings []inspect.Finding, firstLayer int) string {
	osr := a.Inventory.OSRelease
	id, ver, codename := osr["ID"], osr["VERSION_ID"], osr["VERSION_CODENAME"]
	py := ""
	for _, it := range a.Inventory.Interpreters {
		if it.Kind == "local" && it.Version != "" && (firstLayer < 0 || it.Layer < firstLayer) {
			py = minorOf(it.Version)
		}
	}
	if py != "" {
		switch id {
		case "alpine":
			return "python:" + py + "-alpine" + minorOf(ver)
		case "debian":
			full := false
			for _, f := range findings {
				if f.Rule == "SP201" && f.Layer >= 0 && (firstLayer < 0 || f.Layer < firstLayer) {
					full = true
				}
			}
			if full {
				return "python:" + py + "-" + codename
			}
			return "python:" + py + "-slim-" + codename
		}
		return "python:" + py
	}
	switch id {
	case "debian":
		if codename != "" {
			return "debian:" + codename
		}
	case "ubuntu":
		return "ubuntu:" + ver
	case "alpine":
		return "alpine:" + minorOf(ver)
	}
	return "scratch"
}
