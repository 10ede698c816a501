package suggest

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/slimpy/slimpy/internal/inspect/inventory"
)

// Base image suggestions: pin a floating tag, move off an end-of-life
// release, leave Alpine for Debian slim when pip installs.

// imageRef is a FROM reference split into its parts.
type imageRef struct {
	repo   string // everything before the tag: "python", "library/python", "host:5000/x/python"
	tag    string
	digest string
}

func parseRef(s string) imageRef {
	var r imageRef
	if i := strings.Index(s, "@"); i >= 0 {
		s, r.digest = s[:i], s[i+1:]
	}
	slash := strings.LastIndex(s, "/")
	if i := strings.LastIndex(s, ":"); i > slash {
		s, r.tag = s[:i], s[i+1:]
	}
	r.repo = s
	return r
}

func (r imageRef) String() string {
	s := r.repo
	if r.tag != "" {
		s += ":" + r.tag
	}
	if r.digest != "" {
		s += "@" + r.digest
	}
	return s
}

// name is the Docker Official Image the reference names ("python" for
// python, library/python, docker.io/library/python), "" for any other
// repository: only the official images publish the tags slimpy knows
// (gradio/python or registry.example/team/python are other images,
// whose tags may not include a -slim, a newer release or a variant).
// A path ending in library/NAME is a registry mirror of Docker Hub's
// official image (mirror.gcr.io/library/python,
// public.ecr.aws/docker/library/python, the tests' local/library/python),
// and the architecture namespaces (arm64v8/python) hold the official
// images' per-architecture builds, with the same tags.
func (r imageRef) name() string {
	parts := strings.Split(strings.ToLower(r.repo), "/")
	if len(parts) > 1 && dockerHubHosts[parts[0]] {
		parts = parts[1:]
	}
	last := parts[len(parts)-1]
	switch {
	case len(parts) == 1:
		return last
	case parts[len(parts)-2] == "library":
		return last
	case len(parts) == 2 && officialArchNamespaces[parts[0]]:
		return last
	}
	return ""
}

// lastElem is the repository's last path element, whoever publishes it
// ("micromamba" for mambaorg/micromamba).
func (r imageRef) lastElem() string {
	return strings.ToLower(path.Base(r.repo))
}

// dockerHubHosts name Docker Hub itself in a reference
// (docker.io/python is python).
var dockerHubHosts = map[string]bool{"docker.io": true, "index.docker.io": true, "registry-1.docker.io": true}

// officialArchNamespaces are Docker Hub's namespaces of the official
// images built for one architecture.
var officialArchNamespaces = map[string]bool{
	"amd64": true, "arm32v5": true, "arm32v6": true, "arm32v7": true, "arm64v8": true,
	"i386": true, "mips64le": true, "ppc64le": true, "riscv64": true, "s390x": true,
}

// fromRefEdit replaces the image reference in a FROM line: its first
// match after the flags (--platform=linux/amd64 holds "a"). A reference
// split by a continuation is not written anywhere in one piece: no edit.
func fromRefEdit(d *Dockerfile, st *Stage, ref string) (edit, bool) {
	text := d.Text(st.From)
	after := flagsEnd(text)
	k := strings.Index(text[after:], st.Base)
	if k < 0 {
		return edit{}, false
	}
	k += after
	return edit{start: st.From.Start + k, end: st.From.Start + k + len(st.Base), text: ref}, true
}

// flagsEnd is the offset in a FROM's text after its last --flag word
// (0 without flags).
func flagsEnd(text string) int {
	end := 0
	for i := 0; i < len(text); {
		for i < len(text) && strings.IndexByte(" \t\r\n\\", text[i]) >= 0 {
			i++
		}
		start := i
		for i < len(text) && strings.IndexByte(" \t\r\n", text[i]) < 0 {
			i++
		}
		if strings.HasPrefix(text[start:i], "--") {
			end = i
		}
	}
	return end
}

// externalStages are the stages whose FROM names an image (not an
// earlier stage, not scratch, no ARG expansion).
func externalStages(d *Dockerfile) []*Stage {
	var out []*Stage
	for _, st := range d.Stages {
		if st.BaseStage == nil && st.Base != "scratch" && !strings.Contains(st.Base, "$") {
			out = append(out, st)
		}
	}
	return out
}

var debianCodenames = map[string]string{"stretch": "9", "buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13"}
var debianByVersion = []string{"stretch", "buster", "bullseye", "bookworm", "trixie"}
var ubuntuLTS = []string{"16.04", "18.04", "20.04", "22.04", "24.04", "26.04"}
var ubuntuCodenames = map[string]string{"xenial": "16.04", "bionic": "18.04", "focal": "20.04", "jammy": "22.04", "noble": "24.04", "resolute": "26.04"}

// lastDebianOf is the Debian release a dead Python minor's images were
// last built on, and its end of support, when that support has ended at
// now ("" otherwise: the minor is alive, or its Debian still supported).
func lastDebianOf(ver string, now time.Time) (string, string) {
	last := lastDebianBuilt(ver, now)
	if r, ok := debianRelease(last); ok && ended(r, now) {
		return last, lastDay(r)
	}
	return "", ""
}

// lastDebianBuilt is the Debian release a Python minor past its end at
// now had its images last built on, the newest released before that end
// (its tags without a codename name it: python:3.6-slim is bullseye), ""
// for a minor still alive or unknown.
func lastDebianBuilt(ver string, now time.Time) string {
	py, ok := inventory.PythonRelease(minorOf(ver))
	if !ok || !now.After(py.EOL) {
		return ""
	}
	last := ""
	for _, c := range debianByVersion {
		if t, ok := debianReleased[c]; ok && t.Before(py.EOL) {
			last = c
		}
	}
	return last
}

func debianRelease(codename string) (inventory.Release, bool) {
	v, ok := debianCodenames[codename]
	if !ok {
		return inventory.Release{}, false
	}
	return inventory.OSRelease(map[string]string{"ID": "debian", "VERSION_ID": v}, "")
}

