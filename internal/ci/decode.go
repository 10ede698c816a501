package ci

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/rules"
)

// maxBaselineItems bounds what a baseline may make ci keep: layers,
// findings, the packages findings name, categories. A real report has a
// few hundred; each costs ~200 bytes decoded, so the bound holds a
// baseline's memory to ~50 MB whatever its bytes say (64 MiB of "{}" as
// layers took 1.4 GB as an inspect.Report).
const maxBaselineItems = 250_000

// decodeReport streams a report from rd, keeping only what ci compares:
// the image reference, the totals, the layers, the findings (their rule,
// severity, category, title, bytes, layer, instruction, the packages'
// manager and name, and the least path, which is all findingKey reads),
// the categories and the byte totals of waste, duplicates and
// metadata-only copies. The lists only the full report needs (each hidden
// copy, duplicate group and package) are checked as JSON and skipped, not
// held: memory follows what is kept, and what is kept is bounded.
func decodeReport(rd io.Reader) (inspect.Report, error) {
	d := &decoder{dec: json.NewDecoder(rd), budget: maxBaselineItems}
	var r inspect.Report
	err := d.object(func(key string) error {
		switch key {
		case "schemaVersion":
			return d.dec.Decode(&r.SchemaVersion)
		case "image":
			r.Image = inspect.ImageInfo{}
			return d.fields(map[string]any{"reference": &r.Image.Reference})
		case "totals":
			return d.dec.Decode(&r.Totals)
		case "waste":
			return d.fields(map[string]any{"bytes": &r.Waste.Bytes})
		case "duplicates":
			return d.fields(map[string]any{"wastedBytes": &r.Duplicates.WastedBytes})
		case "metadataOnlyCopies":
			return d.fields(map[string]any{"bytes": &r.MetadataOnlyCopies.Bytes})
		case "categories":
			r.Categories = nil
			return d.object(func(cat string) error {
				if err := d.spend(); err != nil {
					return err
				}
				var v int64
				if err := d.dec.Decode(&v); err != nil {
					return err
				}
				if r.Categories == nil {
					r.Categories = map[string]int64{}
				}
				r.Categories[cat] = v
				return nil
			})
		case "layers":
			r.Layers = nil
			_, err := d.array(func() error {
				if err := d.spend(); err != nil {
					return err
				}
				var l inspect.LayerReport
				if err := d.dec.Decode(&l); err != nil {
					return err
				}
				r.Layers = append(r.Layers, l)
				return nil
			})
			return err
		case "findings":
			r.Findings = nil
			null, err := d.array(func() error {
				if err := d.spend(); err != nil {
					return err
				}
				f, err := d.finding()
				r.Findings = append(r.Findings, f)
				return err
			})
			if !null && r.Findings == nil {
				r.Findings = []rules.Finding{} // the rules ran and found nothing
			}
			return err
		}
		return d.skip()
	})
	if err != nil {
		return inspect.Report{}, err
	}
	if _, err := d.dec.Token(); err != io.EOF {
		return inspect.Report{}, errors.New("data after the report")
	}
	return r, nil
}

type decoder struct {
	dec    *json.Decoder
	budget int
}

// spend takes one item off the budget.
func (d *decoder) spend() error {
	if d.budget--; d.budget < 0 {
		return fmt.Errorf("more than %s layers, findings, packages and categories", humanize.Comma(maxBaselineItems))
	}
	return nil
}

// object calls field for each key of the object that comes next (null is
// an empty object); field must consume the value.
func (d *decoder) object(field func(key string) error) error {
	t, err := d.dec.Token()
	if err != nil {
		return eof(err)
	}
	if t == nil {
		return nil
	}
	if t != json.Delim('{') {
		return fmt.Errorf("json: cannot unmarshal %s into an object", kind(t))
	}
	for d.dec.More() {
		t, err := d.dec.Token()
		if err != nil {
			return eof(err)
		}
		if err := field(t.(string)); err != nil {
			return eof(err)
		}
	}
	_, err = d.dec.Token()
	return eof(err)
}

// array calls elem for each element of the array that comes next; null
// says it was null.
func (d *decoder) array(elem func() error) (null bool, err error) {
	t, err := d.dec.Token()
	if err != nil {
		return false, eof(err)
	}
	if t == nil {
		return true, nil
	}
	if t != json.Delim('[') {
		return false, fmt.Errorf("json: cannot unmarshal %s into an array", kind(t))
	}
	for d.dec.More() {
		if err := elem(); err != nil {
			return false, eof(err)
		}
	}
	_, err = d.dec.Token()
	return false, eof(err)
}

// fields decodes the keys of the object that comes next that keep names,
// each into its pointer, and skips the others.
func (d *decoder) fields(keep map[string]any) error {
	return d.object(func(k string) error { return d.keep(keep, k) })
}

// keep decodes the value of key k into keep[k], or skips it.
func (d *decoder) keep(keep map[string]any, k string) error {
	if v, ok := keep[k]; ok {
		return d.dec.Decode(v)
	}
	return d.skip()
}

// finding decodes a finding's fields that ci reads; of its paths only the
// least is kept.
func (d *decoder) finding() (rules.Finding, error) {
	var f rules.Finding
	keep := map[string]any{"rule": &f.Rule, "severity": &f.Severity, "category": &f.Category, "title": &f.Title,
		"createdBy": &f.CreatedBy, "bytes": &f.Bytes, "layer": &f.Layer}
	err := d.object(func(k string) error {
		switch k {
		case "packages":
			f.Packages = nil
			_, err := d.array(func() error {
				if err := d.spend(); err != nil {
					return err
				}
				var p rules.FindingPackage
				err := d.fields(map[string]any{"manager": &p.Manager, "name": &p.Name})
				f.Packages = append(f.Packages, p)
				return err
			})
			return err
		case "paths":
			f.Paths = nil
			var least *string
			_, err := d.array(func() error {
				var p string
				if err := d.dec.Decode(&p); err != nil {
					return err
				}
				if least == nil || p < *least {
					least = &p
				}
				return nil
			})
			if least != nil {
				f.Paths = []string{*least}
			}
			return err
		}
		return d.keep(keep, k)
	})
	return f, err
}

// skip consumes the value that comes next, checking it is JSON, without
// keeping it.
func (d *decoder) skip() error {
	depth := 0
	for {
		t, err := d.dec.Token()
		if err != nil {
			return eof(err)
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// eof says an early end of the input the way json.Unmarshal does.
func eof(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errors.New("unexpected end of JSON input")
	}
	return err
}

// kind names a JSON token for an error.
func kind(t json.Token) string {
	switch t := t.(type) {
	case json.Delim:
		return map[json.Delim]string{'[': "array", '{': "object"}[t]
	case string:
		return "string"
	case float64, json.Number:
		return "number"
	case bool:
		return "bool"
	}
	return "null"
}
