package rules

// What SP401 (OS end of life), SP402 (Python end of life) and SP406 (stale
// image) share.

import (
	"fmt"
	"time"

	"github.com/slimpy/slimpy/internal/inspect/inventory"
)

// daysBetween is whole days from a to b.
func daysBetween(a, b time.Time) int { return int(b.Sub(a).Hours() / 24) }

// eolFinding judges one release against now: past the end of extended
// support (or of support where there is no extended phase): high; past
// regular support but within LTS: medium; ending within the warning window:
// info; otherwise no finding.
func eolFinding(p *Pass, r inventory.Release, what string, layer int) (Finding, bool) {
	f := Finding{Layer: layer}
	date := func(t time.Time) string { return t.Format("2006-01-02") }
	switch {
	case !r.LTS.IsZero() && !p.Now.Before(r.LTS):
		f.Severity = SeverityHigh
		f.Title = fmt.Sprintf("%s is past end of life: security support ended %s, LTS ended %s", what, date(r.EOL), date(r.LTS))
	case r.LTS.IsZero() && !p.Now.Before(r.EOL):
		f.Severity = SeverityHigh
		f.Title = fmt.Sprintf("%s is past end of life (security support ended %s)", what, date(r.EOL))
	case !r.LTS.IsZero() && !p.Now.Before(r.EOL):
		f.Severity = SeverityMedium
		f.Title = fmt.Sprintf("%s is out of regular security support since %s; only Debian LTS updates a subset of packages until %s", what, date(r.EOL), date(r.LTS))
	case p.Settings.EOLWarningDays > 0 && r.EOL.Sub(p.Now) < time.Duration(p.Settings.EOLWarningDays)*24*time.Hour:
		f.Severity = SeverityInfo
		f.Title = fmt.Sprintf("%s reaches end of security support on %s (in %d days)", what, date(r.EOL), daysBetween(p.Now, r.EOL))
	default:
		return f, false
	}
	return f, true
}
