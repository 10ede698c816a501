package layer

import (
	"fmt"
	"sync/atomic"

	"github.com/dustin/go-humanize"
)

// What one analysis may hold in memory beyond its cost per tar entry,
// whatever the image declares (docs/performance.md). A capped input is an
// error that names the limit: the analysis would otherwise be incomplete
// without saying so.
const (
	// maxLayerCaptured bounds the bytes of the files the walker keeps for
	// the inventories (package databases, Python metadata, os-release, apt
	// lists as kept) in one layer, and maxImageCaptured in the whole image.
	// A Debian image with build-essential and Python packages keeps ~7 MB;
	// 48 bomb PKG-INFO files of 32 MiB each would keep 1.5 GiB. An image
	// just within both limits peaks at ~200 MB (docs/performance.md).
	maxLayerCaptured = 48 << 20
	maxImageCaptured = 96 << 20
	// Paths and link targets longer than longNameFree bytes pay their
	// excess against maxImageLongNames: names cost memory in proportion to
	// the entries, as everything else per entry does, and 8,000 names of
	// 60 KB (480 MB) are refused. Real paths average ~70 bytes.
	longNameFree      = 256
	maxImageLongNames = 16 << 20
)

// maxImageEntries bounds the tar entries of one image, whiteouts
// included, over all its layers: each costs ~390 bytes in the layer data
// and the merged tree (docs/performance.md), so memory follows the
// entries, and headers compress ~70:1: a 70 MB archive of 10 million
// empty files took 4.5 GB. 2 million (~0.9 GB) is twice the files of the
// largest real images slimpy was run on. A variable for the tests.
var maxImageEntries int64 = 2_000_000

// limitError says which limit an input went past.
type limitError struct {
	what  string // "the files kept for the inventories"
	limit int64
	scope string // "one layer", "one image"
	at    string // the path where it went past, if any
}

func (e *limitError) Error() string {
	limit := humanize.IBytes(uint64(e.limit))
	if e.what == entriesWhat {
		limit = humanize.Comma(e.limit)
	}
	s := fmt.Sprintf("%s exceed the %s limit of %s", e.what, limit, e.scope)
	if e.at != "" {
		s += fmt.Sprintf(" (at %q)", e.at)
	}
	return s
}

const (
	capturedWhat  = "the files kept for the package inventories (package databases, Python metadata, apt lists)"
	longNamesWhat = "the bytes of paths and link targets beyond their first 256"
	entriesWhat   = "the tar entries of the layers"
)

// ImageBudget counts what the layers of one image keep, across the layers
// that stream at once and those that come from the cache. Its zero value
// is ready.
type ImageBudget struct {
	captured  atomic.Int64
	longNames atomic.Int64
	entries   atomic.Int64
}

// Layer starts the budget of one of the image's layers, for Walk.
func (b *ImageBudget) Layer() *Budget { return &Budget{image: b} }

// Budget is one layer's share of an image's budget.
type Budget struct {
	image     *ImageBudget
	captured  int64
	longNames int64
	entries   int64
}

// Release gives back what a walk that failed took (a registry layer is
// read again after a dropped connection).
func (b *Budget) Release() {
	b.image.captured.Add(-b.captured)
	b.image.longNames.Add(-b.longNames)
	b.image.entries.Add(-b.entries)
	b.captured, b.longNames, b.entries = 0, 0, 0
}

// entry takes n tar entries, the last at p.
func (b *Budget) entry(n int64, p string) error {
	b.entries += n
	if b.image.entries.Add(n) > maxImageEntries {
		return &limitError{what: entriesWhat, limit: maxImageEntries, scope: "one image", at: truncateName(p)}
	}
	return nil
}

// capture takes n bytes kept of the file at p.
func (b *Budget) capture(n int64, p string) error {
	b.captured += n
	if b.captured > maxLayerCaptured {
		return &limitError{what: capturedWhat, limit: maxLayerCaptured, scope: "one layer", at: p}
	}
	if b.image.captured.Add(n) > maxImageCaptured {
		return &limitError{what: capturedWhat, limit: maxImageCaptured, scope: "one image", at: p}
	}
	return nil
}

// name takes the excess of a path or link target at p.
func (b *Budget) name(s, p string) error {
	if len(s) <= longNameFree {
		return nil
	}
	n := int64(len(s) - longNameFree)
	b.longNames += n
	if b.image.longNames.Add(n) > maxImageLongNames {
		return &limitError{what: longNamesWhat, limit: maxImageLongNames, scope: "one image", at: truncateName(p)}
	}
	return nil
}

// truncateName keeps an error about a long name short.
func truncateName(p string) string {
	if len(p) > 80 {
		return p[:80] + "…"
	}
	return p
}

// AddLayer takes what a layer from the cache holds.
func (b *ImageBudget) AddLayer(ld *Data) error {
	lb := b.Layer()
	if err := lb.entry(int64(len(ld.Entries)+len(ld.Whiteouts)+len(ld.Opaques)), ""); err != nil {
		return err
	}
	for p, c := range ld.Contents {
		if err := lb.capture(int64(len(c)), p); err != nil {
			return err
		}
	}
	for _, e := range ld.Entries {
		if err := lb.name(e.Path, e.Path); err != nil {
			return err
		}
		if err := lb.name(e.Link, e.Path); err != nil {
			return err
		}
	}
	for _, list := range [][]string{ld.Whiteouts, ld.Opaques} {
		for _, p := range list {
			if err := lb.name(p, p); err != nil {
				return err
			}
		}
	}
	return nil
}
