package suggest

import (
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slimpy/slimpy/internal/inspect/inventory"
)

// What slimpy knows about base images: the OS and libc under a FROM, where
// its Python lives and which X.Y it is, the users it has, and which tags
// its registry publishes on a given day (docs/suggestions.md, "The model").

// Base is what a FROM image brings, as far as its reference tells.
type Base struct {
	Ref     imageRef
	Family  string // python, debian, ubuntu, alpine, scratch, distroless, conda, micromamba, jupyter; "" unknown
	Distro  string // debian, ubuntu, alpine; "" unknown or none
	Release string // bookworm, 22.04, 3.20; "" unknown
	Libc    string // glibc, musl; "" unknown or none (scratch)
	Python  Python // the interpreter `python3` runs; zero: none or unknown
	// NoShell: no /bin/sh (scratch, distroless): RUN and shell-form
	// commands cannot run.
	NoShell bool
	// Known: slimpy knows the image's users and its top directories.
	Known bool
	// User is the image's own non-root USER ("" root or unknown).
	User  string
	users []string
}

// Python is an interpreter: its X.Y and the prefix it is installed in.
type Python struct {
	Version string // "3.11"; "" unknown
	Prefix  string // /usr/local, /usr, /opt/conda
}

// SitePackages is where pip installs for this interpreter into its prefix
// ("" when the version is unknown).
func (p Python) SitePackages() string {
	if p.Version == "" || p.Prefix == "" {
		return ""
	}
	if p.Prefix == "/usr" {
		return "/usr/local/lib/python" + p.Version + "/dist-packages"
	}
	return p.Prefix + "/lib/python" + p.Version + "/site-packages"
}

var debianUsers = []string{"root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy",
	"www-data", "backup", "list", "irc", "gnats", "nobody", "_apt",
	// groups only
	"adm", "tty", "disk", "kmem", "dialout", "fax", "voice", "cdrom", "floppy", "tape", "sudo", "audio", "dip", "operator",
	"src", "shadow", "utmp", "video", "sasl", "plugdev", "staff", "users", "nogroup"}
var alpineUsers = []string{"root", "bin", "daemon", "adm", "lp", "sync", "shutdown", "halt", "mail", "news", "uucp", "operator",
	"man", "postmaster", "cron", "ftp", "sshd", "at", "squid", "xfs", "games", "cyrus", "vpopmail", "ntp", "smmsp", "guest", "nobody",
	// groups only
	"sys", "tty", "disk", "mem", "kmem", "wheel", "floppy", "console", "audio", "cdrom", "dialout", "input", "tape", "video",
	"netdev", "readproc", "kvm", "shadow", "cdrw", "www-data", "usb", "users", "nofiles", "locate", "abuild", "utmp", "ping", "nogroup"}

// distroPython is the python3 of each release (ubuntu by number).
var distroPython = map[string]string{
	"debian:stretch": "3.5", "debian:buster": "3.7", "debian:bullseye": "3.9", "debian:bookworm": "3.11", "debian:trixie": "3.13",
	"ubuntu:16.04": "3.5", "ubuntu:18.04": "3.6", "ubuntu:20.04": "3.8", "ubuntu:22.04": "3.10", "ubuntu:24.04": "3.12", "ubuntu:26.04": "3.14",
	"alpine:3.15": "3.9", "alpine:3.16": "3.10", "alpine:3.17": "3.10", "alpine:3.18": "3.11", "alpine:3.19": "3.11",
	"alpine:3.20": "3.12", "alpine:3.21": "3.12", "alpine:3.22": "3.12",
}

// distroExtraPython are the other python3.X packages of a release's own
// archive; deadsnakesPython those of the deadsnakes PPA (Ubuntu LTS).
var distroExtraPython = map[string][]string{"ubuntu:18.04": {"3.7", "3.8"}, "ubuntu:20.04": {"3.9"}, "ubuntu:22.04": {"3.11"}}
var deadsnakesPython = map[string][]string{
	"ubuntu:20.04": {"3.7", "3.9", "3.10", "3.11", "3.12", "3.13"},
	"ubuntu:22.04": {"3.9", "3.11", "3.12", "3.13", "3.14", "3.15"},
	"ubuntu:24.04": {"3.9", "3.10", "3.11", "3.13", "3.14", "3.15"},
	"ubuntu:26.04": {"3.9", "3.10", "3.11", "3.12", "3.13", "3.15"},
}

