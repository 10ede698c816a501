package rules_test

import (
	"time"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
	"github.com/slimpy/slimpy/internal/refresh"
)

// refreshCase is the image the refreshed rules' tests share: Debian's
// base packages (dash 0.5.12-2 among them) in layer 0, requests 2.25.1
// installed by pip in layer 1; with answers when refreshed is set.
func refreshCase(res *refresh.Result) ruleCase {
	c := ruleCase{layers: []ruleLayer{
		{createdBy: "/bin/sh -c #(nop) ADD file:0123 in / ", entries: append([]tartest.Entry{
			tartest.File("usr/lib/os-release", debian12),
			exe(sized("usr/bin/dash", 9000)),
		}, dpkgDB(basePkgs...)...)},
		{createdBy: "RUN pip install requests==2.25.1", entries: concat(
			[]tartest.Entry{sized(testSite+"/requests/__init__.py", 500)},
			distInfo(testSite, "requests", "2.25.1", "requests/__init__.py"),
		)},
	}}
	if res != nil {
		c.settings = func(cfg *inspect.Config) { cfg.Refresh = res }
	}
	return c
}

var refreshFetched = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)

// refreshSources is one fetched document, verified or not.
func refreshSources(url string, verified bool) []refresh.Source {
	s := refresh.Source{URL: url, Fetched: refreshFetched, Verified: verified}
	if !verified {
		s.NotVerified = "the index signs nothing"
	}
	return []refresh.Source{s}
}

// refreshAnswers: a security update of dash; requests with a known
// vulnerability and a newer release; urllib3, which the image does not
// hold, with a newer release.
var refreshAnswers = &refresh.Result{
	OS: []refresh.Package{{Name: "dash", Arch: "amd64", Manager: "dpkg", Installed: "0.5.12-2", Candidate: "0.5.12-2+deb12u1",
		Suite: "bookworm-security", Security: true,
		Sources: refreshSources("http://deb.example/debian-security/dists/bookworm-security/main/binary-amd64/Packages.xz", true)}},
	Python: []refresh.Package{
		{Name: "requests", Manager: "python", Installed: "2.25.1", Candidate: "2.32.3",
			Vulnerabilities: []refresh.Vulnerability{{ID: "PYSEC-2023-74", Aliases: []string{"CVE-2023-32681"}, FixedIn: []string{"2.31.0"}}},
			Sources:         refreshSources("https://index.example/pypi/requests/json", false)},
		{Name: "urllib3", Manager: "python", Installed: "1.26.0", Candidate: "2.2.0",
			Sources: refreshSources("https://index.example/pypi/urllib3/json", false)},
	},
}