func ubuntuRelease(v string) (inventory.Release, bool) {
	return inventory.OSRelease(map[string]string{"ID": "ubuntu", "VERSION_ID": v}, "")
}

func alpineRelease(v string) (inventory.Release, bool) {
	return inventory.OSRelease(map[string]string{"ID": "alpine", "VERSION_ID": v + ".0"}, "")
}

// ended: past the last support date (LTS when there is one).
func ended(r inventory.Release, now time.Time) bool {
	last := r.EOL
	if !r.LTS.IsZero() {
		last = r.LTS
	}
	return now.After(last)
}

// supported: within regular security support, and released (roughly:
// support spans `years` from the release).
func supported(r inventory.Release, now time.Time, years int) bool {
	return now.Before(r.EOL) && now.After(r.EOL.AddDate(-years, 0, 0))
}

func pythonMinors() []string {
	var out []string
	for m := 6; m <= 30; m++ {
		v := "3." + strconv.Itoa(m)
		if _, ok := inventory.PythonRelease(v); ok {
			out = append(out, v)
		}
	}
	return out
}

// oldestSupportedPython is the oldest CPython minor after v within security
// support at now; newest is the newest released one.
func oldestSupportedPython(after string, now time.Time) string {
	_, am, _ := strings.Cut(after, ".")
	an, _ := strconv.Atoi(am)
	for _, v := range pythonMinors() {
		_, m, _ := strings.Cut(v, ".")
		n, _ := strconv.Atoi(m)
		r, _ := inventory.PythonRelease(v)
		if n > an && supported(r, now, 5) {
			return v
		}
	}
	return ""
}

func newestPython(now time.Time) string {
	out := ""
	for _, v := range pythonMinors() {
		if r, _ := inventory.PythonRelease(v); supported(r, now, 5) {
			out = v
		}
	}
	return out
}

// droppedVariantPython is the Python minor a tag without one
// (3-slim-buster, slim-buster, 3-alpine3.7) stopped at, and the release
// of its variant, when the python images are no longer built on that
// Debian or Alpine release ("" otherwise).
func droppedVariantPython(variant string, now time.Time) (minor, release string) {
	for _, part := range strings.Split(variant, "-") {
		dropped := debianDropped(part)
		if rel, ok := strings.CutPrefix(part, "alpine"); ok && rel != "" {
			dropped = alpineDropped(rel)
		}
		if !dropped.IsZero() && dropped.Before(now) {
			return newestPython(dropped), part
		}
	}
	return "", ""
}

func debianTarget(now time.Time) string {
	for _, c := range debianByVersion {
		if r, ok := debianRelease(c); ok && supported(r, now, 3) {
			return c
		}
	}
	return ""
}

func newestDebian(now time.Time) string {
	out := ""
	for _, c := range debianByVersion {
		if r, ok := debianRelease(c); ok && supported(r, now, 3) {
			out = c
		}
	}
	return out
}

func ubuntuTarget(after string, now time.Time, newest bool) string {
	out := ""
	for _, v := range ubuntuLTS {
		if r, ok := ubuntuRelease(v); ok && v > after && supported(r, now, 5) {
			if !newest {
				return v
			}
			out = v
		}
	}
	return out
}

func alpineTarget(after string, now time.Time, newest bool) string {
	out := ""
	for m := 17; m <= 40; m++ {
		v := "3." + strconv.Itoa(m)
		r, ok := alpineRelease(v)
		if !ok {
			continue
		}
		if compareVersions(v, after) > 0 && supported(r, now, 2) {
			if !newest {
				return v
			}
			out = v
		}
	}
	return out
}

func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

var alpineSuffixRe = regexp.MustCompile(`alpine(3\.\d+)`)

// eolVariant moves the Debian codename or Alpine release of a python
// image's tag variant ("slim-buster", "alpine3.17") that is past its end
// or that the python image is no longer built on to one it is built on.
func eolVariant(minor, variant string, now time.Time) (string, []string) {
	var why []string
	parts := strings.Split(variant, "-")
	for i, p := range parts {
		if r, ok := debianRelease(p); ok {
			built := pythonDebians(now)
			if ended(r, now) || !slices.Contains(built, p) {
				t := pythonDebianFor(minor, now)
				if t != "" && t != p {
					why = append(why, variantWhy(r.Name, ended(r, now), lastDay(r), "Debian "+strings.Join(built, " and ")))
					parts[i] = t
				}
			}
		}
		if m := alpineSuffixRe.FindStringSubmatch(p); m != nil {
			built := pythonAlpinesFor(minor, now)
			if end, ok := alpineEnd(m[1]); ok && (now.After(end) || !slices.Contains(built, m[1])) && len(built) > 0 {
				why = append(why, variantWhy("Alpine "+m[1], now.After(end), end.Format("2006-01-02"), "Alpine "+strings.Join(built, " and ")))
				parts[i] = "alpine" + built[0]
			}
		}
	}
	return strings.Join(parts, "-"), why
}

// debianOf is the Debian codename a python tag variant names ("" for
// none: the default, or Alpine).
func debianOf(variant string) string {
	for _, p := range strings.Split(variant, "-") {
		if _, ok := debianCodenames[p]; ok {
			return p
		}
	}
	return ""
}

// releaseBoundNames are OS packages whose name or presence depends on the
// Debian or Ubuntu release: gone from the newer ones (netcat became
// virtual, with two providers; libgl1-mesa-glx and the ncurses 5 and
// readline-gplv2 packages were dropped; software-properties-common is not
// in trixie), or named after a version (sonames, compilers, JDKs,
// PostgreSQL majors, the distro's python3.X).
var releaseBoundNames = map[string]bool{"netcat": true, "libgl1-mesa-glx": true, "software-properties-common": true,
	"libncurses5-dev": true, "libncursesw5-dev": true, "libncurses5": true, "libncursesw5": true, "libtinfo5": true,
	"libreadline-gplv2-dev": true, "libmariadbclient-dev": true, "libmysqlclient-dev": true, "mysql-client": true,
	"libpcre3": true, "libpcre3-dev": true}

