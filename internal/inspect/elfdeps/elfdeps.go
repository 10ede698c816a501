// Package elfdeps reads which libraries the compiled extension modules of
// a Python library tree link (the DT_NEEDED entries of their ELF headers),
// as the small value per file that a layer.DerivedStore keeps by layer:
// the walk of inspect derives it as the files stream by, and the
// suggestions read it (internal/suggest, ReadRuntimeLibs) to keep the
// runtime libraries in a multistage rewrite.
package elfdeps

import (
	"bytes"
	"debug/elf"
	"path"
	"strings"
)

// Kind names the values in a layer.DerivedStore, with the version of
// their encoding: a change of Needed's encoding changes it.
const Kind = "elf-needed-1"

// MaxRead bounds the bytes read of one shared object when it is read
// apart from the walk (the largest wheels' libraries are a few hundred MB).
const MaxRead = 512 << 20

// IsSharedObject reports whether a file name is a shared object's
// ("_ssl.cpython-311-x86_64-linux-gnu.so", "libpq.so.5").
func IsSharedObject(name string) bool {
	return strings.HasSuffix(name, ".so") || strings.Contains(name, ".so.")
}

// Candidate reports whether the file at p (absolute) may be a compiled
// extension module or a library bundled with one: a shared object under
// a site-packages or dist-packages directory.
func Candidate(p string) bool {
	// The name first: the walk asks of every file, and few are .so.
	return IsSharedObject(path.Base(p)) &&
		(strings.Contains(p, "/site-packages/") || strings.Contains(p, "/dist-packages/"))
}

// Needed is the value kept of a shared object's content: "N" for no ELF
// file, "X" for one whose imports cannot be read, else "E" and the
// DT_NEEDED entries, one per line. Content is the image's: should
// debug/elf panic on it, the imports cannot be read.
func Needed(content []byte) (v []byte) {
	defer func() {
		if recover() != nil {
			v = []byte("X")
		}
	}()
	ef, err := elf.NewFile(bytes.NewReader(content))
	if err != nil {
		return []byte("N")
	}
	defer ef.Close()
	needed, err := ef.ImportedLibraries()
	if err != nil {
		return []byte("X")
	}
	return []byte("E" + strings.Join(needed, "\n"))
}

// Parse reads Needed's value back: the libraries (nil when they could not
// be read) and whether the file is an ELF object.
func Parse(v []byte) (needed []string, isELF bool) {
	switch {
	case len(v) == 0 || v[0] == 'N':
		return nil, false
	case v[0] == 'X':
		return nil, true
	case len(v) == 1:
		return []string{}, true
	}
	return strings.Split(string(v[1:]), "\n"), true
}
