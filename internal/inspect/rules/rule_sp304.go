package rules

import (
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/words"
)

var osPackageCacheRule = &Rule{
	ID:       "SP304",
	Name:     "os-package-cache",
	Category: "caches",
	Severity: SeverityMedium,
	Doc:      "downloaded OS packages and package caches: /var/cache/apt (archives/*.deb, *.bin), /var/cache/apk, /etc/apk/cache",
	Fix:      "apt-get clean (or rm -rf /var/cache/apt/*) in the same RUN; apk add --no-cache (hadolint DL3019)",
	Check: func(p *Pass) []Finding {
		c := p.collector()
		for _, d := range []string{"/var/cache/apt", "/var/cache/apk", "/etc/apk/cache"} {
			if n := p.FS.Lookup(d); n != nil && n.Kind == layer.KindDir {
				c.addTree(n)
			}
		}
		return c.findings(func(a *acc) string {
			return "OS package cache: " + words.Count(a.files, "file", "files") + " in " + strings.Join(firstN(rootsOf(a), 2), ", ")
		})
	},
}
