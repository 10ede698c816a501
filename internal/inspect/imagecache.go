package inspect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/slimpy/slimpy/internal/inspect/codec"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/slimpy/slimpy/internal/safefile"
	"github.com/zeebo/xxh3"
)

// The image cache keeps the report of a whole image, beside the layer
// cache: a warm `slimpy inspect` then reads one file instead of reading,
// merging and inventorying every layer again (~1 s on a 229k-entry image
// with the layer cache alone, see docs/performance.md).
//
// An entry is keyed by everything the report's content depends on: the
// layers (the chain of diffIDs, in order), the image config (its digest:
// the history gives the findings' createdBy, the config some rules'
// findings), the rules' settings and date when the findings are in it,
// and the build of slimpy that computed it (its Go build ID): any change
// to the merge, the inventories, the report or the rules makes new
// entries rather than trusting old ones. The entry's file is named by the
// image and the rules' settings only, so a new build or a new day replaces
// it. What the source decides (reference, transport, manifest and layer
// digests, compressed sizes, which layers came from a cache) is filled in
// again on every run.
//
// Like the layer cache, an entry is written atomically and checked (an
// xxh3-64 of the whole entry, the key again inside it, every count against
// what is left): a damaged entry is a miss, never a wrong report.

// imageCacheFormat changes whenever the entry's encoding changes.
const imageCacheFormat = 1

const imageCacheMagic = "slimpy-image\x01"

type imageCache struct {
	dir string // "" disables the cache
}

func newImageCache(root string) imageCache {
	if root == "" || buildID() == "" {
		return imageCache{}
	}
	return imageCache{dir: filepath.Join(root, fmt.Sprintf("images-v%d", imageCacheFormat))}
}

// imageEntry is what one entry holds.
type imageEntry struct {
	Key      string
	TarBytes []int64 // per layer: the compressed size of sources that have none
	Report   Report
}

// imageKey returns the file an entry goes to (slot) and the key the
// entry must hold (key), both hex sha256; "" when the report cannot be
// cached (rules without a fixed date, settings the encoding cannot
// express). The slot is the image and the rules' settings; the key adds
// what makes an entry stale rather than another: the build of slimpy, the
// formats, the rules' date. A new build or a new day replaces the entry
// in its slot instead of adding one.
func imageKey(configDigest string, diffIDs []string, rules *Config) (slot, key string) {
	h := sha256.New()
	fmt.Fprintf(h, "slimpy image report\x00%d\x00%s\x00%d\x00", imageCacheFormat, configDigest, len(diffIDs))
	for _, d := range diffIDs {
		fmt.Fprintf(h, "%s\x00", d)
	}
	var now []byte
	if rules == nil {
		io.WriteString(h, "no rules")
	} else {
		if rules.Now.IsZero() || rules.Refresh != nil {
			return "", "" // the findings depend on the time of the run
		}
		settings := *rules
		settings.Now = time.Time{}
		settings.Sources = SourceSettings{} // how the image is read, not what is reported
		var b bytes.Buffer
		if err := codec.Encode(&b, &settings); err != nil {
			return "", ""
		}
		io.WriteString(h, "rules\x00")
		h.Write(b.Bytes())
		if now, _ = rules.Now.MarshalBinary(); now == nil {
			return "", ""
		}
	}
	slot = hex.EncodeToString(h.Sum(nil))
	h.Reset()
	fmt.Fprintf(h, "%s\x00%d\x00%s\x00%s\x00", slot, layer.CacheFormat, theCaptures().Key(), buildID())
	h.Write(now)
	return slot, hex.EncodeToString(h.Sum(nil))
}

func (c imageCache) path(slot string) string {
	if c.dir == "" || len(slot) < 2 {
		return ""
	}
	return filepath.Join(c.dir, slot[:2], slot+".report")
}

