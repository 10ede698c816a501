package inspect

import (
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/inventory"
	"github.com/slimpy/slimpy/internal/inspect/layer"
)

// The union of the declarations keeps what the inventories and the rules
// read, and nothing else.
func TestCapturesUnion(t *testing.T) {
	c := theCaptures()
	for _, tc := range []struct {
		path string
		size int64
		want bool
	}{
		{"/var/lib/dpkg/status", 1 << 20, true},
		{"/var/lib/dpkg/status", layer.MaxCapturedFile + 1, false},
		{"/var/lib/dpkg/status-old", 100, false},
		{"/var/lib/dpkg/status.d/base", 100, true},
		{"/var/lib/dpkg/info/libc6.list", 100, true},
		{"/var/lib/dpkg/info/libc6.md5sums", 100, false},
		{"/lib/apk/db/installed", 100, true},
		{"/usr/lib/apk/db/installed", 100, true},
		{"/etc/os-release", 100, true},
		{"/usr/lib/os-release", 100, true},
		{"/etc/debian_version", 100, true}, // SP401
		{"/etc/alpine-release", 100, false},
		{"/usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA", 100, true},
		{"/x.dist-info/RECORD", 100, true},
		{"/usr/local/lib/python3.11/site-packages/a-1.dist-info/INSTALLER", 100, true},
		{"/usr/local/lib/python3.11/site-packages/a-1.dist-info/WHEEL", 100, false},
		{"/usr/lib/python3/dist-packages/six-1.16.0.egg-info", 100, true},
		{"/usr/lib/python3/dist-packages/b.egg-info/PKG-INFO", 100, true},
		{"/usr/lib/python3/dist-packages/b.egg-info/installed-files.txt", 100, true},
		{"/usr/lib/python3/dist-packages/b.egg-info/top_level.txt", 100, false},
		{"/opt/venv/pyvenv.cfg", 100, true},
		{"/pyvenv.cfg", 100, true},
		{"/usr/local/include/python3.11/patchlevel.h", 100, true},
		{"/opt/conda/include/python3.12/patchlevel.h", 100, true},
		{"/usr/include/patchlevel.h", 100, false},
		{"/usr/include/pythonic/patchlevel.h", 100, true},
		{"/usr/xinclude/python3/patchlevel.h", 100, false},
		{"/var/lib/apt/lists/deb_dists_bookworm_main_binary-amd64_Packages.lz4", 100, false}, // streamed, not whole
		{"/usr/bin/python3", 100, false},
	} {
		if got := c.Want(tc.path, tc.size); got != tc.want {
			t.Errorf("want(%q, %d) = %v, want %v", tc.path, tc.size, got, tc.want)
		}
	}
	for p, want := range map[string]bool{
		"/var/lib/apt/lists/deb_dists_bookworm_main_binary-amd64_Packages":     true,
		"/var/lib/apt/lists/deb_dists_bookworm_main_binary-amd64_Packages.zst": true,
		"/var/lib/apt/lists/deb_dists_bookworm_main_binary-amd64_Packages.xz":  false,
		"/var/lib/apt/lists/deb_dists_bookworm_InRelease":                      false,
		"/var/lib/apt/lists/partial/x_Packages":                                false,
	} {
		if got := c.Streamed(p); got != want {
			t.Errorf("streamed(%q) = %v, want %v", p, got, want)
		}
	}
}

// A rule that reads a new file declares it, and the layer cache's key
// follows: no version to bump by hand. The order of declarations does not
// matter.
func TestReadsKey(t *testing.T) {
	base := layer.Compile(inventory.Reads)
	extra := layer.Reads{Patterns: []string{"/etc/shadow"}}
	with := layer.Compile(append(append([]layer.Reads(nil), inventory.Reads...), extra))
	if base.Key() == with.Key() {
		t.Error("a new declaration keeps the cache key")
	}
	if !with.Want("/etc/shadow", 10) || base.Want("/etc/shadow", 10) {
		t.Error("the new declaration is not in the union")
	}
	again := layer.Compile(append([]layer.Reads{extra}, inventory.Reads...))
	if again.Key() != with.Key() {
		t.Error("the key depends on the order of the declarations")
	}
	small := layer.Compile(append(append([]layer.Reads(nil), inventory.Reads...), layer.Reads{Patterns: []string{"/etc/shadow"}, MaxSize: 5}))
	if small.Key() == with.Key() || small.Want("/etc/shadow", 10) {
		t.Error("a size limit is not part of the declaration")
	}
	if len(theCaptures().Key()) != 12 || strings.Trim(theCaptures().Key(), "0123456789abcdef") != "" {
		t.Errorf("key %q, want 12 hex digits", theCaptures().Key())
	}
}
