package inspect

import "github.com/slimpy/slimpy/internal/inspect/rules"

// RunRules runs every rule the config enables over the analysis
// (rules.Run) and returns the findings, most bytes first.
func RunRules(a *Analysis, cfg Config) []rules.Finding {
	if a == nil || a.FS == nil {
		return nil
	}
	layers := make([]rules.Layer, len(a.Layers))
	for i, l := range a.Layers {
		layers[i] = rules.Layer{Data: l.Data, CreatedBy: l.CreatedBy}
	}
	return rules.Run(&rules.Pass{FS: a.FS, Inventory: &a.Inventory, Layers: layers, Config: a.Config, Settings: cfg.Config})
}

// storedBytes is the bytes the layers store: what a pull unpacks.
func (a *Analysis) storedBytes() int64 {
	var n int64
	for _, l := range a.Layers {
		if l.Data != nil {
			n += l.Data.StoredBytes
		}
	}
	return n
}

// ReportWithFindings is Report plus the rules' findings, per-category
// totals and the summary.
func (a *Analysis) ReportWithFindings(cfg Config) Report {
	return a.ReportWith(RunRules(a, cfg), cfg)
}

// ReportWith is the report with findings the rules made already
// (RunRules with cfg).
func (a *Analysis) ReportWith(fs []rules.Finding, cfg Config) Report {
	r := a.Report()
	sum, cats := rules.Summarize(a.storedBytes(), fs, cfg.Config)
	if fs == nil {
		fs = []rules.Finding{}
	}
	r.Findings, r.Categories, r.Summary = fs, cats, &sum
	return r
}
