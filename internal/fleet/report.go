// Package fleet scans many images and reports them as one fleet: per image
// its size, waste, score and top findings; per base image (a layer prefix
// that images share) how many images use it and what it costs; the bytes
// the fleet could recover, by category; the end-of-life bases; the images
// that failed. It splits the work into deterministic shards (Shard) for a
// CI matrix or a Kubernetes Indexed Job and merges the shards' JSON back
// into the report one unsharded run would have written, byte for byte
// (Merge). docs/fleet.md documents the JSON.
//
// The package never reads an image: Run calls the caller's Analyzer (the
// inspect pipeline) for each reference, and everything here works from
// the inspect.Report values it returns.
package fleet

import (
	"cmp"
	"slices"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/rules"
)

// SchemaVersion is the version of the fleet JSON. Bump it on any change
// that breaks a reader; adding fields does not.
const SchemaVersion = 1

// ReportKind is the report's "kind": it tells a fleet report from an image
// report (`slimpy inspect --format json`) handed to `slimpy scan merge`.
const ReportKind = "slimpy-fleet"

// TopFindings is how many findings each image lists.
const TopFindings = 3

// eolRules are the rules whose findings name an end-of-life OS or Python
// (docs/rules.md): SP401 os-eol, SP402 python-eol. Rule IDs never change
// meaning.
var eolRules = map[string]bool{"SP401": true, "SP402": true}

// Report is the fleet report: what `slimpy scan --format json` prints and
// `slimpy scan merge` reads and writes.
type Report struct {
	SchemaVersion int    `json:"schemaVersion"`
	Kind          string `json:"kind"`
	// Shard is set in the report of one shard and absent from a whole run
	// and from a merge.
	Shard       *ShardInfo      `json:"shard,omitempty"`
	Totals      Totals          `json:"totals"`
	Images      []Image         `json:"images"`      // by reference
	Failed      []Failure       `json:"failed"`      // by reference
	Bases       []Base          `json:"bases"`       // most bytes across their images first
	Recoverable []CategoryBytes `json:"recoverable"` // most bytes first
	EndOfLife   []EndOfLife     `json:"endOfLife"`   // most severe, then most images first
}

// ShardInfo says which part of which list a shard's report covers.
type ShardInfo struct {
	Index int `json:"index"` // 0-based, as JOB_COMPLETION_INDEX
	Count int `json:"count"`
	// List is the sha256 of the whole list the shard was cut from (sorted,
	// duplicates dropped, one reference a line): the shards of one run
	// share it, and Merge refuses shards cut from different lists.
	List string `json:"list"`
	// References is the length of that whole list.
	References int `json:"references"`
}

// Totals add up the fleet. Sums over images count a shared layer once per
// image that carries it (what the images' pulls unpack); the layers* sums
// count each distinct layer once (what a registry stores).
type Totals struct {
	Images           int   `json:"images"` // analysed
	Failed           int   `json:"failed"`
	Size             int64 `json:"size"`             // Σ images[].size
	StoredSize       int64 `json:"storedSize"`       // Σ images[].storedSize
	CompressedSize   int64 `json:"compressedSize"`   // Σ images[].compressedSize
	WastedBytes      int64 `json:"wastedBytes"`      // Σ images[].wastedBytes
	RecoverableBytes int64 `json:"recoverableBytes"` // Σ images[].recoverableBytes
	Layers           int   `json:"layers"`           // distinct diffIDs
	LayersStored     int64 `json:"layersStoredSize"` // Σ size of the distinct layers
	LayersCompressed int64 `json:"layersCompressedSize"`
}

// Image is one analysed image: the figures of its inspect report the
// fleet report shows, and what Merge needs to build the fleet again.
type Image struct {
	Reference    string   `json:"reference"`
	Digest       string   `json:"digest,omitempty"`
	ConfigDigest string   `json:"configDigest"`
	Platform     string   `json:"platform"`
	OS           string   `json:"os,omitempty"` // PRETTY_NAME of os-release
	Python       []string `json:"python"`       // interpreter versions, sorted
	// The inspect report's totals (docs/accounting.md).
	Size           int64 `json:"size"`
	StoredSize     int64 `json:"storedSize"`
	CompressedSize int64 `json:"compressedSize"`
	WastedBytes    int64 `json:"wastedBytes"`
	// RecoverableBytes and Score are the rules' summary; 0 and null when
	// the rules did not run.
	RecoverableBytes int64            `json:"recoverableBytes"`
	Score            *int             `json:"score"`
	Categories       map[string]int64 `json:"categories"`
	// Base is the chainID of the longest layer prefix the image shares
	// with another image of the fleet; "" when it shares none.
	Base        string    `json:"base,omitempty"`
	TopFindings []Finding `json:"topFindings"` // the first TopFindings, most bytes first
	EndOfLife   []Finding `json:"endOfLife"`   // SP401 and SP402 findings
	Layers      []Layer   `json:"layers"`
}

