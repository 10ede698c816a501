package rules

import "github.com/slimpy/slimpy/internal/inspect/fsview"

var localesRule = &Rule{
	ID:       "SP702",
	Name:     "locales",
	Category: "docs",
	Severity: SeverityInfo,
	Doc:      "message translations in /usr/share/locale and /usr/local/share/locale (locale.alias, which glibc reads, excepted)",
	Fix:      "path-exclude=/usr/share/locale/* with path-include=/usr/share/locale/locale.alias (and the languages you need) in /etc/dpkg/dpkg.cfg.d/ before apt-get install",
	Check: func(p *Pass) []Finding {
		keep := func(n *fsview.Node) bool { return n.Name() == "locale.alias" }
		return docTrees(p, []string{"/usr/share/locale", "/usr/local/share/locale"}, keep, "translations")
	},
}
