package rules

import "fmt"

var staleImageRule = &Rule{
	ID:       "SP406",
	Name:     "stale-image",
	Category: "stale-packages",
	Severity: SeverityLow,
	Doc:      "the image was created more than stale-image-days (default 90) before --now: it misses the security updates published since",
	Fix:      "rebuild regularly (docker build --pull --no-cache) so the base image and the packages take their updates",
	Check: func(p *Pass) []Finding {
		created := p.Config.Created.Time
		if created.IsZero() || created.Year() < 1990 {
			return nil // reproducible builds set 1970: no date to judge
		}
		days := daysBetween(created, p.Now)
		if days <= p.Settings.StaleImageDays {
			return nil
		}
		return []Finding{{
			Layer: -1,
			Title: fmt.Sprintf("the image was created %s, %d days ago (more than %d)", created.UTC().Format("2006-01-02"), days, p.Settings.StaleImageDays),
		}}
	},
}