var releaseBoundRe = regexp.MustCompile(`^(libssl1\.[01].*|libffi[67]|libtiff5|libwebp6|libicu[0-9]+|libvpx[0-9]+|libav(codec|format|util|filter|device)[0-9]+|libsw(scale|resample)[0-9]+|libpostproc[0-9]+|libx26[45]-[0-9]+|libgdal[0-9]+|libproj[0-9]+|libgeos-3\..*|libpython3\.[0-9]+.*|python3\.[0-9]+(-.*)?|(gcc|g\+\+|cpp|clang|llvm)-[0-9]+.*|openjdk-[0-9]+-.*|postgresql(-client)?-[0-9]+|libreadline[5-7]|libmpdec[0-9]|libldap-2\.[0-9]-[0-9]|libhdf5-[0-9]+.*|libboost.*[0-9]+\.[0-9]+.*|libevent-2\.[0-9]-[0-9]+|libnetcdf[0-9]+)$`)

// releaseBoundPkg names the first OS package the stage (with the stages
// it is built on) installs whose name or presence depends on the release
// ("4 installs netcat"), "" for none: moving the release would fail it.
//
// On Ubuntu the python3.X packages are ubuntuTargetWith's to check (the
// release's own and deadsnakes'), and software-properties-common stays.
func releaseBoundPkg(st *Stage, ubuntu bool) string {
	for _, s := range st.chain() {
		for _, in := range s.Instrs {
			for _, pc := range pkgCommands(in) {
				if pc.manager != "apt" || !pc.is("install") {
					continue
				}
				for _, n := range pc.names() {
					if ubuntu && (n == "software-properties-common" || distroPythonPkgRe.MatchString(n)) {
						continue
					}
					if releaseBoundNames[n] || releaseBoundRe.MatchString(n) {
						return fmt.Sprintf("%d installs %s", in.StartLine, n)
					}
				}
			}
		}
	}
	return ""
}

// osMoveBlocker says why moving the stage's Debian or Ubuntu release from
// one to another (keys of distroPython) is not sure ("" when it is): a
// package bound to the release, or the distro's Python changing minor
// under packages the stage pins for it.
func osMoveBlocker(d *Dockerfile, st *Stage, from, to string) string {
	if pkg := releaseBoundPkg(st, strings.HasPrefix(from, "ubuntu:")); pkg != "" {
		return "line " + pkg + ", a package whose name or presence depends on the release"
	}
	if why := systemPipBlocker(d, st, from, to); why != "" {
		return why
	}
	sm := d.Model().Stages[st.Index]
	pf, pt := distroPython[from], distroPython[to]
	if sm.Python.Prefix != "/usr" || pf == "" || pt == "" || pf == pt || sm.Python.Version != "" && sm.Python.Version != pf {
		// (a python3.X of its own, deadsnakes': ubuntuTargetWith's)
		return ""
	}
	if pinned := pinnedPackages(d, st); pinned != "" {
		return fmt.Sprintf("the distro's Python moves from %s to %s and %s", pf, pt, pinned)
	}
	return ""
}

// externallyManaged: the distro release (debian:bookworm, ubuntu:24.04,
// alpine:3.19) marks its Python externally managed (PEP 668), so that
// pip refuses to install into it outside a venv: Debian 12, Ubuntu 23.04
// and Alpine 3.19 on.
func externallyManaged(release string) bool {
	distro, v, _ := strings.Cut(release, ":")
	switch distro {
	case "debian":
		if c, ok := numericDebian(v); ok {
			v = c
		}
		n, err := strconv.Atoi(debianCodenames[v])
		return err == nil && n >= 12
	case "ubuntu":
		if n, ok := ubuntuCodenames[v]; ok {
			v = n // (a codename compared as text would rank above every number)
		}
		return v >= "23.04"
	case "alpine":
		minor, err := strconv.Atoi(strings.TrimPrefix(minorOf(v), "3."))
		return strings.HasPrefix(v, "3.") && err == nil && minor >= 19
	}
	return false
}

// systemPipBlocker says why moving the stage from one release to another
// would fail its build ("" when it would not): it pip-installs into the
// distro's own Python, which the new release marks externally managed and
// the old one did not (PEP 668), with no --break-system-packages.
func systemPipBlocker(d *Dockerfile, st *Stage, from, to string) string {
	if externallyManaged(from) || !externallyManaged(to) || python2OSPackage(st) != "" {
		return "" // (a Python 2 app has a reason of its own)
	}
	m := d.Model()
	for _, s := range st.chain() {
		for _, in := range s.Instrs {
			text := strings.ToLower(d.Text(in))
			if strings.Contains(text, "break_system_packages") || strings.Contains(text, "break-system-packages") ||
				strings.Contains(text, "externally-managed") {
				return "" // allowed, or the marker removed
			}
		}
		sm := m.Stages[s.Index]
		for _, inst := range sm.Installs {
			// (a CPython the file builds into /usr/local is not the distro's)
			if inst.System && inst.Env != "/usr/local" && sm.Python.Prefix != "/usr/local" && inst.In.Stage == s {
				distro, rel, _ := strings.Cut(to, ":")
				return fmt.Sprintf("line %d pip-installs into the distro's Python, which %s %s marks externally managed (PEP 668): pip refuses there outside a venv", inst.In.StartLine, strings.ToUpper(distro[:1])+distro[1:], rel)
			}
		}
	}
	return ""
}