// distroHasPython: python3.X (ver "3.X") can be installed with apt on the
// release (deadsnakes: the PPA is added); ok is false when slimpy does not
// know the release.
func distroHasPython(distro, release, ver string, deadsnakes bool) (has, ok bool) {
	key := distro + ":" + release
	def, known := distroPython[key]
	if !known {
		return false, false
	}
	if def == ver {
		return true, true
	}
	for _, v := range distroExtraPython[key] {
		if v == ver {
			return true, true
		}
	}
	if deadsnakes {
		for _, v := range deadsnakesPython[key] {
			if v == ver {
				return true, true
			}
		}
	}
	return false, true
}

// baseOf reads what a FROM reference tells about the image.
func baseOf(ref string) Base {
	r := parseRef(ref)
	b := Base{Ref: r}
	repo := strings.ToLower(r.repo)
	name, last := r.name(), r.lastElem() // the official image's; anyone's
	switch {
	case ref == "scratch":
		b.Family, b.NoShell, b.Known = "scratch", true, true
		b.users = []string{}
	case strings.HasPrefix(repo, "cgr.dev/chainguard/"):
		// Wolfi (glibc), running as nonroot (65532); only the -dev tags
		// have a shell and apk
		b.Family, b.Distro, b.Libc, b.User, b.Known = "chainguard", "wolfi", "glibc", "nonroot", true
		b.NoShell = !strings.Contains(r.tag, "-dev")
		b.users = []string{"root", "nonroot"}
		if strings.HasPrefix(path.Base(repo), "python") {
			b.Python = Python{Prefix: "/usr"}
		}
	case strings.Contains(repo, "distroless"):
		b.Family, b.Libc, b.Known = "distroless", "glibc", true
		b.NoShell = !strings.Contains(r.tag, "debug")
		b.users = []string{"root", "nobody", "nonroot"}
		if strings.Contains(last, "python3") {
			b.Python = Python{"3.11", "/usr"}
			if strings.Contains(repo, "debian13") {
				b.Python.Version = "3.13"
			}
		}
		if strings.Contains(last, "static") {
			b.Libc = ""
		}
	case name == "python" && !strings.Contains(r.tag, "windows") && !strings.Contains(r.tag, "nanoserver") && !strings.Contains(ref, "$"):
		b.Family, b.Known = "python", true
		ver, variant := splitPythonTag(r.tag)
		b.Python = Python{Version: minorOf(ver), Prefix: "/usr/local"}
		if !strings.Contains(ver, ".") {
			b.Python.Version = ""
		}
		b.Distro, b.Libc, b.users = "debian", "glibc", debianUsers
		for _, p := range strings.Split(variant, "-") {
			if strings.HasPrefix(p, "alpine") {
				b.Distro, b.Libc, b.users = "alpine", "musl", alpineUsers
				b.Release = strings.TrimPrefix(p, "alpine")
			}
			if _, ok := debianCodenames[p]; ok {
				b.Release = p
			}
		}
	case name == "debian" && r.repo != "" && !strings.Contains(ref, "$"):
		b.Family, b.Distro, b.Libc, b.Known, b.users = "debian", "debian", "glibc", true, debianUsers
		rel, _, _ := strings.Cut(r.tag, "-")
		if c, ok := numericDebian(rel); ok {
			rel = c
		}
		if _, ok := debianCodenames[rel]; ok {
			b.Release = rel
		}
	case name == "ubuntu" && !strings.Contains(ref, "$"):
		b.Family, b.Distro, b.Libc, b.Known, b.users = "ubuntu", "ubuntu", "glibc", true, debianUsers
		rel := r.tag
		if n, ok := ubuntuCodenames[rel]; ok {
			rel = n
		}
		if _, ok := ubuntuRelease(rel); ok {
			b.Release = rel
		}
		if b.Release >= "24.04" {
			b.users = append(append([]string(nil), debianUsers...), "ubuntu")
		}
	case name == "alpine" && !strings.Contains(ref, "$"):
		b.Family, b.Distro, b.Libc, b.Known, b.users = "alpine", "alpine", "musl", true, alpineUsers
		if r.tag != "" && r.tag != "latest" {
			b.Release = minorOf(r.tag)
		}
	case last == "micromamba":
		b.Family, b.Distro, b.Libc, b.User = "micromamba", "debian", "glibc", "mambauser"
		b.Python = Python{Prefix: "/opt/conda"}
		b.users = append(append([]string(nil), debianUsers...), "mambauser")
		b.Known = true
	case last == "miniconda3" || last == "miniforge3" || last == "mambaforge" || last == "anaconda3":
		b.Family, b.Distro, b.Libc, b.Known, b.users = "conda", "debian", "glibc", true, debianUsers
		b.Python = Python{Prefix: "/opt/conda"}
	case strings.HasPrefix(repo, "jupyter/") || strings.Contains(repo, "/jupyter/"):
		b.Family, b.Distro, b.Libc, b.User = "jupyter", "ubuntu", "glibc", "jovyan"
		b.Python = Python{Prefix: "/opt/conda"}
		b.users = append(append([]string(nil), debianUsers...), "jovyan", "users")
		b.Known = true
	}
	if b.Family == "" && strings.Contains(r.tag, "alpine") {
		b.Libc = "musl"
	}
	return b
}

