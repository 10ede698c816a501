package refresh

import (
	"errors"
	"net/url"
	"path"
	"sort"
	"strings"
)

// aptSource is one "deb" URI and suite of an image's apt sources.
type aptSource struct {
	file       string // where it is written
	uri        string // as written, for messages
	suite      string
	components []string
	arches     []string // the source's own arch restriction, if any
	signedBy   string   // file paths, fingerprints, or an armored key
	trusted    bool     // [trusted=yes] / Trusted: yes
}

// aptSourceFiles are the files apt reads its sources from, in its order.
func aptSourceFiles(files map[string][]byte) []string {
	var d []string
	for p := range files {
		if path.Dir(p) == "/etc/apt/sources.list.d" && (strings.HasSuffix(p, ".list") || strings.HasSuffix(p, ".sources")) {
			d = append(d, p)
		}
	}
	sort.Strings(d)
	if _, ok := files["/etc/apt/sources.list"]; ok {
		d = append([]string{"/etc/apt/sources.list"}, d...)
	}
	return d
}

// parseAptSources reads every "deb" entry of the image's sources: one-line
// entries of sources.list and *.list, deb822 stanzas of *.sources.
func parseAptSources(files map[string][]byte) []aptSource {
	var out []aptSource
	for _, p := range aptSourceFiles(files) {
		text := string(files[p])
		if strings.HasSuffix(p, ".sources") {
			out = append(out, parseDeb822Sources(p, text)...)
		} else {
			out = append(out, parseOneLineSources(p, text)...)
		}
	}
	return out
}

// parseOneLineSources reads "deb [ options ] uri suite [component...]".
func parseOneLineSources(file, text string) []aptSource {
	var out []aptSource
	for _, line := range strings.Split(text, "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "deb" {
			continue
		}
		f = f[1:]
		s := aptSource{file: file}
		if strings.HasPrefix(f[0], "[") {
			// Options run to the field that closes the bracket; "[a=b]"
			// and "[ a=b ]" are both written.
			var opts []string
			for len(f) > 0 {
				w := f[0]
				f = f[1:]
				end := strings.HasSuffix(w, "]")
				w = strings.TrimSuffix(strings.TrimPrefix(w, "["), "]")
				if w != "" {
					opts = append(opts, w)
				}
				if end {
					break
				}
			}
			for _, o := range opts {
				k, v, _ := strings.Cut(o, "=")
				switch k {
				case "arch":
					s.arches = strings.Split(v, ",")
				case "signed-by":
					s.signedBy = strings.ReplaceAll(v, ",", " ")
				case "trusted":
					s.trusted = v == "yes"
				}
			}
		}
		if len(f) < 2 {
			continue
		}
		s.uri, s.suite, s.components = f[0], f[1], f[2:]
		out = append(out, s)
	}
	return out
}

// parseDeb822Sources reads the stanzas of a .sources file: one source per
// URI and suite of each enabled stanza whose Types hold "deb".
func parseDeb822Sources(file, text string) []aptSource {
	var out []aptSource
	for _, st := range deb822Stanzas(text) {
		if !hasWord(st["types"], "deb") || strings.EqualFold(strings.TrimSpace(st["enabled"]), "no") {
			continue
		}
		for _, uri := range strings.Fields(st["uris"]) {
			for _, suite := range strings.Fields(st["suites"]) {
				out = append(out, aptSource{
					file:       file,
					uri:        uri,
					suite:      suite,
					components: strings.Fields(st["components"]),
					arches:     strings.Fields(st["architectures"]),
					signedBy:   strings.TrimSpace(st["signed-by"]),
					trusted:    strings.EqualFold(strings.TrimSpace(st["trusted"]), "yes"),
				})
			}
		}
	}
	return out
}

// deb822Stanzas splits deb822 text into stanzas of lower-cased field
// names. A continuation line (leading blank) goes on the field's value on
// a new line; " ." is an empty line there (an inline key in Signed-By).
func deb822Stanzas(text string) []map[string]string {
	var out []map[string]string
	cur := map[string]string{}
	key := ""
	flush := func() {
		if len(cur) > 0 {
			out = append(out, cur)
		}
		cur, key = map[string]string{}, ""
	}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case strings.HasPrefix(line, "#"):
		case line[0] == ' ' || line[0] == '\t':
			if key != "" {
				v := strings.TrimSpace(line)
				if v == "." {
					v = ""
				}
				cur[key] += "\n" + v
			}
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				key = ""
				continue
			}
			key = strings.ToLower(strings.TrimSpace(k))
			cur[key] = strings.TrimSpace(v)
		}
	}
	flush()
	return out
}

func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}

// cleanURL parses an http or https URL without its user info: credentials
// written into an image are neither sent nor shown. It tells whether
// there were some.
func cleanURL(raw string) (*url.URL, bool, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, false, errors.New("not a URL")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, false, errors.New("not an http(s) URL")
	}
	had := u.User != nil
	u.User = nil
	u.RawQuery, u.Fragment = "", ""
	return u, had, nil
}

// redact is a URL of the image as it may be shown: without its user info.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}

// withMirror puts the mirror's scheme and host in place of u's, and the
// mirror's path, if any, in front of u's path.
func withMirror(u *url.URL, mirror string) (*url.URL, error) {
	if mirror == "" {
		return u, nil
	}
	m, _, err := cleanURL(mirror)
	if err != nil {
		return nil, errors.New("mirror " + err.Error())
	}
	out := *u
	out.Scheme, out.Host = m.Scheme, m.Host
	out.Path = strings.TrimSuffix(m.Path, "/") + u.Path
	out.RawPath = ""
	return &out, nil
}