// pythonAlpinesFor are the supported Alpine releases at now that the
// python image of the minor is built on: for a minor past its end, those
// it was built on before it ended (the two newest then) that are still
// supported; none for Python 2.7 (its last, 3.11, ended in 2021).
func pythonAlpinesFor(minor string, now time.Time) []string {
	py, ok := inventory.PythonRelease(minor)
	if !ok || !now.After(py.EOL) {
		return pythonAlpines(now)
	}
	var out []string
	for _, v := range pythonAlpines(py.EOL) {
		if end, ok := alpineEnd(v); ok && now.Before(end) {
			out = append(out, v)
		}
	}
	return out
}

// pythonDebianFor is the Debian release to move a python image of the
// minor to: the oldest one in regular security support that the image is
// built on at now; for a minor past its end, the oldest such one it was
// ever built on, else the oldest still in LTS ("" for none).
func pythonDebianFor(minor string, now time.Time) string {
	py, eol := inventory.PythonRelease(minor)
	built := pythonDebians(now)
	for _, pass := range []func(inventory.Release, string) bool{
		func(r inventory.Release, c string) bool { return now.Before(r.EOL) && slices.Contains(built, c) },
		func(r inventory.Release, c string) bool { return now.Before(r.EOL) },
		func(r inventory.Release, c string) bool { return !ended(r, now) },
	} {
		for _, c := range debianByVersion {
			r, ok := debianRelease(c)
			if ok && !(eol && debianReleased[c].After(py.EOL)) && pass(r, c) {
				return c
			}
		}
	}
	return ""
}

func variantWhy(name string, ended bool, end, built string) string {
	if ended {
		return fmt.Sprintf("%s's support ended %s", name, end)
	}
	return fmt.Sprintf("python images are no longer built on %s (only on %s)", name, built)
}

func lastDay(r inventory.Release) string {
	if !r.LTS.IsZero() {
		return r.LTS.Format("2006-01-02")
	}
	return r.EOL.Format("2006-01-02")
}

var baseEOLKind = &kind{
	ID: "SG011", Name: "base-eol",
	Title:   "move off an end-of-life base image",
	Doc:     "a Python or OS release past its support end gets no security fixes",
	Answers: []string{"SP401", "SP402"},
	derive: func(c *ctx) *change {
		now := c.opts.now()
		ch := &change{note: "no size change: security support"}
		moved := map[*Stage][2]string{} // python X.Y old → new
		for _, st := range externalStages(c.d) {
			r := parseRef(st.Base)
			if r.digest != "" {
				continue
			}
			var tag string
			var why []string
			switch r.name() {
			case "python":
				ver, variant := splitPythonTag(r.tag)
				stoppedAt := ""
				if !strings.Contains(ver, ".") {
					if minor, rel := droppedVariantPython(variant, now); minor != "" {
						// python:3-slim-buster stopped at 3.11: moving its
						// Debian keeps that minor (3-slim-trixie is 3.14)
						stoppedAt = fmt.Sprintf("%s has Python %s, the newest built on %s", st.Base, minor, rel)
						ver = minor
					}
				}
				if ver != "" {
					if rel, ok := inventory.PythonRelease(ver); ok && now.After(rel.EOL) {
						t := oldestSupportedPython(minorOf(ver), now)
						pinned := pinnedPackages(c.d, st)
						if py2 := python2OSPackage(st); py2 != "" && pinned == "" {
							// the bump moves the distro too, which has no
							// Python 2 packages any more
							pinned = "line " + py2 + ", a Python 2 package of the distro, which newer releases do not have"
						}
						switch {
						case t == "":
						case pinned != "" || strings.HasPrefix(ver, "2"):
							// without an image, a minor bump is as sure as
							// the packages it reinstalls: say, do not do
							ch.line(st.From)
							ch.advise("line %d: %s's security support ended %s: move to python:%s by hand and test it (%s)", st.From.StartLine, rel.Name, rel.EOL.Format("2006-01-02"), t, nonEmptyName(pinned, "Python 2 code"))
						default:
							why = append(why, fmt.Sprintf("%s's security support ended %s", rel.Name, rel.EOL.Format("2006-01-02")))
							moved[st] = [2]string{minorOf(ver), t}
							ver = t
						}
					}
				}
				nv, w := eolVariant(minorOf(ver), variant, now)
				why = append(why, w...)
				if stoppedAt != "" && len(why) > 0 {
					why = append([]string{stoppedAt}, why...)
				}
				if nv != variant && strings.Count(ver, ".") == 2 {
					// 3.11.6 was never built on a Debian or Alpine that
					// came after it: the minor's tag follows the new one
					why = append(why, fmt.Sprintf("%s is a patch release, not built on %s: %s", ver, nv, minorOf(ver)))
					ver = minorOf(ver)
				}
				if debianOf(nv) != debianOf(variant) {
					if pkg := releaseBoundPkg(st, false); pkg != "" {
						ch.line(st.From)
						ch.advise("line %d: %s: move to Debian %s by hand: line %s, a package whose name or presence depends on the Debian release", st.From.StartLine, strings.Join(why, "; "), debianOf(nv), pkg)
						continue
					}
				}
				tag = joinPythonTag(ver, nv)
			case "debian":
				base, rest, _ := strings.Cut(r.tag, "-")
				if v, ok := numericDebian(base); ok {
					base = v
				}
				if rel, ok := debianRelease(base); ok && ended(rel, now) {
					if t := debianTarget(now); t != "" {
						if blocked := osMoveBlocker(c.d, st, "debian:"+base, "debian:"+t); blocked != "" {
							ch.line(st.From)
							ch.advise("line %d: %s's support ended %s: move to Debian %s by hand: %s", st.From.StartLine, rel.Name, lastDay(rel), t, blocked)
							continue
						}
						why = append(why, fmt.Sprintf("%s's support ended %s", rel.Name, lastDay(rel)))
						base = t
					}
				}
				tag = strings.TrimSuffix(base+"-"+rest, "-")
			case "ubuntu":
				v := r.tag
				if n, ok := ubuntuCodenames[v]; ok {
					v = n
				}
				if rel, ok := ubuntuRelease(v); ok && ended(rel, now) {
					t, missing := ubuntuTargetWith(c.d, st, v, now)
					blocked := ""
					if t != "" {
						blocked = osMoveBlocker(c.d, st, "ubuntu:"+v, "ubuntu:"+t)
					}
					switch {
					case blocked != "":
						ch.line(st.From)
						ch.advise("line %d: %s's standard support ended %s: move to Ubuntu %s by hand: %s", st.From.StartLine, rel.Name, lastDay(rel), t, blocked)
					case t != "":
						why = append(why, fmt.Sprintf("%s's standard support ended %s", rel.Name, lastDay(rel)))
						tag = t
					case missing != "":
						ch.line(st.From)
						ch.advise("line %d: %s's standard support ended %s, but no supported Ubuntu LTS has %s, which the stage installs", st.From.StartLine, rel.Name, lastDay(rel), missing)
					}
				}
			case "alpine":
				v := minorOf(r.tag)
				if end, ok := alpineEnd(v); ok && now.After(end) {
					if t := alpineTarget(v, now, false); t != "" {
						if blocked := systemPipBlocker(c.d, st, "alpine:"+v, "alpine:"+t); blocked != "" {
							ch.line(st.From)
							ch.advise("line %d: Alpine %s's support ended %s: move to Alpine %s by hand: %s", st.From.StartLine, v, end.Format("2006-01-02"), t, blocked)
							continue
						}
						why = append(why, fmt.Sprintf("Alpine %s's support ended %s", v, end.Format("2006-01-02")))
						tag = t
					}
				}
			}
			if len(why) == 0 || tag == "" || tag == r.tag {
				continue
			}
			nr := r
			nr.tag = tag
			if py2 := python2OSPackage(st); py2 != "" {
				// the newer release has no Python 2 packages
				ch.line(st.From)
				ch.advise("line %d: %s: %s → %s by hand: line %s, a Python 2 package of the distro, which the newer release does not have", st.From.StartLine, strings.Join(why, "; "), st.Base, nr.String(), py2)
				continue
			}
			if e, ok := fromRefEdit(c.d, st, nr.String()); ok {
				ch.edits = append(ch.edits, e)
				ch.line(st.From)
				ch.say("line %d: %s: %s → %s (check that the app runs on it)", st.From.StartLine, strings.Join(why, "; "), st.Base, nr.String())
			}
		}
		ch.edits = append(ch.edits, pythonPathEdits(c.d, moved, ch)...)
		return nonEmpty(ch)
	},
}

