package layer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/slimpy/slimpy/internal/safefile"
)

// DerivedStore keeps small values derived from a layer's files (the
// libraries a shared object links, read from its ELF header), by the
// layer's diffID, one file per layer and kind of value beside the layer
// cache, so a later run need not stream the layer again to know them.
// Entries are evicted with the layer cache's (TrimCache).
type DerivedStore struct {
	dir string // "" disables the store
}

// MaxDerivedContent bounds the content the walker holds of one file to
// derive a value from (Derive): a larger file gets no value at walk time,
// and whoever needs one reads it from the layer later.
const MaxDerivedContent = 16 << 20

// MaxDerivedValues bounds the bytes of the values (and their paths) one
// walk derives of a layer: the DT_NEEDED lists of the ~140 shared objects
// numpy and scipy store in one layer take ~17 KB; a layer of crafted
// files gets no more.
const MaxDerivedValues = 4 << 20

// Derive asks the walker for a small value derived from the content of
// each regular file stored at a path Want accepts, of at most
// MaxDerivedContent bytes, as the file streams by (Data.Derived): what a
// later reader would otherwise stream the layer again for.
type Derive struct {
	Kind  string // the DerivedStore kind the values are kept as
	Want  func(stored string) bool
	Value func(content []byte) []byte // must not keep content
}

// wants reports whether the walk derives a value of the file at p.
func (d *Derive) wants(p string, size int64) bool {
	return d != nil && size <= MaxDerivedContent && d.Want(p)
}

// derivedFormat changes whenever an entry's encoding changes.
const derivedFormat = 1

// NewDerivedStore is the store of values of kind (a short name, its
// version in it: "elf-needed-1") below root; root "" keeps nothing.
func NewDerivedStore(root, kind string) DerivedStore {
	if root == "" || kind == "" || strings.ContainsAny(kind, `/\.`) {
		return DerivedStore{}
	}
	return DerivedStore{dir: filepath.Join(root, fmt.Sprintf("derived-v%d", derivedFormat), kind)}
}

// derivedEntry is the file's content: the diffID it is for (a file moved
// or copied under another name is a miss) and the values by stored path.
type derivedEntry struct {
	DiffID string            `json:"diffID"`
	Values map[string][]byte `json:"values"`
}

// Dir is the directory of the entries, "" when the store keeps nothing.
func (s DerivedStore) Dir() string { return s.dir }

func (s DerivedStore) path(diffID string) string {
	algo, hex, ok := strings.Cut(diffID, ":")
	if !ok || s.dir == "" || strings.ContainsAny(hex, `/\.`) || strings.ContainsAny(algo, `/\.`) {
		return ""
	}
	return filepath.Join(s.dir, algo, hex+".values")
}

// Load returns the values kept for the layer, nil on a miss; a damaged
// entry is a miss.
func (s DerivedStore) Load(diffID string) map[string][]byte {
	p := s.path(diffID)
	if p == "" {
		return nil
	}
	b, err := safefile.ReadRegular(p, MaxCacheEntry)
	if err != nil {
		return nil
	}
	var e derivedEntry
	if json.NewDecoder(bytes.NewReader(b)).Decode(&e) != nil || e.DiffID != diffID {
		return nil
	}
	TouchEntry(p)
	return e.Values
}

// Store writes the layer's values atomically; failing to is not fatal.
func (s DerivedStore) Store(diffID string, values map[string][]byte) {
	p := s.path(diffID)
	if p == "" {
		return
	}
	_ = WriteCacheFile(p, func(w io.Writer) error {
		return json.NewEncoder(w).Encode(derivedEntry{DiffID: diffID, Values: values})
	})
}