// get returns the entry in slot if it holds key, or nil on a miss
// (absent, damaged or stale).
func (c imageCache) get(slot, key string) *imageEntry {
	p := c.path(slot)
	if p == "" {
		return nil
	}
	b, err := safefile.ReadRegular(p, layer.MaxCacheEntry)
	if err != nil {
		return nil
	}
	e, err := decodeImageEntry(b)
	if err != nil || e.Key != key {
		return nil
	}
	layer.TouchEntry(p)
	return e
}

// put writes the entry atomically (temp file + rename). Failing to cache is
// not fatal.
func (c imageCache) put(slot string, e *imageEntry) error {
	p := c.path(slot)
	if p == "" {
		return nil
	}
	return layer.WriteCacheFile(p, func(w io.Writer) error { return encodeImageEntry(w, e) })
}

// The entry: the magic string, the imageEntry in the value encoding below,
// an xxh3-64 of everything before it.
func encodeImageEntry(out io.Writer, e *imageEntry) error {
	c, err := codec.For(reflect.TypeFor[imageEntry]())
	if err != nil {
		return err
	}
	w := codec.NewWriter(out)
	w.Write([]byte(imageCacheMagic))
	c.Encode(w, reflect.ValueOf(e).Elem())
	return w.Finish()
}

func decodeImageEntry(b []byte) (*imageEntry, error) {
	body, err := codec.Unframe(b, imageCacheMagic)
	if err != nil {
		return nil, err
	}
	c, err := codec.For(reflect.TypeFor[imageEntry]())
	if err != nil {
		return nil, err
	}
	r := codec.NewReader(body)
	e := &imageEntry{}
	c.Decode(r, reflect.ValueOf(e).Elem())
	if err := r.Done(); err != nil {
		return nil, err
	}
	if len(e.TarBytes) != len(e.Report.Layers) {
		return nil, codec.ErrCorrupt
	}
	return e, nil
}

// InspectReport is Analyze followed by Report, or by ReportWithFindings
// when rules is not nil: what `slimpy inspect --format json|text` prints.
//
// With opts.CacheDir, the report of an image this build of slimpy has
// reported before (the same layers in the same order, the same config, the
// same rules settings and rules.Now) comes from the image cache, without
// reading, merging or inventorying any layer; the fields the source decides
// are filled in from the source, and every layer says cached. Findings are
// cached only when rules.Now is set: with a zero Now they depend on the
// time of the run.
//
// The analysis itself is not returned: callers that need the merged tree
// (the interactive view, the suggestions) use Analyze.
func InspectReport(ctx context.Context, src *source.Source, opts Options, rules *Config) (Report, error) {
	src.UseCache(engineConfigCache(opts.CacheDir))
	cache := newImageCache(opts.CacheDir)
	var slot, key string
	if cache.dir != "" {
		slot, key = reportKey(src, rules)
		// With VerifyBlobs the layers are read (Analyze checks the cached
		// ones' blobs); the entry is still written.
		if e := cache.get(slot, key); e != nil && !opts.VerifyBlobs {
			if r, ok := cachedReport(src, e, opts.Progress); ok {
				return r, nil
			}
		}
	}
	opts.dropEntries = true // nothing here reads them after the merge
	a, err := Analyze(ctx, src, opts)
	if err != nil {
		return Report{}, err
	}
	// The report and the rules make garbage in proportion to the live
	// analysis, as the inventories do (cmd/slimpy tightens the GC).
	restore := opts.Memory.tighten()
	var r Report
	if rules != nil {
		r = a.ReportWithFindings(*rules)
	} else {
		r = a.Report()
	}
	restore()
	if key != "" {
		e := &imageEntry{Key: key, Report: r, TarBytes: make([]int64, len(a.Layers))}
		for i, l := range a.Layers {
			e.TarBytes[i] = l.Data.TarBytes
		}
		// A cache that cannot be written costs speed next time, never correctness.
		_ = cache.put(slot, e)
		layer.TrimCache(opts.CacheDir, opts.cacheMaxBytes())
	}
	return r, nil
}

