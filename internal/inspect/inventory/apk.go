package inventory

import (
	"path"
	"strconv"
	"strings"
)

// apkDBPaths are where apk keeps its installed database: /lib/apk/db on
// Alpine, /usr/lib/apk/db with apk-tools 3 and usr-merged layouts.
var apkDBPaths = []string{"/lib/apk/db/installed", "/usr/lib/apk/db/installed"}

// apkRecord is one package of an apk installed database.
type apkRecord struct {
	name, version, arch, origin string
	size                        int64
	files                       []string // absolute
}

func (r apkRecord) key() string { return pkgKey(r.name, r.arch, r.version) }

// apkRecords parses an apk installed database: paragraphs of "X:value"
// lines, P name, V version, A arch, I installed bytes, o origin, F a
// directory (relative to the root), R a file in the last F directory.
func apkRecords(text string, withFiles bool) []apkRecord {
	var out []apkRecord
	var cur *apkRecord
	dir := ""
	flush := func() {
		if cur != nil && cur.name != "" {
			out = append(out, *cur)
		}
		cur, dir = nil, ""
	}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			flush()
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			continue
		}
		if cur == nil {
			cur = &apkRecord{}
		}
		v := line[2:]
		switch line[0] {
		case 'P':
			cur.name = v
		case 'V':
			cur.version = v
		case 'A':
			cur.arch = v
		case 'o':
			cur.origin = v
		case 'I':
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				cur.size = n
			}
		case 'F':
			dir = v
		case 'R':
			if withFiles {
				cur.files = append(cur.files, path.Join("/", dir, v))
			}
		}
	}
	flush()
	return out
}

func apkKeys(_ string, content []byte) []string {
	recs := apkRecords(string(content), false)
	keys := make([]string, len(recs))
	for i, r := range recs {
		keys[i] = r.key()
	}
	return keys
}

// apk lists the packages of the apk installed database.
func (b *invBuilder) apk() []OSPackage {
	var content []byte
	real := ""
	for _, p := range apkDBPaths {
		if c, rp, ok := b.content(p); ok {
			content, real = c, rp
			break
		}
	}
	if real == "" {
		return nil
	}
	_, dbNode := b.r.stat(real)
	isDB := func(p string) bool {
		return p == real || p == apkDBPaths[0] || p == apkDBPaths[1]
	}
	first := dbHistory(b.layers, isDB, apkKeys)
	var out []OSPackage
	seen := map[string]bool{}
	for _, r := range apkRecords(string(content), true) {
		if seen[r.name] {
			continue
		}
		seen[r.name] = true
		p := OSPackage{
			Manager: "apk", Name: r.name, Version: r.version, Arch: r.arch,
			InstalledSize: r.size, Layer: dbNode.Layer,
		}
		if r.origin != "" && r.origin != r.name {
			p.Source = r.origin
		}
		if l, ok := first[r.key()]; ok {
			p.Layer = l
		}
		p.Files, p.Bytes = b.visibleFiles(r.files)
		out = append(out, p)
	}
	return out
}