// pinnedPackages says what ties the packages of the stages that share st's
// to its Python minor: requirements files, pinned versions, lock files,
// the project itself ("" when nothing does).
// python2OSPackage names the first Python 2 package of the distro the
// stage installs ("3 installs python-dev"): python, python2*, python-*,
// py-* and py2-* are gone from the supported Debian and Alpine releases.
func python2OSPackage(st *Stage) string {
	for _, s := range st.chain() {
		for _, in := range s.Instrs {
			for _, pc := range pkgCommands(in) {
				if !pc.is("install", "add") {
					continue
				}
				for _, n := range pc.names() {
					if n == "python" || strings.HasPrefix(n, "python2") || strings.HasPrefix(n, "python-") || strings.HasPrefix(n, "py-") || strings.HasPrefix(n, "py2-") {
						return fmt.Sprintf("%d installs %s", in.StartLine, n)
					}
				}
			}
		}
	}
	return ""
}

func pinnedPackages(d *Dockerfile, st *Stage) string {
	for _, group := range exchangeGroups(d) {
		if !slices.Contains(group, st) {
			continue
		}
		for _, s := range group {
			for _, in := range s.Instrs {
				for _, inst := range d.Model().Stages[s.Index].Installs {
					if inst.In != in {
						continue
					}
					if inst.Tool != "pip" && inst.Tool != "uv-pip" || inst.Project {
						return fmt.Sprintf("line %d installs with %s from a lock or a project", in.StartLine, inst.Tool)
					}
				}
				for _, pc := range pipCommands(in) {
					if len(pc.reqs) > 0 || len(pc.cons) > 0 {
						return fmt.Sprintf("line %d installs the versions %s pins", in.StartLine, strings.Join(append(pc.reqs, pc.cons...), ", "))
					}
					for _, w := range pc.specs {
						if _, pin := reqName(w.Value); pin || isPathSpec(w.Value) {
							return fmt.Sprintf("line %d pins %s", in.StartLine, w.Value)
						}
					}
				}
			}
		}
	}
	return ""
}

// pythonPathEdits rewrites /pythonX.Y paths (lib/python3.8/site-packages)
// in the stages that share packages with a stage whose Python moves from
// X.Y to another, when every python stage of that group moves the same.
func pythonPathEdits(d *Dockerfile, moved map[*Stage][2]string, ch *change) []edit {
	var out []edit
	for _, group := range exchangeGroups(d) {
		var mv [2]string
		same := true
		for _, st := range group {
			if m, ok := moved[st]; ok {
				same = same && (mv == [2]string{} || mv == m)
				mv = m
			}
		}
		if mv == ([2]string{}) || !same {
			continue
		}
		re := regexp.MustCompile(`/python` + regexp.QuoteMeta(mv[0]) + `([^0-9.]|$)`)
		n := len(out)
		for _, st := range group {
			for _, in := range st.Instrs {
				if in.Keyword == "CMD" || in.Keyword == "ENTRYPOINT" || in.Heredoc {
					continue
				}
				text := d.Text(in)
				for _, m := range re.FindAllStringSubmatchIndex(text, -1) {
					start := in.Start + m[0] + len("/python")
					out = append(out, edit{start: start, end: start + len(mv[0]), text: mv[1]})
					ch.line(in)
				}
			}
		}
		if len(out) > n {
			ch.say("the paths of Python %s in the stages that share the packages follow: python%s → python%s", mv[0], mv[0], mv[1])
		}
	}
	return out
}