// Finding is a finding of an image, as the fleet shows it.
type Finding struct {
	Rule     string         `json:"rule"`
	Category string         `json:"category"`
	Severity rules.Severity `json:"severity"`
	Title    string         `json:"title"`
	Bytes    int64          `json:"bytes"`
	Layer    int            `json:"layer"` // -1: the image as a whole
}

// Layer is one layer of an image.
type Layer struct {
	DiffID         string `json:"diffID"`
	Size           int64  `json:"size"`
	CompressedSize int64  `json:"compressedSize"`
	CreatedBy      string `json:"createdBy"`
}

// Failure is an image that could not be analysed.
type Failure struct {
	Reference string `json:"reference"`
	// Error is the error as the analysis returned it; the text and
	// markdown reports fold it onto one line.
	Error string `json:"error"`
}

// CategoryBytes is what the fleet could recover in one category: the sum
// of each image's bytes in it (inspect's categories, each file once per
// image).
type CategoryBytes struct {
	Category string `json:"category"`
	Bytes    int64  `json:"bytes"`
	Images   int    `json:"images"` // images with bytes in it
}

// EndOfLife is one end-of-life OS or Python release and the images that
// carry it, grouped by rule, title and the layer that installed it.
type EndOfLife struct {
	Rule      string         `json:"rule"`
	Severity  rules.Severity `json:"severity"`
	Title     string         `json:"title"`
	DiffID    string         `json:"diffID,omitempty"` // the layer the finding names
	CreatedBy string         `json:"createdBy,omitempty"`
	// Base is the chainID of the most widely shared base that holds the
	// layer, when all the images agree on one; a new base fixes them all.
	Base       string   `json:"base,omitempty"`
	Images     int      `json:"images"`
	References []string `json:"references"`
}

// ImageOf is the fleet's view of one image's inspect report.
func ImageOf(ref string, r *inspect.Report) Image {
	im := Image{
		Reference:      ref,
		Digest:         r.Image.Digest,
		ConfigDigest:   r.Image.ConfigID,
		Platform:       r.Image.Platform,
		OS:             r.Image.OS,
		Python:         []string{},
		Size:           r.Totals.Size,
		StoredSize:     r.Totals.StoredSize,
		CompressedSize: r.Totals.CompressedSize,
		WastedBytes:    r.Totals.WastedBytes,
		TopFindings:    []Finding{},
		EndOfLife:      []Finding{},
		Layers:         make([]Layer, len(r.Layers)),
	}
	if r.Summary != nil {
		score := r.Summary.Score
		im.Score, im.RecoverableBytes = &score, r.Summary.RecoverableBytes
	}
	if r.Categories != nil {
		im.Categories = make(map[string]int64, len(r.Categories))
		for c, n := range r.Categories {
			im.Categories[c] = n
		}
	}
	for _, it := range r.Packages.Interpreters {
		if it.Version != "" && !slices.Contains(im.Python, it.Version) {
			im.Python = append(im.Python, it.Version)
		}
	}
	slices.Sort(im.Python)
	for i, f := range r.Findings {
		ff := Finding{Rule: f.Rule, Category: f.Category, Severity: f.Severity, Title: f.Title, Bytes: f.Bytes, Layer: f.Layer}
		if i < TopFindings {
			im.TopFindings = append(im.TopFindings, ff)
		}
		if eolRules[f.Rule] {
			im.EndOfLife = append(im.EndOfLife, ff)
		}
	}
	for i, l := range r.Layers {
		im.Layers[i] = Layer{DiffID: l.DiffID, Size: l.Size, CompressedSize: l.CompressedSize, CreatedBy: l.CreatedBy}
	}
	return im
}

