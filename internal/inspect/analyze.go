package inspect

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"
)

// Options tune an analysis.
type Options struct {
	// CacheDir keeps per-layer results between runs; "" disables caching.
	CacheDir string
	// Concurrency bounds the layers read at once; 0 means GOMAXPROCS.
	Concurrency int
	// Progress, when set, receives events while layers stream. It is called
	// from several goroutines at once.
	Progress func(Progress)
}

// Progress reports how far one layer's read has come.
type Progress struct {
	Layer     int
	CreatedBy string
	Done      int64 // bytes read from the source so far
	Total     int64 // bytes the source holds for this layer; -1 when unknown
	Cached    bool  // the result came from the cache without reading
	Finished  bool
}

// Layer is one layer of the analysed image.
type Layer struct {
	Index          int
	DiffID         string
	Digest         string // the blob digest, when the source has it without re-compressing
	CompressedSize int64  // bytes as the source stores the layer
	CreatedBy      string // the Dockerfile instruction, see Instruction
	Cached         bool
	Data           *LayerData
	Change         LayerChange
}

// Analysis is everything one inspection learns about an image.
type Analysis struct {
	Source    *Source
	Config    *v1.ConfigFile
	Layers    []Layer
	FS        *FileSystem
	Inventory Inventory
}

// Analyze reads every layer of the source once (concurrently, each as a
// stream, or from the cache), merges them and builds the inventories.
func Analyze(ctx context.Context, src *Source, opts Options) (*Analysis, error) {
	img := src.Image
	raw, err := img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading image config: %w", err)
	}
	// Parse the raw config: the daemon source rebuilds ConfigFile().History
	// from another API, in another order.
	cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parsing image config: %w", err)
	}
	v1layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("listing layers: %w", err)
	}
	if len(cfg.RootFS.DiffIDs) != len(v1layers) {
		return nil, fmt.Errorf("the image config lists %d layers but the manifest has %d", len(cfg.RootFS.DiffIDs), len(v1layers))
	}
	created := layerHistory(cfg.History, len(v1layers))
	a := &Analysis{Source: src, Config: cfg, Layers: make([]Layer, len(v1layers))}
	cache := newLayerCache(opts.CacheDir)

	limit := opts.Concurrency
	if limit <= 0 {
		limit = runtime.GOMAXPROCS(0)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for i, l := range v1layers {
		i, l := i, l
		diffID := cfg.RootFS.DiffIDs[i].String()
		layer := &a.Layers[i]
		layer.Index, layer.DiffID, layer.CreatedBy = i, diffID, created[i]
		if src.RawCompressed {
			if d, err := l.Digest(); err == nil {
				layer.Digest = d.String()
			}
			if n, err := l.Size(); err == nil {
				layer.CompressedSize = n
			}
		}
		g.Go(func() error {
			if ld := cache.get(diffID); ld != nil {
				layer.Data, layer.Cached = ld, true
				if !src.RawCompressed {
					layer.CompressedSize = ld.TarBytes
				}
				emit(opts.Progress, Progress{Layer: i, CreatedBy: layer.CreatedBy, Done: layer.CompressedSize, Total: layer.CompressedSize, Cached: true, Finished: true})
				return nil
			}
			ld, err := readLayer(gctx, src, l, layer, opts.Progress)
			if err != nil {
				return fmt.Errorf("layer %d (%s): %w", i, short(diffID), err)
			}
			layer.Data = ld
			// A cache that cannot be written costs speed next time, never correctness.
			_ = cache.put(ld)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	data := make([]*LayerData, len(a.Layers))
	for i := range a.Layers {
		data[i] = a.Layers[i].Data
	}
	fs, changes, err := Merge(data)
	if err != nil {
		return nil, err
	}
	a.FS = fs
	for i := range a.Layers {
		a.Layers[i].Change = changes[i]
	}
	a.Inventory = BuildInventory(fs, data)
	return a, nil
}

// readLayer streams one layer from the source through the walker.
func readLayer(ctx context.Context, src *Source, l v1.Layer, layer *Layer, progress func(Progress)) (*LayerData, error) {
	var (
		rc    io.ReadCloser
		err   error
		total int64 = -1
	)
	if src.RawCompressed {
		rc, err = l.Compressed()
		total = layer.CompressedSize
	} else {
		rc, err = l.Uncompressed()
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	pr := &progressReader{ctx: ctx, r: rc, report: func(done int64) {
		emit(progress, Progress{Layer: layer.Index, CreatedBy: layer.CreatedBy, Done: done, Total: total})
	}}
	var stream io.Reader = pr
	if src.RawCompressed {
		dc, err := decompress(pr)
		if err != nil {
			return nil, err
		}
		defer dc.Close()
		stream = dc
	}
	ld, err := walkLayer(stream, layer.DiffID)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if !src.RawCompressed {
		layer.CompressedSize = ld.TarBytes
	}
	emit(progress, Progress{Layer: layer.Index, CreatedBy: layer.CreatedBy, Done: pr.n, Total: total, Finished: true})
	return ld, nil
}

func emit(fn func(Progress), p Progress) {
	if fn != nil {
		fn(p)
	}
}

// progressReader counts bytes, reports progress every few MB, and stops
// the read promptly when the context is cancelled.
type progressReader struct {
	ctx      context.Context
	r        io.Reader
	n        int64
	reported int64
	report   func(int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	if err := p.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := p.r.Read(b)
	p.n += int64(n)
	if p.n-p.reported >= 4<<20 {
		p.reported = p.n
		p.report(p.n)
	}
	return n, err
}

func short(digest string) string {
	if _, hex, ok := cutDigest(digest); ok && len(hex) > 12 {
		return hex[:12]
	}
	return digest
}

func cutDigest(d string) (algo, hex string, ok bool) {
	for i := 0; i < len(d); i++ {
		if d[i] == ':' {
			return d[:i], d[i+1:], true
		}
	}
	return "", "", false
}
