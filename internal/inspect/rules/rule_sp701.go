package rules

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
