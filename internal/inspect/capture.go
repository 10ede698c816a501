package inspect

import (
	"path"
	"strings"
)

// maxCapturedFile bounds the bytes kept of one captured file. Package
// databases of real images stay well below it (a bookworm dpkg status with
// build-essential is ~1 MB; apt's compressed Packages lists ~10 MB).
const maxCapturedFile = 32 << 20

// captureVersion changes whenever wantContent changes, so that cached layer
// data made under the old rule is not reused.
const captureVersion = 2

// wantContent reports whether the walker keeps the content of the regular
// file at p: the inputs of the package inventories and of the rules. Keep it
// cheap: it runs for every entry of every layer.
func wantContent(p string, size int64) bool {
	if size > maxCapturedFile {
		return false
	}
	switch p {
	case "/var/lib/dpkg/status", "/lib/apk/db/installed", "/usr/lib/apk/db/installed", "/etc/os-release",
		"/usr/lib/os-release", "/etc/debian_version", "/etc/alpine-release":
		return true
	}
	dir, base := path.Split(p)
	switch {
	case dir == "/var/lib/dpkg/status.d/":
		return true
	case dir == "/var/lib/dpkg/info/":
		return strings.HasSuffix(base, ".list")
	case dir == "/var/lib/apt/lists/":
		return strings.Contains(base, "_Packages")
	case base == "pyvenv.cfg":
		return true
	case base == "patchlevel.h":
		// PREFIX/include/python3.N/patchlevel.h names the full version of
		// an interpreter built from source (/usr/local, conda).
		return strings.Contains(dir, "/include/python")
	}
	parent := path.Base(dir)
	switch {
	case strings.HasSuffix(parent, ".dist-info"):
		return base == "METADATA" || base == "RECORD" || base == "INSTALLER"
	case strings.HasSuffix(parent, ".egg-info"):
		return base == "PKG-INFO" || base == "installed-files.txt"
	case strings.HasSuffix(base, ".egg-info"):
		// a legacy single-file egg-info is itself the PKG-INFO
		return true
	}
	return false
}