// hasUser: the image has the user or group (known only for Known bases).
func (b Base) hasUser(name string) bool { return slices.Contains(b.users, name) }

// ------------------------------------------------------------------ tags

// pythonTagRe is how the python image spells its tags: a CPython version
// (3, 3.12, 3.12.5, 3.15.0b3, 3.15.0rc1), the pre-release key 3.15-rc, and
// a variant.
var preReleaseRe = regexp.MustCompile(`(a|b|rc)\d+$`)

var pythonTagRe = regexp.MustCompile(`^(\d+(?:\.\d+(?:\.\d+(?:(?:a|b|rc)\d+)?)?)?(?:-rc)?)?(?:-?(.*))$`)

func splitPythonTag(tag string) (version, variant string) {
	m := pythonTagRe.FindStringSubmatch(tag)
	if m == nil {
		return "", tag
	}
	return m[1], m[2]
}

func joinPythonTag(version, variant string) string {
	switch {
	case version == "":
		return variant
	case variant == "":
		return version
	}
	return version + "-" + variant
}

// minorOf is the X.Y of a version ("3.15.0b3" → "3.15", "3.15-rc" → "3.15").
func minorOf(v string) string {
	v = strings.TrimSuffix(v, "-rc")
	p := strings.SplitN(v, ".", 3)
	if len(p) < 2 {
		return v
	}
	return p[0] + "." + p[1]
}

// pythonFirstRelease is the date each CPython minor's final release came
// out (3.15: planned).
var pythonFirstRelease = map[string]time.Time{
	"3.6": day("2016-12-23"), "3.7": day("2018-06-27"), "3.8": day("2019-10-14"), "3.9": day("2020-10-05"),
	"3.10": day("2021-10-04"), "3.11": day("2022-10-24"), "3.12": day("2023-10-02"), "3.13": day("2024-10-07"),
	"3.14": day("2025-10-07"), "3.15": day("2026-10-01"),
}

// debianReleased is when each Debian release came out.
var debianReleased = map[string]time.Time{
	"stretch": day("2017-06-17"), "buster": day("2019-07-06"), "bullseye": day("2021-08-14"), "bookworm": day("2023-06-10"), "trixie": day("2025-08-09"),
}

// debianDropped is when the python images stopped being built on the
// Debian release (zero while they still are): docker-library builds on
// the two newest releases, so a release's images stop when the one two
// after it comes out (buster's with bookworm, bullseye's with trixie).
func debianDropped(codename string) time.Time {
	i := slices.Index(debianByVersion, codename)
	if i < 0 || i+2 >= len(debianByVersion) {
		return time.Time{}
	}
	return debianReleased[debianByVersion[i+2]]
}

// alpineDropped is when the python images stopped being built on the
// Alpine release (zero while they still are, or unknown): they cover the
// two newest releases, so 3.7's stopped when 3.9 came out (two years
// before its end of support).
func alpineDropped(v string) time.Time {
	minor, err := strconv.Atoi(strings.TrimPrefix(v, "3."))
	if !strings.HasPrefix(v, "3.") || err != nil {
		return time.Time{}
	}
	end, ok := alpineEnd("3." + strconv.Itoa(minor+2))
	if !ok {
		return time.Time{}
	}
	return end.AddDate(-2, 0, 0)
}

func day(s string) time.Time {
	t, _ := time.Parse("2006-01-02", s)
	return t
}