// ubuntuTargetWith is the oldest supported Ubuntu LTS after v that has
// every python3.X the stage installs (deadsnakes counted when the stage
// adds it); missing names one no candidate has.
func ubuntuTargetWith(d *Dockerfile, st *Stage, v string, now time.Time) (string, string) {
	sm := d.Model().Stages[st.Index]
	re := distroPythonPkgRe
	var wants []string
	for p := range sm.OSPkgs {
		if m := re.FindStringSubmatch(p); m != nil {
			wants = appendUnique(wants, m[1])
		}
	}
	sort.Strings(wants) // map order: the message names the same one each run
	missing := ""
	for _, t := range ubuntuLTS {
		r, ok := ubuntuRelease(t)
		if !ok || t <= v || !supported(r, now, 5) {
			continue
		}
		all := true
		for _, w := range wants {
			if has, known := distroHasPython("ubuntu", t, w, sm.Deadsnakes); known && !has {
				all, missing = false, "python"+w
			}
		}
		if all {
			return t, ""
		}
	}
	return "", missing
}

// numericDebian maps "10" to "buster".
func numericDebian(v string) (string, bool) {
	for c, n := range debianCodenames {
		if n == v {
			return c, true
		}
	}
	return "", false
}

var basePinKind = &kind{
	ID: "SG012", Name: "base-pin", Hadolint: "DL3006,DL3007",
	Title: "pin the base image's version",
	Doc:   "an untagged, latest or major-only base changes under the build; pinning makes builds reproducible",
	derive: func(c *ctx) *change {
		now := c.opts.now()
		ch := &change{note: "no size change: reproducibility"}
		for _, st := range externalStages(c.d) {
			r := parseRef(st.Base)
			if r.digest != "" {
				continue
			}
			floating := r.tag == "" || r.tag == "latest"
			tag, src := "", "the newest supported release"
			switch r.name() {
			case "python":
				ver, variant := splitPythonTag(r.tag)
				if variant == "latest" {
					variant = ""
				}
				if ver != "" && strings.Contains(ver, ".") {
					continue
				}
				floating = true
				target := ""
				if f := c.opts.Facts; f != nil && f.Python != "" {
					target = minorOf(f.Python)
				} else {
					target = newestPython(now)
					if minor, deb := droppedVariantPython(variant, now); minor != "" {
						target, src = minor, "the newest release built on "+deb
					}
				}
				if ver != "" && !strings.HasPrefix(target, ver+".") {
					continue
				}
				tag = joinPythonTag(target, variant)
				if why, spelling := pythonTagProblem(tag, now); spelling {
					ch.line(st.From)
					ch.advise("line %d: %s floats, but %s", st.From.StartLine, st.Base, why)
					continue
				}
			case "debian":
				if floating || r.tag == "stable" || r.tag == "stable-slim" {
					floating = true
					tag = newestDebian(now)
					if strings.HasSuffix(r.tag, "-slim") {
						tag += "-slim"
					}
				}
			case "ubuntu":
				if floating || r.tag == "rolling" {
					floating = true
					tag = ubuntuTarget("", now, true)
				}
			case "alpine":
				if floating {
					tag = alpineTarget("", now, true)
				}
			}
			if !floating {
				continue
			}
			ch.line(st.From)
			if tag == "" {
				ch.advise("line %d: %s floats; pin a tag (or a digest) — slimpy does not know this image's versions", st.From.StartLine, st.Base)
				continue
			}
			nr := r
			nr.tag = tag
			if e, ok := fromRefEdit(c.d, st, nr.String()); ok {
				ch.edits = append(ch.edits, e)
				if f := c.opts.Facts; f != nil && f.Python != "" && r.name() == "python" {
					src = "the version the image has"
				}
				ch.say("line %d: %s floats → %s (%s; a digest pins it fully)", st.From.StartLine, st.Base, nr.String(), src)
			}
		}
		return nonEmpty(ch)
	},
}

// ---------------------------------------------------------------- Alpine

// apkToDeb maps Alpine package names to Debian's.
var apkToDeb = map[string]string{
	"build-base": "build-essential", "gcc": "gcc", "g++": "g++", "musl-dev": "libc6-dev", "linux-headers": "linux-libc-dev",
	"libffi-dev": "libffi-dev", "openssl-dev": "libssl-dev", "postgresql-dev": "libpq-dev", "libpq-dev": "libpq-dev",
	"postgresql-libs": "libpq5", "libpq": "libpq5", "jpeg-dev": "libjpeg-dev", "libjpeg-turbo-dev": "libjpeg-dev",
	"libjpeg-turbo": "libjpeg62-turbo", "zlib-dev": "zlib1g-dev", "zlib": "zlib1g", "libxml2-dev": "libxml2-dev", "libxml2": "libxml2",
	"libxslt-dev": "libxslt1-dev", "libxslt": "libxslt1.1", "mariadb-dev": "libmariadb-dev", "mariadb-connector-c-dev": "libmariadb-dev",
	"mariadb-connector-c": "libmariadb3", "freetype-dev": "libfreetype-dev", "freetype": "libfreetype6", "lcms2-dev": "liblcms2-dev",
	"openjpeg-dev": "libopenjp2-7-dev", "tiff-dev": "libtiff-dev", "libwebp-dev": "libwebp-dev", "harfbuzz-dev": "libharfbuzz-dev",
	"fribidi-dev": "libfribidi-dev", "tk-dev": "tk-dev", "tcl-dev": "tcl-dev", "cargo": "cargo", "rust": "rustc", "make": "make",
	"cmake": "cmake", "git": "git", "curl": "curl", "wget": "wget", "bash": "bash", "tini": "tini", "ca-certificates": "ca-certificates",
	"tzdata": "tzdata", "su-exec": "gosu", "libstdc++": "libstdc++6", "libgcc": "libgcc-s1", "libffi": "libffi8", "openssl": "openssl",
	"pkgconfig": "pkg-config", "pkgconf": "pkg-config", "geos-dev": "libgeos-dev", "gdal-dev": "libgdal-dev", "proj-dev": "libproj-dev",
	"gfortran": "gfortran", "openblas-dev": "libopenblas-dev", "lapack-dev": "liblapack-dev",
	// the python image has pip, setuptools, wheel and its own headers
	"py3-pip": "", "py3-setuptools": "", "py3-wheel": "", "python3-dev": "", "python3": "",
	"zeromq-dev": "libzmq3-dev", "zeromq": "libzmq5", "libressl-dev": "libssl-dev", "unixodbc-dev": "unixodbc-dev", "yaml-dev": "libyaml-dev",
	"libmagic": "libmagic1", "file": "file", "gettext": "gettext", "graphviz": "graphviz", "ffmpeg": "ffmpeg", "netcat-openbsd": "netcat-openbsd",
	"libc6-compat": "", "libssl3": "libssl3", "libcrypto3": "libssl3", "krb5-dev": "libkrb5-dev", "openldap-dev": "libldap2-dev",
	"cyrus-sasl-dev": "libsasl2-dev", "snappy-dev": "libsnappy-dev", "hdf5-dev": "libhdf5-dev", "libsodium-dev": "libsodium-dev",
	"libsodium": "libsodium23", "gmp-dev": "libgmp-dev", "mpc1-dev": "libmpc-dev", "mpfr-dev": "libmpfr-dev",
}

