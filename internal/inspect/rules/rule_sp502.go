package rules

import (
	"fmt"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/words"
)

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
			if meta[metaKey{cp.HiddenBy, cp.Path}] && cp.Reason == fsview.Overwritten {
				continue
			}
			c.addHidden(cp, cp.HiddenBy)
		}
		return c.findings(func(a *acc) string {
			reasons := map[fsview.HideReason]bool{}
			for _, cp := range p.FS.Hidden {
				if cp.HiddenBy == a.layer {
					reasons[cp.Reason] = true
				}
			}
			var how []string
			for _, r := range []fsview.HideReason{fsview.Deleted, fsview.Overwritten, fsview.Opaque} {
				if reasons[r] {
					how = append(how, r.String())
				}
			}
			return fmt.Sprintf("layer %d hides ", a.layer) + words.Count(a.files, "file", "files") + " stored by lower layers (" + strings.Join(how, ", ") + "): still pulled, never visible"
		})
	},
}