// reportKey is the image cache slot and key of src's report (see
// imageKey); "" when it has none.
func reportKey(src *source.Source, rules *Config) (slot, key string) {
	raw, err := src.Image.RawConfigFile()
	if err != nil {
		return "", ""
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return "", ""
	}
	diffIDs := make([]string, len(cfg.RootFS.DiffIDs))
	for i, d := range cfg.RootFS.DiffIDs {
		diffIDs[i] = d.String()
	}
	sum := sha256.Sum256(raw)
	return imageKey("sha256:"+hex.EncodeToString(sum[:]), diffIDs, rules)
}

// cachedReport is the cached report with what the source decides filled
// in again, exactly as Report does it. ok is false when the source does not
// match the entry (then the image is analysed as if it were a miss).
func cachedReport(src *source.Source, e *imageEntry, progress func(Progress)) (Report, bool) {
	img := src.Image
	raw, err := img.RawConfigFile()
	if err != nil {
		return Report{}, false
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return Report{}, false
	}
	v1layers, err := img.Layers()
	if err != nil || len(v1layers) != len(cfg.RootFS.DiffIDs) || len(v1layers) != len(e.Report.Layers) {
		return Report{}, false
	}
	created := layerHistory(cfg.History, len(v1layers))
	r := e.Report
	r.Image = imageInfo(src, cfg, r.Image.OS)
	r.Totals.CompressedSize = 0
	r.Layers = append([]LayerReport(nil), r.Layers...)
	for i, l := range v1layers {
		lr := &r.Layers[i]
		lr.Index, lr.DiffID, lr.CreatedBy, lr.Cached = i, cfg.RootFS.DiffIDs[i].String(), created[i], true
		lr.Digest, lr.CompressedSize = "", src.StoredSize(i, e.TarBytes[i])
		if src.RawCompressed {
			lr.CompressedSize = 0
			if d, err := l.Digest(); err == nil {
				lr.Digest = d.String()
			}
			if n, err := l.Size(); err == nil {
				lr.CompressedSize = n
			}
		}
		r.Totals.CompressedSize += lr.CompressedSize
	}
	progress = imageProgress(progress, len(r.Layers), r.Totals.CompressedSize)
	for i := range r.Layers {
		lr := r.Layers[i]
		emit(progress, Progress{Layer: i, CreatedBy: lr.CreatedBy, Done: lr.CompressedSize, Total: lr.CompressedSize, Cached: true, Finished: true})
	}
	return r, true
}

// buildID identifies the running executable's build (its Go build ID, else
// a hash of the whole file); "" disables the image cache.
var buildID = sync.OnceValue(func() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if f, err := elf.Open(exe); err == nil {
		defer f.Close()
		if s := f.Section(".note.go.buildid"); s != nil {
			if b, err := s.Data(); err == nil && len(b) > 16 {
				return "go:" + strings.TrimRight(string(b[16:]), "\x00")
			}
		}
	}
	f, err := os.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	head := make([]byte, 32<<10)
	n, _ := io.ReadFull(f, head)
	const marker = "\xff Go build ID: \""
	if i := bytes.Index(head[:n], []byte(marker)); i >= 0 {
		rest := head[i+len(marker) : n]
		if j := bytes.IndexByte(rest, '"'); j > 0 {
			return "go:" + string(rest[:j])
		}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return ""
	}
	h := xxh3.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return fmt.Sprintf("xxh3:%016x", h.Sum64())
})

// DefaultCacheMaxBytes bounds the cache directory (the layer and image
// entries of every format slimpy has written there) when Options does not
// say otherwise: the entries of ~30 images like the 0.8 GB benchmark image
// (docs/performance.md), whose layer entries take ~35 MB.
const DefaultCacheMaxBytes = 1 << 30

// cacheMaxBytes is the bound opts asks for: 0 for the default, < 0 for none.
func (opts Options) cacheMaxBytes() int64 {
	if opts.CacheMaxBytes == 0 {
		return DefaultCacheMaxBytes
	}
	return opts.CacheMaxBytes
}
