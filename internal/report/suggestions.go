package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/suggest"
	"github.com/slimpy/slimpy/internal/textsafe"
	"github.com/slimpy/slimpy/internal/words"
)

// SuggestionsDoc is what the suggestions' reports say besides the
// suggestions: the Dockerfile and the image they were derived from.
type SuggestionsDoc struct {
	Dockerfile string // its path; "" when reconstructed
	Image      string // the image reference, "" without one
	// Mismatch says why the Dockerfile did not build the image.
	Mismatch string
	// Measured: the savings were measured on the image.
	Measured bool
	// Reconstructed is the Dockerfile reconstructed from the image's
	// history, when there was none.
	Reconstructed string
}

const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
	ansiCyan  = "\x1b[36m"
	ansiDim   = "\x1b[2m"
)

// SuggestionsText writes the suggestions for people: each with its ID,
// evidence, savings and coloured diff (or its advice), then the measured
// total and how to apply them.
func SuggestionsText(out io.Writer, doc SuggestionsDoc, ss []suggest.Suggestion, color bool) {
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return code + s + ansiReset
	}
	name := doc.Dockerfile
	if name == "" {
		name = "the reconstructed Dockerfile"
	}
	if len(ss) == 0 {
		fmt.Fprintf(out, "%s: no suggestions.\n", textsafe.Term(name))
		return
	}
	var measured int64
	for _, s := range ss {
		if s.Savings.Measured {
			measured += s.Savings.Bytes
		}
	}
	fmt.Fprintf(out, "%s: %s", textsafe.Term(name), words.Count(len(ss), "suggestion", "suggestions"))
	switch {
	case doc.Mismatch != "":
		fmt.Fprintf(out, " (image %s, which the Dockerfile did not build: the savings are not measured)", textsafe.Term(doc.Image))
	case doc.Measured:
		fmt.Fprintf(out, " (image %s)", textsafe.Term(doc.Image))
	default:
		fmt.Fprint(out, " (no image: the savings are not measured)")
	}
	fmt.Fprintln(out)
	for _, s := range ss {
		fmt.Fprintln(out)
		fmt.Fprintf(out, "%s  %s\n", paint(ansiBold, s.ID), paint(ansiBold, textsafe.Code(s.Title)))
		meta := "name: " + s.Name
		if s.Hadolint != "" {
			meta += " · hadolint " + s.Hadolint
		}
		if len(s.Lines) > 0 {
			var ls []string
			for _, l := range s.Lines {
				ls = append(ls, fmt.Sprint(l))
			}
			meta += " · lines " + strings.Join(ls, ", ")
		}
		fmt.Fprintln(out, "  "+paint(ansiDim, meta))
		for _, e := range s.Evidence {
			if !slices.Contains(s.Advice, e) { // said below, as the reason
				fmt.Fprintln(out, "  - "+textsafe.Code(e))
			}
		}
		fmt.Fprintln(out, "  "+textsafe.Code(s.Savings.String()))
		if !s.Fixable() {
			fmt.Fprintln(out, "  "+paint(ansiBold, "Advice only, no diff:"))
			for _, a := range s.Advice {
				fmt.Fprintln(out, "  - "+textsafe.Code(a))
			}
			continue
		}
		for _, l := range strings.Split(strings.TrimSuffix(s.Diff, "\n"), "\n") {
			l = textsafe.Code(l) // as it is, unless it would drive the terminal
			switch {
			case strings.HasPrefix(l, "+++") || strings.HasPrefix(l, "---") || strings.HasPrefix(l, "diff ") || strings.HasPrefix(l, "new file"):
				l = paint(ansiBold, l)
			case strings.HasPrefix(l, "@@"):
				l = paint(ansiCyan, l)
			case strings.HasPrefix(l, "+"):
				l = paint(ansiGreen, l)
			case strings.HasPrefix(l, "-"):
				l = paint(ansiRed, l)
			}
			fmt.Fprintln(out, l)
		}
	}
	fmt.Fprintln(out)
	if doc.Measured {
		fmt.Fprintf(out, "Measured savings add up to %s (suggestions can overlap).\n", humanize.Bytes(uint64(measured)))
	}
	if slices.ContainsFunc(ss, suggest.Suggestion.Fixable) {
		fmt.Fprintln(out, "Apply with: slimpy fix [IMAGE] --dockerfile PATH --accept ID,... (or --all)")
	} else {
		fmt.Fprintln(out, "Every suggestion is advice: nothing for slimpy fix to apply.")
	}
}

// SuggestionsJSON writes the suggestions as indented JSON.
func SuggestionsJSON(out io.Writer, doc SuggestionsDoc, ss []suggest.Suggestion) error {
	if ss == nil {
		ss = []suggest.Suggestion{}
	}
	v := struct {
		Dockerfile    string               `json:"dockerfile"`
		Image         string               `json:"image,omitempty"`
		Reconstructed bool                 `json:"reconstructed"`
		ImageMismatch string               `json:"imageMismatch,omitempty"`
		Source        string               `json:"source,omitempty"`
		Suggestions   []suggest.Suggestion `json:"suggestions"`
	}{Dockerfile: doc.Dockerfile, Image: doc.Image, Reconstructed: doc.Reconstructed != "", ImageMismatch: doc.Mismatch,
		Source: doc.Reconstructed, Suggestions: ss}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