// alpineEnd is the end of support of Alpine 3.N (inspect's table).
func alpineEnd(v string) (time.Time, bool) {
	r, ok := alpineRelease(v)
	return r.EOL, ok
}

// pythonAlpines are the Alpine releases the python image is built on at
// now: the two newest released.
func pythonAlpines(now time.Time) []string {
	var out []string
	for m := 0; m <= 40; m++ {
		v := "3." + strconv.Itoa(m)
		end, ok := alpineEnd(v)
		if ok && !end.AddDate(-2, 0, 0).After(now) {
			out = append(out, v)
		}
	}
	if len(out) > 2 {
		out = out[len(out)-2:]
	}
	return out
}

// pythonDebians are the Debian releases the python image is built on at
// now: the two newest released.
func pythonDebians(now time.Time) []string {
	var out []string
	for _, c := range debianByVersion {
		if t, ok := debianReleased[c]; ok && !t.After(now) {
			out = append(out, c)
		}
	}
	if len(out) > 2 {
		out = out[len(out)-2:]
	}
	return out
}

// pythonTagProblem says what is wrong with a python image tag at now: ""
// when the registry publishes it and still builds it; spelling: it was
// never published.
func pythonTagProblem(tag string, now time.Time) (why string, spelling bool) {
	ver, variant := splitPythonTag(tag)
	if variant == "latest" && ver == "" {
		return "", false
	}
	pre := strings.HasSuffix(ver, "-rc") || preReleaseRe.MatchString(ver)
	if ver != "" {
		minor := minorOf(ver)
		if minor != "3" {
			rel, ok := inventory.PythonRelease(minor)
			first, known := pythonFirstRelease[minor]
			switch {
			case !known && !ok:
				return "python " + minor + " is not a CPython release slimpy knows", true
			case ok && now.After(rel.EOL):
				return "python " + minor + " is past its end of life (" + rel.EOL.Format("2006-01-02") + "): its tags are no longer built", false
			case pre && known && !first.After(now):
				return "python " + minor + " is released: its pre-release tags are no longer built", false
			case !pre && known && first.After(now):
				return "python " + minor + " is not released yet: its tags are " + minor + "-rc or " + minor + ".0b1-style pre-release versions", true
			}
		}
	}
	if variant == "" {
		return "", false
	}
	parts := strings.Split(variant, "-")
	for i, p := range parts {
		switch {
		case p == "slim" && i == 0:
		case p == "alpine" && i == len(parts)-1:
		case strings.HasPrefix(p, "alpine3."):
			rel := strings.TrimPrefix(p, "alpine")
			if py, ok := inventory.PythonRelease(minorOf(ver)); ok && ver != "" {
				if end, known := alpineEnd(rel); known && end.AddDate(-2, 0, 0).After(py.EOL) {
					return "python " + minorOf(ver) + " was never built on Alpine " + rel + " (its support ended before Alpine " + rel + " came out)", true
				}
			}
			if first, ok := pythonFirstRelease[minorOf(ver)]; ok && ver != "" && !alpineDropped(rel).IsZero() && first.After(alpineDropped(rel)) {
				return "python " + minorOf(ver) + " was never built on Alpine " + rel + " (its images stopped before " + minorOf(ver) + " came out)", true
			}
			built := pythonAlpines(now)
			if !slices.Contains(built, rel) {
				return "python images are built on Alpine " + strings.Join(built, " and ") + " only, not " + rel, false
			}
		case debianCodenames[p] != "":
			if rel, ok := inventory.PythonRelease(minorOf(ver)); ok && ver != "" && debianReleased[p].After(rel.EOL) {
				return "python " + minorOf(ver) + " was never built on " + p + " (its support ended before " + p + " came out)", true
			}
			if first, ok := pythonFirstRelease[minorOf(ver)]; ok && ver != "" && !debianDropped(p).IsZero() && first.After(debianDropped(p)) {
				return "python " + minorOf(ver) + " was never built on " + p + " (its images stopped before " + minorOf(ver) + " came out)", true
			}
			built := pythonDebians(now)
			if !slices.Contains(built, p) {
				return "python images are built on Debian " + strings.Join(built, " and ") + " only, not " + p, false
			}
		case strings.HasPrefix(p, "windowsservercore") || strings.HasPrefix(p, "nanoserver") || strings.HasPrefix(p, "ltsc"):
		default:
			return "no python image variant is spelled " + strconv.Quote(variant), true
		}
	}
	return "", false
}