func isAlpinePython(st *Stage) bool {
	r := parseRef(st.Base)
	if r.name() != "python" {
		return false
	}
	// The variant's parts that SG010 drops: "alpine", "alpine3.20".
	_, variant := splitPythonTag(r.tag)
	for _, p := range strings.Split(variant, "-") {
		if strings.HasPrefix(p, "alpine") {
			return true
		}
	}
	return false
}

var alpineToDebianKind = &kind{
	ID: "SG010", Name: "alpine-to-debian",
	Title: "Debian slim instead of Alpine for pip",
	Doc:   "musl is not manylinux: pip compiles what Debian would install as a wheel, and needs compilers for it",
	derive: func(c *ctx) *change {
		ch := &change{note: notMeasured("the Debian slim image is not this image; wheels replace compiling")}
		advice := false
		for _, group := range exchangeGroups(c.d) {
			var alpine []*Stage
			installs, blocked := false, ""
			for _, st := range group {
				for _, in := range st.Instrs {
					installs = installs || pythonInstall(in)
				}
				if st.BaseStage != nil {
					continue
				}
				b := baseOf(st.Base)
				switch {
				case isAlpinePython(st) && !strings.Contains(st.Base, "$"):
					alpine = append(alpine, st)
				case b.Libc == "musl" || b.Family == "" && st.Base != "scratch":
					// every stage that shares the packages must move, or none
					blocked = st.Base
				}
			}
			if len(alpine) == 0 || !installs {
				continue
			}
			if blocked != "" {
				ch.line(alpine[0].From)
				ch.advise("line %d: %s with pip: Debian slim would get wheels, but %s shares its packages and cannot move with it: move both, or neither", alpine[0].From.StartLine, alpine[0].Base, blocked)
				advice = true
				continue
			}
			var eds []edit
			var unmapped []string
			virtual := map[string][]string{}
			for _, st := range alpine {
				r := parseRef(st.Base)
				ver, variant := splitPythonTag(r.tag)
				var keep []string
				for _, p := range strings.Split(variant, "-") {
					if !strings.HasPrefix(p, "alpine") && p != "" {
						keep = append(keep, p)
					}
				}
				nr := r
				nr.tag = joinPythonTag(ver, strings.Join(append(keep, "slim"), "-"))
				if deb, end := lastDebianOf(ver, c.opts.now()); deb != "" {
					// a dead minor's last -slim: apt-get fails there
					ch.line(st.From)
					ch.advise("line %d: %s with pip: %s was last built on Debian %s, whose support ended %s: its packages are gone from the mirrors, and apt-get fails there; move to a supported Python by hand", st.From.StartLine, st.Base, nr.String(), deb, end)
					advice = true
					eds = nil
					break
				}
				e, ok := fromRefEdit(c.d, st, nr.String())
				if !ok {
					eds, unmapped = nil, append(unmapped, st.Base)
					break
				}
				eds = append(eds, e)
				ch.line(st.From)
				ch.say("line %d: %s with pip: musl wheels are rare, so pip builds from source → %s", st.From.StartLine, st.Base, nr.String())
			}
			for _, st := range group {
				for _, in := range st.Instrs {
					es, um := apkEdits(c.d, in, virtual)
					if len(es) > 0 {
						eds = append(eds, es...)
						ch.line(in)
					}
					unmapped = append(unmapped, um...)
				}
			}
			if len(unmapped) > 0 {
				// unknown names are never written into a command
				ch.advise("slimpy cannot write these for Debian: %s: move the stages by hand (a package slimpy has no Debian name for: install a Python library with pip, or find the Debian name)", strings.Join(unmapped, ", "))
				advice = true
				continue
			}
			ch.edits = append(ch.edits, eds...)
		}
		if advice {
			ch.edits = nil
		}
		return nonEmpty(ch)
	},
}

// exchangeGroups are the stages grouped by what they share: a stage is
// with the one it is built FROM and the ones it COPYs Python packages,
// programs or libraries from (not, say, a frontend's static files).
func exchangeGroups(d *Dockerfile) [][]*Stage {
	parent := make([]int, len(d.Stages))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) { parent[find(a)] = find(b) }
	m := d.Model()
	for _, st := range d.Stages {
		if st.BaseStage != nil {
			union(st.Index, st.BaseStage.Index)
		}
		for _, c := range m.Stages[st.Index].Copies {
			if c.In.Stage == st && (c.From.hasPackages(c.Src) || strings.Contains(c.Src, "/bin") || strings.Contains(c.Src, "/lib") || strings.HasPrefix(c.Src, "/usr")) {
				union(st.Index, c.From.St.Index)
			}
		}
	}
	byRoot := map[int][]*Stage{}
	var roots []int
	for _, st := range d.Stages {
		r := find(st.Index)
		if byRoot[r] == nil {
			roots = append(roots, r)
		}
		byRoot[r] = append(byRoot[r], st)
	}
	var out [][]*Stage
	for _, r := range roots {
		out = append(out, byRoot[r])
	}
	return out
}

