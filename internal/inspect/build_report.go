package inspect

import (
	"cmp"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/inventory"
	"github.com/slimpy/slimpy/internal/inspect/source"
)

// Totals computes the image-wide figures from the merged view.
func (a *Analysis) Totals() Totals {
	t, _ := a.totalsAndDuplicates(-1)
	return t
}

// DuplicateGroups groups visible regular files of identical content (size
// and xxh3) at different paths; hardlinks of one file are one member.
// Groups whose single copy is smaller than minSize are left out.
func (a *Analysis) DuplicateGroups(minSize int64) []fsview.DuplicateGroup {
	_, groups := a.totalsAndDuplicates(max(minSize, 0))
	return groups
}

// totalsAndDuplicates walks the merged tree once for both; no duplicate
// groups when minSize < 0.
func (a *Analysis) totalsAndDuplicates(minSize int64) (Totals, []fsview.DuplicateGroup) {
	var t Totals
	for _, l := range a.Layers {
		t.StoredSize += l.Data.StoredBytes
		t.CompressedSize += l.CompressedSize
	}
	var groups []fsview.DuplicateGroup
	t.Size, t.Files, groups = a.FS.VisibleContents(minSize)
	t.WastedBytes = t.StoredSize - t.Size
	t.Efficiency = 1
	if t.StoredSize > 0 {
		t.Efficiency = float64(t.Size) / float64(t.StoredSize)
	}
	return t, groups
}

// Report builds the JSON report.
func (a *Analysis) Report() Report {
	r := Report{
		SchemaVersion: SchemaVersion,
		Image:         imageInfo(a.Source, a.Config, a.Inventory.OSRelease["PRETTY_NAME"]),
	}
	if a.fsReportDone != nil {
		<-a.fsReportDone
		r.Totals = a.fsTotals
		for _, g := range a.fsDuplicates {
			g.Paths = slices.Clone(g.Paths)
			r.Duplicates.Groups = append(r.Duplicates.Groups, g)
		}
	} else {
		r.Totals, r.Duplicates.Groups = a.totalsAndDuplicates(1)
	}
	for _, l := range a.Layers {
		r.Layers = append(r.Layers, LayerReport{
			Index: l.Index, DiffID: l.DiffID, Digest: l.Digest,
			Size: l.Data.StoredBytes, Files: l.Data.StoredFiles,
			CompressedSize: l.CompressedSize, CreatedBy: l.CreatedBy, Cached: l.Cached,
			LayerChange: l.Change,
		})
	}

	r.Waste = WasteReport{ByReason: map[string]int64{}, Copies: append([]fsview.Copy(nil), a.FS.Hidden...)}
	for _, c := range a.FS.Hidden {
		r.Waste.Bytes += c.Size
		r.Waste.Files++
		r.Waste.ByReason[c.Reason.String()] += c.Size
	}
	// Generic, not sort.SliceStable: its reflective swaps of 40k copies
	// took ~100 ms of the serial end of a cold run.
	slices.SortStableFunc(r.Waste.Copies, func(x, y fsview.Copy) int { return cmp.Compare(y.Size, x.Size) })

	for _, g := range r.Duplicates.Groups {
		r.Duplicates.WastedBytes += g.WastedBytes
	}

	r.MetadataOnlyCopies = MetadataOnlyReport{ByLayer: map[int]int64{}, Copies: a.FS.MetadataCopies}
	for _, m := range a.FS.MetadataCopies {
		r.MetadataOnlyCopies.Bytes += m.Size
		r.MetadataOnlyCopies.Files++
		r.MetadataOnlyCopies.ByLayer[m.Layer] += m.Size
	}

	r.Packages.Interpreters = a.Inventory.Interpreters
	for _, p := range a.Inventory.OS {
		r.Packages.OS = append(r.Packages.OS, PackageRef{Name: p.Name, Version: p.Version, Manager: p.Manager, Bytes: p.Bytes, Layer: p.Layer})
	}
	for _, p := range a.Inventory.Python {
		r.Packages.Python = append(r.Packages.Python, PackageRef{Name: p.Name, Version: p.Version, Manager: cmp.Or(p.Installer, "unknown"), Location: p.Location, Bytes: p.Bytes, Layer: p.Layer})
	}
	// Empty lists read better as [] than null in JSON.
	if r.Layers == nil {
		r.Layers = []LayerReport{}
	}
	if r.Duplicates.Groups == nil {
		r.Duplicates.Groups = []fsview.DuplicateGroup{}
	}
	if r.Waste.Copies == nil {
		r.Waste.Copies = []fsview.Copy{}
	}
	if r.MetadataOnlyCopies.Copies == nil {
		r.MetadataOnlyCopies.Copies = []fsview.MetadataCopy{}
	}
	if r.Packages.OS == nil {
		r.Packages.OS = []PackageRef{}
	}
	if r.Packages.Python == nil {
		r.Packages.Python = []PackageRef{}
	}
	if r.Packages.Interpreters == nil {
		r.Packages.Interpreters = []inventory.Interpreter{}
	}
	return r
}

// imageInfo is what the source and the config say about the image; osName
// is os-release's PRETTY_NAME.
func imageInfo(src *source.Source, config *v1.ConfigFile, osName string) ImageInfo {
	cfg := config.Config
	info := ImageInfo{
		Reference:  src.Reference,
		Transport:  src.Transport,
		Platform:   src.Platform,
		Created:    config.Created.Time.UTC(),
		User:       cfg.User,
		WorkingDir: cfg.WorkingDir,
		Entrypoint: cfg.Entrypoint,
		Cmd:        cfg.Cmd,
		Env:        cfg.Env,
		OS:         osName,
	}
	if h, err := src.Image.ConfigName(); err == nil {
		info.ConfigID = h.String()
	}
	if src.RawCompressed {
		if d, err := src.Image.Digest(); err == nil {
			info.Digest = d.String()
		}
	}
	if info.Platform == "" {
		info.Platform = platformString(config.OS, config.Architecture, config.Variant)
	}
	return info
}

func platformString(os, arch, variant string) string {
	parts := []string{os, arch}
	if variant != "" {
		parts = append(parts, variant)
	}
	return strings.Join(parts, "/")
}
