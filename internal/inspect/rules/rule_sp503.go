package rules

import (
	"fmt"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/words"
)

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
			if cp.Reason == fsview.Overwritten && meta[metaKey{cp.HiddenBy, cp.Path}] {
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
				return fmt.Sprintf("layer %d stores ", a.layer) + words.Count(a.files, "file", "files") + " again unchanged (same content, owner and mode)"
			}
			return fmt.Sprintf("layer %d stores ", a.layer) + words.Count(a.files, "file", "files") + " again with the same content to change their " + what
		})
	},
}