// apkEdits rewrites the apk, adduser and addgroup commands of a RUN for
// Debian.
func apkEdits(d *Dockerfile, in *Instruction, virtual map[string][]string) ([]edit, []string) {
	if in.Keyword != "RUN" {
		return nil, nil
	}
	if !in.editable() {
		// a heredoc (or a RUN the shell parser could not read) is never
		// rewritten: its apk and busybox commands would stay
		var left []string
		for _, c := range in.calls() {
			if n := c.Name(); n == "apk" || n == "adduser" || n == "addgroup" {
				left = appendUnique(left, n+" (line "+strconv.Itoa(in.StartLine)+", not rewritten)")
			}
		}
		return nil, left
	}
	var eds []edit
	var unmapped []string
	for _, call := range in.calls() {
		var text string
		switch call.Name() {
		case "apk":
			p := pkgCommand(in, call)
			if p == nil {
				continue
			}
			switch {
			case p.is("add"):
				var debs []string
				for _, n := range p.names() {
					deb, ok := apkToDeb[n]
					if !ok {
						deb = n
						unmapped = append(unmapped, n)
					}
					if deb != "" {
						debs = appendUnique(debs, deb)
					}
				}
				for k, o := range p.opts {
					if (o.Value == "--virtual" || o.Value == "-t") && k+1 < len(p.opts) {
						virtual[p.opts[k+1].Value] = debs
					}
				}
				text = "apt-get update && apt-get install -y --no-install-recommends " + strings.Join(debs, " ") + " && rm -rf /var/lib/apt/lists/*"
				if len(debs) == 0 {
					// every package is in the Debian image already
					// (python3-dev on python:*-slim): nothing to fetch
					text = "true"
				}
			case p.is("del"):
				// only build tools are purged: on Debian the others may
				// be the base's own (dpkg, ca-certificates)
				var debs []string
				for _, n := range p.names() {
					cands := virtual[n]
					if _, ok := virtual[n]; !ok {
						cands = []string{apkToDeb[n]}
					}
					for _, deb := range cands {
						if deb != "" && isBuildPkg(deb) {
							debs = appendUnique(debs, deb)
						}
					}
				}
				text = "apt-get purge -y --auto-remove " + strings.Join(debs, " ")
				if len(debs) == 0 {
					// nothing to purge: the command goes, where it is a
					// command of its own in a longer RUN
					if k := soleCallSegment(in, call); k >= 0 && len(in.Shell.Segments) > 1 {
						eds = append(eds, removeSegment(in.Shell, k))
						continue
					}
					text = "true"
				}
			case p.is("update"):
				text = "apt-get update"
			case p.is("upgrade"):
				text = "apt-get upgrade -y"
			default:
				continue
			}
		case "adduser", "addgroup":
			text = debianUserCmd(call)
			if text == "" {
				unmapped = append(unmapped, call.wordsText()+" (busybox options)")
				continue
			}
		case "wget", "unzip", "nc", "xxd", "bc":
			// busybox has them on Alpine; Debian slim has not
			if !stageInstalls(d, in.Stage, call.Name()) {
				unmapped = appendUnique(unmapped, call.Name()+" (busybox's, not in Debian slim)")
			}
			continue
		default:
			continue
		}
		eds = append(eds, edit{start: call.Start, end: call.End, text: text})
	}
	return eds, unmapped
}

// soleCallSegment is the index of the segment of in whose only command
// is call, outside an || list; -1 when there is none.
func soleCallSegment(in *Instruction, call *Call) int {
	for k, seg := range in.Shell.Segments {
		if len(seg.Calls) == 1 && seg.Calls[0] == call && !seg.Or && !call.Nested {
			return k
		}
	}
	return -1
}

// stageInstalls: the stage (or its chain) installs the OS package.
func stageInstalls(d *Dockerfile, st *Stage, pkg string) bool {
	return d.Model().Stages[st.Index].OSPkgs[pkg] != nil
}

// debianUserCmd maps busybox adduser/addgroup to useradd/groupadd.
func debianUserCmd(c *Call) string {
	args := c.Args()
	var out []string
	var pos []string
	system, noHome := false, false
	for i := 0; i < len(args); i++ {
		v := args[i].Value
		next := func() string {
			if i+1 < len(args) {
				i++
				return args[i].Value
			}
			return ""
		}
		switch v {
		case "-S":
			system = true
		case "-D":
		case "-H":
			noHome = true
		case "-u":
			out = append(out, "--uid", next())
		case "-g":
			if c.Name() == "addgroup" {
				out = append(out, "--gid", next())
			} else {
				next() // GECOS
			}
		case "-G":
			out = append(out, "--gid", next())
		case "-s":
			out = append(out, "--shell", next())
		case "-h":
			out = append(out, "--home-dir", next())
		default:
			if strings.HasPrefix(v, "-") {
				return "" // unknown option: leave it alone
			}
			pos = append(pos, v)
		}
	}
	if len(pos) != 1 {
		return ""
	}
	if c.Name() == "addgroup" {
		cmd := []string{"groupadd"}
		if system {
			cmd = append(cmd, "--system")
		}
		return strings.Join(append(append(cmd, out...), pos[0]), " ")
	}
	cmd := []string{"useradd", "--no-log-init"}
	if system {
		cmd = append(cmd, "--system")
	}
	if !noHome {
		// busybox adduser makes the home (-h DIR, or /home/NAME) unless -H
		cmd = append(cmd, "--create-home")
	}
	return strings.Join(append(append(cmd, out...), pos[0]), " ")
}
