package inspect

import (
	"sort"
	"strings"
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
		for _, g := range p.analysis.DuplicateGroups(max(p.Settings.DuplicatesMinSize, 1)) {
			nodes := make([]*Node, 0, len(g.Paths))
			for _, q := range g.Paths {
				if n := p.FS.Lookup(q); n != nil && n.Kind == KindFile && !p.Ignored(q) {
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
			return "copies of content present elsewhere in the image: " + plural(a.files, "file", "files") + " (" + strings.Join(firstN(rootsOf(a), 2), ", ") + ")"
		})
	},
}

var layerWasteRule = &Rule{
	ID:       "SP502",
	Name:     "layer-waste",
	Category: "duplicates",
	Severity: SeverityMedium,
	Doc:      "bytes a lower layer stores that a later layer hides (overwritten, deleted with rm or rm -rf, hidden by an opaque directory), per hiding layer; metadata-only rewrites are SP503",
	Fix:      "delete or change files in the same RUN that creates them, or build in a separate stage: a later rm only hides bytes, it never frees them",
	Check: func(p *Pass) []Finding {
		meta := metadataCopyKeys(p.FS)
		c := p.collector()
		for _, cp := range p.FS.Hidden {
			if meta[metaKey{cp.HiddenBy, cp.Path}] && cp.Reason == Overwritten {
				continue
			}
			c.addHidden(cp, cp.HiddenBy)
		}
		return c.findings(func(a *acc) string {
			reasons := map[HideReason]bool{}
			for _, cp := range p.FS.Hidden {
				if cp.HiddenBy == a.layer {
					reasons[cp.Reason] = true
				}
			}
			var how []string
			for _, r := range []HideReason{Deleted, Overwritten, Opaque} {
				if reasons[r] {
					how = append(how, r.String())
				}
			}
			return "this layer hides " + plural(a.files, "file", "files") + " stored by lower layers (" + strings.Join(how, ", ") + "): still pulled, never visible"
		})
	},
}

type metaKey struct {
	layer int
	path  string
}

// metadataCopyKeys names the hidden copies a metadata-only rewrite caused:
// the rewriting layer and the path.
func metadataCopyKeys(fs *FileSystem) map[metaKey]bool {
	out := map[metaKey]bool{}
	for _, m := range fs.MetadataCopies {
		out[metaKey{m.Layer, m.Path}] = true
	}
	return out
}

var metadataRewritesRule = &Rule{
	ID:       "SP503",
	Name:     "metadata-rewrites",
	Category: "duplicates",
	Severity: SeverityMedium,
	Doc:      "files a layer stores again with unchanged content, only to change owner or mode (RUN chown -R / chmod -R): the whole size is paid twice",
	Fix:      "set ownership and mode when the files are written: COPY --chown=app:app --chmod=..., or chown in the RUN that creates them",
	Check: func(p *Pass) []Finding {
		meta := metadataCopyKeys(p.FS)
		c := p.collector()
		for _, cp := range p.FS.Hidden {
			if cp.Reason == Overwritten && meta[metaKey{cp.HiddenBy, cp.Path}] {
				c.addHidden(cp, cp.HiddenBy)
			}
		}
		return c.findings(func(a *acc) string {
			owner, mode := false, false
			for _, m := range p.FS.MetadataCopies {
				if m.Layer == a.layer {
					owner = owner || m.OwnerChanged
					mode = mode || m.ModeChanged
				}
			}
			what := ""
			switch {
			case owner && mode:
				what = "owner and mode"
			case owner:
				what = "owner"
			case mode:
				what = "mode"
			}
			if what == "" {
				return "this layer stores " + plural(a.files, "file", "files") + " again unchanged (same content, owner and mode)"
			}
			return "this layer stores " + plural(a.files, "file", "files") + " again with the same content to change their " + what
		})
	},
}
