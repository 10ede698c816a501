package layer

import "strings"

// Kind is the type of a file system entry.
type Kind uint8

const (
	KindFile Kind = iota
	KindDir
	KindSymlink
	KindHardlink // only in layer data; merged nodes resolve to KindFile
	KindChar
	KindBlock
	KindFifo
)

var kindNames = [...]string{"file", "dir", "symlink", "hardlink", "char", "block", "fifo"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Entry is one entry of a layer tarball, normalised: whiteout markers are
// not entries (see Data.Whiteouts and Data.Opaques).
type Entry struct {
	Path string // absolute and clean: "/usr/bin/python3"
	Kind Kind
	Size int64  // content bytes of a regular file; 0 for every other kind
	Mode uint32 // permission bits plus setuid/setgid/sticky (as in tar)
	UID  int
	GID  int
	Link string // symlink target as stored; hardlink target as an absolute clean path
	Hash uint64 // xxh3-64 of the content of a non-empty regular file
}

// Data is what one pass over a layer tarball yields. It depends only on
// the layer's uncompressed content, so it is cached by diffID.
type Data struct {
	DiffID    string
	Entries   []Entry  // in tar order
	Whiteouts []string // paths this layer deletes from the layers below
	Opaques   []string // directories whose lower contents this layer hides
	// Contents holds the bytes of the small files the inventories need
	// (package databases, dist-info metadata, os-release), by path.
	Contents map[string][]byte
	// StoredBytes is the sum of regular-file sizes in the tarball.
	StoredBytes int64
	// StoredFiles counts regular-file entries (not hardlinks).
	StoredFiles int
	// TarBytes is the length of the uncompressed tar stream.
	TarBytes int64
	// Derived are the values a Derive asked the walk for, by stored path;
	// not part of the layer cache's entry (a DerivedStore keeps them).
	Derived      map[string][]byte
	derivedBytes int64 // of Derived's paths and values, and of those dropped

	// checked is set by the walker, whose entries are clean by
	// construction: Merge checks the entries of any other Data (the
	// caches' included) before trusting them.
	checked bool
}

// Checked reports whether d came from the walker, whose entries are clean
// by construction (a merge checks those of any other).
func (d *Data) Checked() bool { return d.checked }

// MaxPathLen bounds the length of an entry's path. Linux refuses paths
// longer than PATH_MAX (4096 bytes), so no engine writes a longer one; the
// bound leaves room for hostile or synthetic layers (a 4096-deep path is
// 8 KiB) while keeping the directories one name implies (one per "/")
// bounded.
const MaxPathLen = 64 << 10

// SplitAbs splits a clean absolute path below the root into its directory
// ("/" for a top-level name) and its last element.
func SplitAbs(p string) (dir, name string) {
	i := strings.LastIndexByte(p, '/')
	if i == 0 {
		return "/", p[1:]
	}
	return p[:i], p[i+1:]
}
