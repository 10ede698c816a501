package rules

import (
	"fmt"
	"strings"
)

var rootUserRule = &Rule{
	ID:       "SP601",
	Name:     "root-user",
	Category: "security",
	Severity: SeverityMedium,
	Doc:      "the container runs as root: the config's User is empty, root or 0 (hadolint DL3002)",
	Fix:      "add a user and switch to it last: RUN useradd --system --uid 10001 app, then USER app (or USER 10001)",
	Check: func(p *Pass) []Finding {
		u := strings.TrimSpace(p.Config.Config.User)
		name, _, _ := strings.Cut(u, ":")
		if u != "" && name != "root" && name != "0" {
			return nil
		}
		what := "no USER is set"
		if u != "" {
			what = "USER is " + u
		}
		return []Finding{{Layer: -1, Title: fmt.Sprintf("the container runs as root (%s)", what)}}
	},
}