// Build makes the fleet report of these images and failures. It depends
// on nothing but the set it is given (not its order, not how it was
// split), which is what lets Merge give the report of an unsharded run.
func Build(images []Image, failed []Failure) Report {
	r := Report{
		SchemaVersion: SchemaVersion,
		Kind:          ReportKind,
		Images:        slices.Clone(images),
		Failed:        slices.Clone(failed),
		Bases:         []Base{},
		Recoverable:   []CategoryBytes{},
		EndOfLife:     []EndOfLife{},
	}
	if r.Images == nil {
		r.Images = []Image{}
	}
	if r.Failed == nil {
		r.Failed = []Failure{}
	}
	slices.SortStableFunc(r.Images, func(a, b Image) int { return strings.Compare(a.Reference, b.Reference) })
	slices.SortStableFunc(r.Failed, func(a, b Failure) int { return strings.Compare(a.Reference, b.Reference) })
	for i := range r.Images {
		normalize(&r.Images[i])
	}
	t := newTrie(r.Images)
	r.Bases = t.bases()
	for i := range r.Images {
		r.Images[i].Base = t.imageBase(i)
	}
	r.Totals = totals(r.Images, len(r.Failed))
	r.Recoverable = recoverable(r.Images)
	r.EndOfLife = endOfLife(r.Images, t)
	return r
}

// normalize gives an image the empty lists a decoded or hand-made one may
// lack, so that the JSON says [] rather than null whatever its origin.
func normalize(im *Image) {
	if im.Python == nil {
		im.Python = []string{}
	}
	if im.TopFindings == nil {
		im.TopFindings = []Finding{}
	}
	if im.EndOfLife == nil {
		im.EndOfLife = []Finding{}
	}
	if im.Layers == nil {
		im.Layers = []Layer{}
	}
}

func totals(images []Image, failed int) Totals {
	t := Totals{Images: len(images), Failed: failed}
	seen := map[string]bool{}
	for _, im := range images {
		t.Size += im.Size
		t.StoredSize += im.StoredSize
		t.CompressedSize += im.CompressedSize
		t.WastedBytes += im.WastedBytes
		t.RecoverableBytes += im.RecoverableBytes
		for _, l := range im.Layers {
			if !seen[l.DiffID] {
				seen[l.DiffID] = true
				t.Layers++
				t.LayersStored += l.Size
				t.LayersCompressed += l.CompressedSize
			}
		}
	}
	return t
}

func recoverable(images []Image) []CategoryBytes {
	by := map[string]*CategoryBytes{}
	for _, im := range images {
		for c, n := range im.Categories {
			if n <= 0 {
				continue
			}
			cb := by[c]
			if cb == nil {
				cb = &CategoryBytes{Category: c}
				by[c] = cb
			}
			cb.Bytes += n
			cb.Images++
		}
	}
	out := []CategoryBytes{}
	for _, cb := range by {
		out = append(out, *cb)
	}
	slices.SortFunc(out, func(a, b CategoryBytes) int {
		return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), strings.Compare(a.Category, b.Category))
	})
	return out
}

func endOfLife(images []Image, t *trie) []EndOfLife {
	type group struct {
		e     EndOfLife
		bases map[string]bool
	}
	var groups []*group
	byKey := map[string]*group{}
	for i, im := range images {
		for _, f := range im.EndOfLife {
			var diffID, createdBy string
			if f.Layer >= 0 && f.Layer < len(im.Layers) {
				diffID, createdBy = im.Layers[f.Layer].DiffID, im.Layers[f.Layer].CreatedBy
			}
			key := f.Rule + "\x00" + f.Title + "\x00" + diffID
			g := byKey[key]
			if g == nil {
				g = &group{e: EndOfLife{Rule: f.Rule, Severity: f.Severity, Title: f.Title, DiffID: diffID, CreatedBy: createdBy, References: []string{}}, bases: map[string]bool{}}
				byKey[key] = g
				groups = append(groups, g)
			}
			if f.Severity.Rank() > g.e.Severity.Rank() {
				g.e.Severity = f.Severity
			}
			if !slices.Contains(g.e.References, im.Reference) {
				g.e.References = append(g.e.References, im.Reference)
			}
			g.bases[t.widestBaseHolding(i, f.Layer)] = true
		}
	}
	out := []EndOfLife{}
	for _, g := range groups {
		g.e.Images = len(g.e.References)
		if len(g.bases) == 1 {
			for b := range g.bases {
				g.e.Base = b
			}
		}
		out = append(out, g.e)
	}
	slices.SortFunc(out, func(a, b EndOfLife) int {
		return cmp.Or(cmp.Compare(b.Severity.Rank(), a.Severity.Rank()), cmp.Compare(b.Images, a.Images),
			strings.Compare(a.Rule, b.Rule), strings.Compare(a.Title, b.Title), strings.Compare(a.DiffID, b.DiffID))
	})
	return out
}
