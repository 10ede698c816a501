package rules

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/slimpy/slimpy/internal/refresh"
)

// SP407, SP408, SP409.
//
// The refreshed rules read what the image's own package sources say today
// (Config.Refresh: slimpy inspect --refresh, internal/refresh); without a
// refresh they find nothing. Each finding names the indexes asked and when
// they were fetched, and says when a signature could not be checked.

// refreshedPython is one finding per layer that wrote the distributions
// keep accepts.
func refreshedPython(p *Pass, keep func(refresh.Package) bool, title func(n int) string) []Finding {
	res := p.Settings.Refresh
	if res == nil {
		return nil
	}
	layerOf := map[string]int{}
	for _, d := range p.Inventory.Python {
		layerOf[normalizeDistName(d.Name)+"\x00"+d.Version] = d.Layer
	}
	by := map[int][]refresh.Package{}
	for _, pk := range res.Python {
		if !keep(pk) {
			continue
		}
		l, ok := layerOf[normalizeDistName(pk.Name)+"\x00"+pk.Installed]
		if !ok {
			l = -1
		}
		by[l] = append(by[l], pk)
	}
	var out []Finding
	for layer, pkgs := range by {
		f := Finding{Layer: layer}
		var names []string
		for _, pk := range pkgs {
			names = append(names, pk.Name)
			f.Packages = append(f.Packages, refreshedPackage(pk))
		}
		f.Title = fmt.Sprintf("%s (%s)%s", title(len(pkgs)), strings.Join(firstN(names, 5), ", "), sourcesSaid(pkgs))
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Layer < out[j].Layer })
	return out
}

// refreshedPackage is a refreshed package as a finding lists it.
func refreshedPackage(pk refresh.Package) FindingPackage {
	fp := FindingPackage{Name: pk.Name, Version: pk.Installed, Manager: pk.Manager, Available: pk.Candidate,
		Suite: pk.Suite, Security: pk.Security, Vulnerabilities: pk.Vulnerabilities}
	if pk.Manager == "python" {
		fp.Manager = "pip"
	}
	var ids []string
	for _, v := range pk.Vulnerabilities {
		ids = append(ids, v.ID)
	}
	fp.Note = strings.Join(ids, ", ")
	return fp
}

// sourcesSaid names where and when the answers were fetched, and whether
// their signatures were checked: " — from HOST (fetched DATE; not
// verified: WHY)".
func sourcesSaid(pkgs []refresh.Package) string {
	hosts := map[string]bool{}
	var latest time.Time
	unverified := ""
	for _, pk := range pkgs {
		if len(pk.Sources) == 0 {
			continue
		}
		s := pk.Sources[0]
		if u, err := url.Parse(s.URL); err == nil && u.Host != "" {
			hosts[u.Host] = true
		}
		if s.Fetched.After(latest) {
			latest = s.Fetched
		}
		if !s.Verified && unverified == "" {
			unverified = s.NotVerified
			if unverified == "" {
				unverified = "no signature checked"
			}
		}
	}
	if len(hosts) == 0 {
		return ""
	}
	var hs []string
	for h := range hosts {
		hs = append(hs, h)
	}
	sort.Strings(hs)
	s := " — from " + strings.Join(hs, ", ")
	if !latest.IsZero() {
		s += " (fetched " + latest.UTC().Format("2006-01-02")
		if unverified != "" {
			s += "; not verified: " + unverified
		}
		s += ")"
	}
	return s
}
