package inspect

import "strings"

var documentationRule = &Rule{
	ID:       "SP701",
	Name:     "documentation",
	Category: "docs",
	Severity: SeverityInfo,
	Doc:      "documentation no container reads: /usr/share/doc, /usr/share/man, /usr/share/info and their /usr/local/share counterparts",
	Fix:      "exclude them at install time: a dpkg path-exclude file (/etc/dpkg/dpkg.cfg.d/excludes: path-exclude=/usr/share/doc/*, path-include=/usr/share/doc/*/copyright, path-exclude=/usr/share/man/*) before apt-get install",
	Check: func(p *Pass) []Finding {
		return docTrees(p, []string{"/usr/share/doc", "/usr/share/man", "/usr/share/info", "/usr/local/share/doc", "/usr/local/share/man", "/usr/local/share/info"}, nil, "documentation and man pages")
	},
}

var localesRule = &Rule{
	ID:       "SP702",
	Name:     "locales",
	Category: "docs",
	Severity: SeverityInfo,
	Doc:      "message translations in /usr/share/locale and /usr/local/share/locale (locale.alias, which glibc reads, excepted)",
	Fix:      "path-exclude=/usr/share/locale/* with path-include=/usr/share/locale/locale.alias (and the languages you need) in /etc/dpkg/dpkg.cfg.d/ before apt-get install",
	Check: func(p *Pass) []Finding {
		keep := func(n *Node) bool { return n.Name() == "locale.alias" }
		return docTrees(p, []string{"/usr/share/locale", "/usr/local/share/locale"}, keep, "translations")
	},
}

// docTrees flags the regular files below the given directories, but those
// keep spares, under one root per directory.
func docTrees(p *Pass, dirs []string, keep func(*Node) bool, what string) []Finding {
	c := p.collector()
	for _, d := range dirs {
		n := p.FS.Lookup(d)
		if n == nil || n.Kind != KindDir {
			continue
		}
		var walk func(x *Node)
		walk = func(x *Node) {
			for _, ch := range x.children {
				if p.Ignored(ch.Path) || (keep != nil && keep(ch)) {
					continue
				}
				if ch.Kind == KindDir {
					walk(ch)
				} else {
					c.addFile(ch, d)
				}
			}
		}
		walk(n)
	}
	return c.findings(func(a *acc) string {
		return what + ": " + plural(a.files, "file", "files") + " in " + strings.Join(rootsOf(a), ", ")
	})
}
