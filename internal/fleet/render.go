package fleet

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/dustin/go-humanize"

	"github.com/slimpy/slimpy/internal/textsafe"
	"github.com/slimpy/slimpy/internal/words"
)

// WriteJSON writes the report as `slimpy scan --format json` prints it:
// indented by two spaces, fields in a fixed order, map keys sorted, a
// final newline. The same report always gives the same bytes.
func WriteJSON(w io.Writer, r *Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// size is a byte count for a person: SI units, as everywhere in slimpy.
func size(n int64) string {
	if n < 0 {
		return "-" + humanize.Bytes(uint64(-n))
	}
	return humanize.Bytes(uint64(n))
}

func score(s *int) string {
	if s == nil {
		return "–"
	}
	return fmt.Sprint(*s)
}

// shortID is a chainID or diffID cut to its first 12 hex digits, as docker
// shows image IDs.
func shortID(id string) string {
	_, hex, ok := strings.Cut(id, ":")
	if !ok || len(hex) < 12 {
		return id
	}
	return hex[:12]
}

// baseNames names the bases "base-1"… in the report's order, for the
// tables that refer to them.
func baseNames(r *Report) map[string]string {
	names := map[string]string{}
	for i, b := range r.Bases {
		names[b.ChainID] = fmt.Sprintf("base-%d", i+1)
	}
	return names
}

// headline is the report's first lines, the same in text and markdown
// (the numbers and words are slimpy's, nothing from an image).
func headline(r *Report) []string {
	t := r.Totals
	lines := []string{
		fmt.Sprintf("%s analysed, %s failed", words.Count(t.Images, "image", "images"), fmt.Sprint(t.Failed)),
		fmt.Sprintf("%s visible in the images, %s stored in their layers (%s compressed)", size(t.Size), size(t.StoredSize), size(t.CompressedSize)),
		fmt.Sprintf("%s distinct layers store %s (%s compressed) once", fmt.Sprint(t.Layers), size(t.LayersStored), size(t.LayersCompressed)),
		fmt.Sprintf("%s wasted by later layers, %s recoverable", size(t.WastedBytes), size(t.RecoverableBytes)),
	}
	if r.Shard != nil {
		lines = append(lines, fmt.Sprintf("shard %d/%d of %s: merge all %d shards with slimpy scan merge", r.Shard.Index, r.Shard.Count,
			words.Count(r.Shard.References, "image", "images"), r.Shard.Count))
	}
	return lines
}

// WriteText writes the report for a terminal. Every string that comes from
// an image or a registry goes through textsafe.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	b.WriteString("slimpy scan: fleet report\n")
	for _, l := range headline(r) {
		b.WriteString("  " + l + "\n")
	}
	names := baseNames(r)

	if len(r.Images) > 0 {
		b.WriteString("\nImages\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  IMAGE\tSIZE\tWASTE\tRECOVERABLE\tSCORE\tBASE\t")
		for _, im := range r.Images {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t\n", textsafe.Term(im.Reference), size(im.Size), size(im.WastedBytes),
				size(im.RecoverableBytes), score(im.Score), names[im.Base])
		}
		tw.Flush()
		b.WriteString("\nTop findings\n")
		for _, im := range r.Images {
			if len(im.TopFindings) == 0 {
				continue
			}
			b.WriteString("  " + textsafe.Term(im.Reference) + "\n")
			for _, f := range im.TopFindings {
				fmt.Fprintf(&b, "    %s %-6s %8s  %s\n", textsafe.Term(f.Rule), textsafe.Term(string(f.Severity)), size(f.Bytes), textsafe.OneLine(f.Title))
			}
		}
	}

	if len(r.Bases) > 0 {
		b.WriteString("\nBase images (layer prefixes the images share)\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  BASE\tCHAIN ID\tLAYERS\tSIZE\tIMAGES\tACROSS IMAGES\tON\tOS\t")
		for _, bs := range r.Bases {
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%d\t%s\t%s\t%s\t\n", names[bs.ChainID], textsafe.Term(shortID(bs.ChainID)), bs.Layers, size(bs.Size),
				bs.Images, size(bs.FleetSize), names[bs.Parent], textsafe.OneLine(bs.OS))
		}
		tw.Flush()
		for _, bs := range r.Bases {
			fmt.Fprintf(&b, "  %s top layer: %s\n", names[bs.ChainID], textsafe.OneLine(bs.TopLayer.CreatedBy))
		}
	}

	if len(r.Recoverable) > 0 {
		b.WriteString("\nRecoverable by category (each image counts its own bytes)\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, c := range r.Recoverable {
			fmt.Fprintf(tw, "  %s\t%s\tin %s\t\n", textsafe.Term(c.Category), size(c.Bytes), words.Count(c.Images, "image", "images"))
		}
		tw.Flush()
	}

	if len(r.EndOfLife) > 0 {
		b.WriteString("\nEnd of life\n")
		for _, e := range r.EndOfLife {
			where := ""
			if e.Base != "" {
				where = ", in " + names[e.Base]
			}
			fmt.Fprintf(&b, "  %s %-6s %s: %s%s\n", textsafe.Term(e.Rule), textsafe.Term(string(e.Severity)), textsafe.OneLine(e.Title),
				words.Count(e.Images, "image", "images"), where)
			if e.CreatedBy != "" {
				fmt.Fprintf(&b, "      from: %s\n", textsafe.OneLine(e.CreatedBy))
			}
		}
	}

	if len(r.Failed) > 0 {
		b.WriteString("\nFailed\n")
		for _, f := range r.Failed {
			fmt.Fprintf(&b, "  %s: %s\n", textsafe.Term(f.Reference), textsafe.OneLine(f.Error))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the report for $GITHUB_STEP_SUMMARY, a wiki page or
// a pull-request comment. Every string that comes from an image, a
// registry or the user goes through textsafe.Markdown.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	md := textsafe.Markdown
	b.WriteString("## slimpy scan: fleet report\n\n")
	for _, l := range headline(r) {
		b.WriteString("- " + l + "\n") // slimpy's words and numbers only
	}
	names := baseNames(r)

	if len(r.Images) > 0 {
		b.WriteString("\n### Images\n\n| image | size | waste | recoverable | score | base | top findings |\n|---|---:|---:|---:|---:|---|---|\n")
		for _, im := range r.Images {
			var top []string
			for _, f := range im.TopFindings {
				top = append(top, fmt.Sprintf("%s %s: %s", md(f.Rule), size(f.Bytes), md(f.Title)))
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", md(im.Reference), size(im.Size), size(im.WastedBytes),
				size(im.RecoverableBytes), score(im.Score), names[im.Base], strings.Join(top, "<br>"))
		}
	}

	if len(r.Bases) > 0 {
		b.WriteString("\n### Base images\n\nLayer prefixes the images share; *across images* is the size times the images that carry it.\n\n" +
			"| base | chain ID | layers | size | images | across images | on | OS | top layer |\n|---|---|---:|---:|---:|---:|---|---|---|\n")
		for _, bs := range r.Bases {
			fmt.Fprintf(&b, "| %s | %s | %d | %s | %d | %s | %s | %s | %s |\n", names[bs.ChainID], md(shortID(bs.ChainID)), bs.Layers,
				size(bs.Size), bs.Images, size(bs.FleetSize), names[bs.Parent], md(bs.OS), md(bs.TopLayer.CreatedBy))
		}
	}

	if len(r.Recoverable) > 0 {
		b.WriteString("\n### Recoverable by category\n\nEach image counts its own bytes.\n\n| category | bytes | images |\n|---|---:|---:|\n")
		for _, c := range r.Recoverable {
			fmt.Fprintf(&b, "| %s | %s | %d |\n", md(c.Category), size(c.Bytes), c.Images)
		}
	}

	if len(r.EndOfLife) > 0 {
		b.WriteString("\n### End of life\n\n| rule | severity | release | images | base | layer |\n|---|---|---|---:|---|---|\n")
		for _, e := range r.EndOfLife {
			fmt.Fprintf(&b, "| %s | %s | %s | %d | %s | %s |\n", md(e.Rule), md(string(e.Severity)), md(e.Title), e.Images,
				names[e.Base], md(e.CreatedBy))
		}
	}

	if len(r.Failed) > 0 {
		b.WriteString("\n### Failed\n\n| image | error |\n|---|---|\n")
		for _, f := range r.Failed {
			fmt.Fprintf(&b, "| %s | %s |\n", md(f.Reference), md(f.Error))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
