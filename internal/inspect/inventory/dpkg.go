package inventory

import (
	"path"
	"strconv"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/layer"
)

const (
	DpkgStatus  = "/var/lib/dpkg/status"   // dpkg's database of installed packages
	dpkgStatusD = "/var/lib/dpkg/status.d" // distroless: one stanza file per package
	dpkgInfo    = "/var/lib/dpkg/info"
)

// Stanza is one paragraph of a Debian control-style file: field names
// lower-cased, continuation lines joined with "\n".
type Stanza map[string]string

// ParseStanzas splits RFC 822-like text (dpkg status, status.d files) into
// paragraphs separated by blank lines.
func ParseStanzas(text string) []Stanza {
	var out []Stanza
	var cur Stanza
	last := ""
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			if cur != nil {
				out = append(out, cur)
			}
			cur, last = nil, ""
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if cur != nil && last != "" {
				cur[last] += "\n" + strings.TrimSpace(line)
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		if cur == nil {
			cur = Stanza{}
		}
		last = strings.ToLower(strings.TrimSpace(k))
		cur[last] = strings.TrimSpace(v)
	}
	if cur != nil {
		out = append(out, cur)
	}
	return out
}

// dpkgRecord is one package of a dpkg database.
type dpkgRecord struct {
	name, version, arch, source string
	size                        int64
	md5sums                     string // distroless: the status.d/NAME.md5sums path that lists its files
}

func (r dpkgRecord) key() string { return pkgKey(r.name, r.arch, r.version) }

// DpkgInstalled reports whether a stanza's Status says the package is
// installed ("install ok installed", "hold ok installed"); "not-installed",
// "config-files", "half-installed" and the like are not. Distroless
// status.d stanzas may have no Status at all: they are installed.
func DpkgInstalled(s Stanza) bool {
	st, ok := s["status"]
	if !ok {
		return true
	}
	f := strings.Fields(st)
	return len(f) > 0 && f[len(f)-1] == "installed"
}

// dpkgRecords returns the installed packages of a status text.
func dpkgRecords(text string) []dpkgRecord {
	var out []dpkgRecord
	for _, s := range ParseStanzas(text) {
		name := s["package"]
		if name == "" || !DpkgInstalled(s) {
			continue
		}
		r := dpkgRecord{name: name, version: s["version"], arch: s["architecture"]}
		if src := s["source"]; src != "" {
			// "Source: glibc (2.36-9+deb12u4)": the version in brackets is
			// the source's when it differs from the binary's.
			if i := strings.IndexByte(src, '('); i >= 0 {
				src = strings.TrimSpace(src[:i])
			}
			if src != name {
				r.source = src
			}
		}
		if kib, err := strconv.ParseInt(s["installed-size"], 10, 64); err == nil && kib > 0 {
			r.size = kib * 1024
		}
		out = append(out, r)
	}
	return out
}

func dpkgKeys(_ string, content []byte) []string {
	recs := dpkgRecords(string(content))
	keys := make([]string, len(recs))
	for i, r := range recs {
		keys[i] = r.key()
	}
	return keys
}

// dpkg lists the packages of /var/lib/dpkg/status and of the distroless
// /var/lib/dpkg/status.d/ files.
func (b *invBuilder) dpkg() []OSPackage {
	var recs []dpkgRecord
	statusReal := ""
	dbLayer := -1
	if c, real, ok := b.content(DpkgStatus); ok {
		statusReal = real
		recs = dpkgRecords(string(c))
		_, n := b.r.stat(DpkgStatus)
		dbLayer = n.Layer
	}
	statusDReal := ""
	statusDLayer := map[string]int{} // key → layer of its status.d file, the fallback
	if dn := b.r.dir(dpkgStatusD); dn != nil {
		statusDReal = dn.Path
		for _, c := range dn.Children() {
			if c.Kind != layer.KindFile || strings.HasSuffix(c.Name(), ".md5sums") {
				continue
			}
			content, ok := b.fs.Content(c.Path)
			if !ok {
				continue
			}
			for _, r := range dpkgRecords(string(content)) {
				r.md5sums = c.Path + ".md5sums"
				if _, n := b.r.lstat(r.md5sums); n == nil {
					r.md5sums = path.Join(dn.Path, r.name+".md5sums")
				}
				recs = append(recs, r)
				statusDLayer[r.key()] = c.Layer
			}
		}
	}
	if len(recs) == 0 {
		return nil
	}

	isDB := func(p string) bool {
		if p == DpkgStatus || (statusReal != "" && p == statusReal) {
			return true
		}
		d, base := path.Split(p)
		d = path.Clean(d)
		return (d == dpkgStatusD || (statusDReal != "" && d == statusDReal)) && !strings.HasSuffix(base, ".md5sums")
	}
	first := dbHistory(b.layers, isDB, dpkgKeys)

	infoDir := b.r.dir(dpkgInfo)
	seen := map[string]bool{} // name+arch: status wins over status.d
	var out []OSPackage
	for _, r := range recs {
		id := r.name + "\x00" + r.arch
		if seen[id] {
			continue
		}
		seen[id] = true
		p := OSPackage{
			Manager: "dpkg", Name: r.name, Version: r.version, Arch: r.arch,
			Source: r.source, InstalledSize: r.size, Layer: dbLayer,
		}
		if l, ok := statusDLayer[r.key()]; ok {
			p.Layer = l
		}
		if l, ok := first[r.key()]; ok {
			p.Layer = l
		}
		p.Files, p.Bytes = b.visibleFiles(b.dpkgFileList(infoDir, r))
		out = append(out, p)
	}
	return out
}

// dpkgFileList returns the paths dpkg says a package installed: its
// info/NAME:ARCH.list or info/NAME.list, else (distroless) the paths of its
// status.d/NAME.md5sums.
func (b *invBuilder) dpkgFileList(infoDir *fsview.Node, r dpkgRecord) []string {
	if infoDir != nil {
		for _, name := range []string{r.name + ":" + r.arch + ".list", r.name + ".list"} {
			if c, ok := b.fs.Content(path.Join(infoDir.Path, name)); ok {
				var out []string
				for _, line := range strings.Split(string(c), "\n") {
					line = strings.TrimSuffix(line, "\r")
					if line == "" || line == "/." {
						continue
					}
					out = append(out, line)
				}
				return out
			}
		}
	}
	if r.md5sums != "" {
		if c, ok := b.fs.Content(r.md5sums); ok {
			return md5sumsPaths(string(c))
		}
	}
	return nil
}

// md5sumsPaths reads "HASH  relative/path" lines.
func md5sumsPaths(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		_, p, ok := strings.Cut(line, "  ")
		if !ok || p == "" {
			continue
		}
		out = append(out, "/"+strings.TrimPrefix(p, "/"))
	}
	return out
}
