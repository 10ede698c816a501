package ci

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/safefile"
)

// maxFigure bounds every size and count a baseline may hold: far above any
// image, and low enough that the differences Evaluate takes cannot
// overflow.
const maxFigure = 1 << 62

// MaxBaselineBytes bounds a baseline file: far above the report of any
// real image (a 1.4 GB image's is 4 MB). Its memory is bounded apart, by
// what decodeReport keeps.
const MaxBaselineBytes = 64 << 20

// ReadBaseline reads a baseline report: the JSON of
// 'slimpy inspect --format json', a regular file of at most
// MaxBaselineBytes (/dev/zero grew by 600 MB/s; a pipe blocked forever),
// streamed.
func ReadBaseline(path string) (inspect.Report, error) {
	f, err := safefile.OpenRegular(path, MaxBaselineBytes)
	if err != nil {
		return inspect.Report{}, fmt.Errorf("baseline: %w", err)
	}
	defer f.Close()
	r, err := DecodeBaseline(f)
	if errors.Is(err, safefile.ErrTooLarge) {
		return r, fmt.Errorf("baseline: %w", errors.Unwrap(err))
	}
	if err != nil {
		return r, fmt.Errorf("baseline %s: %w", path, err)
	}
	return r, nil
}

// DecodeBaseline decodes a baseline report, keeping what ci compares
// (decodeReport: memory is bounded whatever the input holds). An unknown
// schema version is
// refused rather than compared wrongly, and so are figures no inspection
// produces (a negative size, an efficiency outside 0..1): a CI verdict
// computed from them would be nonsense.
func DecodeBaseline(rd io.Reader) (inspect.Report, error) {
	r, err := decodeReport(rd)
	if err != nil {
		return inspect.Report{}, fmt.Errorf("not a slimpy JSON report: %w", err)
	}
	switch r.SchemaVersion {
	case inspect.SchemaVersion:
	case 0:
		return inspect.Report{}, fmt.Errorf("not a slimpy JSON report: no schemaVersion (make one with 'slimpy inspect --format json')")
	default:
		return inspect.Report{}, fmt.Errorf("schemaVersion %d; this slimpy reads %d (regenerate it with 'slimpy inspect --format json')", r.SchemaVersion, inspect.SchemaVersion)
	}
	if err := validate(&r); err != nil {
		return inspect.Report{}, fmt.Errorf("not a valid slimpy report: %w", err)
	}
	return r, nil
}

// validate checks the figures Evaluate and the reports use.
func validate(r *inspect.Report) error {
	check := func(name string, v int64) error {
		if v < 0 || v > maxFigure {
			return fmt.Errorf("%s is %d", name, v)
		}
		return nil
	}
	t := r.Totals
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"totals.size", t.Size}, {"totals.storedSize", t.StoredSize}, {"totals.compressedSize", t.CompressedSize},
		{"totals.files", int64(t.Files)}, {"totals.wastedBytes", t.WastedBytes},
		{"duplicates.wastedBytes", r.Duplicates.WastedBytes}, {"metadataOnlyCopies.bytes", r.MetadataOnlyCopies.Bytes},
		{"waste.bytes", r.Waste.Bytes},
	} {
		if err := check(f.name, f.v); err != nil {
			return err
		}
	}
	if math.IsNaN(t.Efficiency) || t.Efficiency < 0 || t.Efficiency > 1 {
		return fmt.Errorf("totals.efficiency is %v, not a ratio from 0 to 1", t.Efficiency)
	}
	for i, l := range r.Layers {
		for _, f := range []struct {
			name string
			v    int64
		}{
			{"index", int64(l.Index)}, {"size", l.Size}, {"files", int64(l.Files)}, {"compressedSize", l.CompressedSize},
			{"wastedBytes", l.WastedBytes},
		} {
			if err := check(fmt.Sprintf("layers[%d].%s", i, f.name), f.v); err != nil {
				return err
			}
		}
	}
	for c, v := range r.Categories {
		if err := check(fmt.Sprintf("categories[%q]", c), v); err != nil {
			return err
		}
	}
	for i, f := range r.Findings {
		if err := check(fmt.Sprintf("findings[%d].bytes", i), f.Bytes); err != nil {
			return err
		}
	}
	return nil
}
