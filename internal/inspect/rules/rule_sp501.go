package rules

import (
	"sort"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/words"
)

var duplicateFilesRule = &Rule{
	ID:       "SP501",
	Name:     "duplicate-files",
	Category: "duplicates",
	Severity: SeverityLow,
	Doc:      "identical content at several visible paths (same size and xxh3; hardlinks of one file are one copy), for copies of at least duplicates-min-size (default 4 KiB)",
	Fix:      "keep one copy: COPY it once, symlink or hardlink the others, or stop two packages shipping the same file",
	Check: func(p *Pass) []Finding {
		c := p.collector()
		groups := 0
		for _, g := range p.DuplicateGroups(max(p.Settings.DuplicatesMinSize, 1)) {
			nodes := make([]*fsview.Node, 0, len(g.Paths))
			for _, q := range g.Paths {
				if n := p.FS.Lookup(q); n != nil && n.Kind == layer.KindFile && !p.Ignored(q) {
					nodes = append(nodes, n)
				}
			}
			if len(nodes) < 2 {
				continue
			}
			// The copy to keep: the one stored first (lowest layer), then the
			// first path; every other one is recoverable.
			sort.SliceStable(nodes, func(i, j int) bool {
				li, _ := nodes[i].InodeKey()
				lj, _ := nodes[j].InodeKey()
				if li != lj {
					return li < lj
				}
				return nodes[i].Path < nodes[j].Path
			})
			groups++
			for _, n := range nodes[1:] {
				c.addFile(n, "")
			}
		}
		return c.findings(func(a *acc) string {
			return "copies of content present elsewhere in the image: " + words.Count(a.files, "file", "files") + " (" + strings.Join(firstN(rootsOf(a), 2), ", ") + ")"
		})
	},
}
