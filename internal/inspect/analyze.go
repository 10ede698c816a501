package inspect

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/inventory"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/rules"
	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/slimpy/slimpy/internal/textsafe"
	"golang.org/x/sync/errgroup"
)

// Options tune an analysis.
type Options struct {
	// CacheDir keeps per-layer results between runs; "" disables caching.
	CacheDir string
	// Concurrency bounds the layers read at once; 0 means GOMAXPROCS.
	Concurrency int
	// CacheMaxBytes bounds the cache directory: least recently used
	// entries go first. 0 means DefaultCacheMaxBytes, < 0 no bound.
	CacheMaxBytes int64
	// Progress, when set, receives events while layers stream. It is called
	// from several goroutines at once.
	Progress func(Progress)
	// VerifyBlobs reads the blob of every layer whose result comes from the
	// cache and checks it against its digest (the compressed digest where
	// the source gives the blob as stored, else the diffID), so that a
	// blob replaced since it was cached is an error, not a pass: what
	// `slimpy ci` needs. It costs a read of every blob, not a walk.
	VerifyBlobs bool
	// Remote, when set, is a layer cache shared through a registry
	// (internal/remotecache, --cache-repo): asked on a local miss, told of
	// every layer read. Its failures are Warn's, never an error.
	Remote RemoteLayerCache
	// Warn gets a problem that does not stop the analysis, one line.
	Warn func(line string)

	// remoteWarned makes the remote cache's warning one a run.
	remoteWarned *sync.Once
	// Memory, when set, is called where the analysis changes phase, so that
	// the command can tune the process's garbage collector (cmd/slimpy
	// wires internal/gctune); the library never changes process-wide
	// settings itself.
	Memory MemoryHooks

	// dropEntries frees layer.Data.Entries once the layers are merged and
	// cached (~80 bytes per tar entry), for callers that never read them
	// (InspectReport; internal/suggest does read them).
	dropEntries bool
}

// MemoryHooks are the points where a process-wide memory policy may act.
// A nil hook does nothing.
type MemoryHooks struct {
	// Release is called once the layers are merged: the walk's garbage
	// is done with.
	Release func()
	// Tighten is called before a phase that makes garbage in proportion
	// to the live analysis (the inventories; the report and the rules);
	// the phase ends with the function it returns.
	Tighten func() (restore func())
}

func (m MemoryHooks) release() {
	if m.Release != nil {
		m.Release()
	}
}

func (m MemoryHooks) tighten() (restore func()) {
	if m.Tighten == nil {
		return func() {}
	}
	return m.Tighten()
}

// Progress reports how far one layer's read has come.
type Progress struct {
	Layer     int
	CreatedBy string
	Done      int64 // bytes read from the source so far
	Total     int64 // bytes the source holds for this layer; -1 when unknown
	Cached    bool  // the result came from the cache without reading
	Finished  bool
	// What is known of the whole image before the first byte, the same in
	// every event: how many layers it has, and the sum of their Totals
	// (-1 when a layer's is unknown). A consumer says "2 of 6 layers" from
	// the first event on, never "2 of 4" and then "4 of 6".
	Layers     int
	ImageTotal int64
}

// imageProgress stamps every event fn receives with the image's layer
// count and byte total.
func imageProgress(fn func(Progress), layers int, total int64) func(Progress) {
	if fn == nil {
		return nil
	}
	return func(p Progress) {
		p.Layers, p.ImageTotal = layers, total
		fn(p)
	}
}

// Layer is one layer of the analysed image.
type Layer struct {
	Index          int
	DiffID         string
	Digest         string // the blob digest, when the source has it without re-compressing
	CompressedSize int64  // bytes as the source stores the layer
	CreatedBy      string // the Dockerfile instruction, see Instruction
	Cached         bool
	Data           *layer.Data
	Change         fsview.LayerChange
}

// Analysis is everything one inspection learns about an image.
type Analysis struct {
	Source    *source.Source
	Config    *v1.ConfigFile
	Layers    []Layer
	FS        *fsview.FileSystem
	Inventory inventory.Inventory

	// The totals and duplicate groups Report shows, worked out while the
	// inventories are built (they only read the merged tree): closed when
	// set. Nil: Report works them out itself.
	fsReportDone chan struct{}
	fsTotals     Totals
	fsDuplicates []fsview.DuplicateGroup
}

// Analyze reads every layer of the source once (concurrently, each as a
// stream, or from the cache), merges them and builds the inventories.
//
// The largest layers start first (they bound the wall time), and each
// layer is merged as soon as it and the layers below it are read, while
// the others are still streaming.
func Analyze(ctx context.Context, src *source.Source, opts Options) (*Analysis, error) {
	src.UseCache(engineConfigCache(opts.CacheDir))
	opts.remoteWarned = new(sync.Once)
	img := src.Image
	if err := source.ManifestError(img); err != nil {
		return nil, fmt.Errorf("reading the image manifest: %w", err)
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading the image config: %w", err)
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
	cache := layer.NewCache(opts.CacheDir, theCaptures())
	derived := layer.NewDerivedStore(opts.CacheDir, walkDerive.Kind)
	var derive *layer.Derive // only when its values are kept
	if derived.Dir() != "" {
		derive = walkDerive
	}
	defer layer.TrimCache(opts.CacheDir, opts.cacheMaxBytes())
	budget := &layer.ImageBudget{}

	limit := opts.Concurrency
	if limit <= 0 {
		limit = runtime.GOMAXPROCS(0)
	}
	for i, l := range v1layers {
		lay := &a.Layers[i]
		lay.Index, lay.DiffID, lay.CreatedBy = i, cfg.RootFS.DiffIDs[i].String(), created[i]
		if src.RawCompressed {
			if d, err := l.Digest(); err == nil {
				lay.Digest = d.String()
			}
			if n, err := l.Size(); err == nil {
				lay.CompressedSize = n
			}
		}
	}
	// Blob sizes are the bytes a read counts only where the blob is read
	// as stored; the other sources stream uncompressed tars of unknown length.
	total := int64(-1)
	if src.RawCompressed {
		total = 0
		for _, l := range a.Layers {
			if l.CompressedSize <= 0 {
				total = -1
				break
			}
			total += l.CompressedSize
		}
	}
	opts.Progress = imageProgress(opts.Progress, len(a.Layers), total)
	// Largest first: a big layer started last would leave the other cores
	// idle at the end. Sizes are known only where they cost nothing.
	order := make([]int, len(v1layers))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool {
		return a.Layers[order[x]].CompressedSize > a.Layers[order[y]].CompressedSize
	})

	// A failed read stops the merge, and a failed merge stops the reads;
	// mctx is cancelled only then (gctx also ends when Wait returns).
	mctx, mcancel := context.WithCancel(ctx)
	defer mcancel()
	g, gctx := errgroup.WithContext(mctx)
	ready := make([]chan struct{}, len(v1layers))
	for i := range ready {
		ready[i] = make(chan struct{})
	}
	// The merge follows the reads, layer by layer, in its own goroutine.
	var (
		fs      *fsview.FileSystem
		changes []fsview.LayerChange
	)
	merged := make(chan error, 1)
	go func() {
		m := fsview.NewMerger(len(v1layers))
		for i := range a.Layers {
			select {
			case <-ready[i]:
			case <-mctx.Done():
				merged <- mctx.Err()
				return
			}
			if err := m.Apply(i, a.Layers[i].Data); err != nil {
				merged <- err
				mcancel()
				return
			}
		}
		fs, changes = m.Finish()
		merged <- nil
	}()

	sem := make(chan struct{}, limit)
	for _, i := range order {
		i, l := i, v1layers[i]
		lay := &a.Layers[i]
		select {
		case sem <- struct{}{}:
		case <-gctx.Done():
		}
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			defer func() { <-sem }()
			ld := cache.Get(lay.DiffID)
			if ld == nil {
				ld = remoteGet(gctx, opts, cache, lay.DiffID)
			}
			if ld != nil {
				if opts.VerifyBlobs {
					if err := verifyBlob(gctx, src, l, lay, opts.Progress); err != nil {
						mcancel()
						return fmt.Errorf("layer %d (%s): %w", i, short(lay.DiffID), err)
					}
				}
				if err := budget.AddLayer(ld); err != nil {
					mcancel()
					return fmt.Errorf("layer %d (%s): %w", i, short(lay.DiffID), err)
				}
				lay.Data, lay.Cached = ld, true
				if !src.RawCompressed {
					lay.CompressedSize = src.StoredSize(i, ld.TarBytes)
				}
				emit(opts.Progress, Progress{Layer: i, CreatedBy: lay.CreatedBy, Done: lay.CompressedSize, Total: lay.CompressedSize, Cached: true, Finished: true})
				close(ready[i])
				return nil
			}
			ld, err := readLayerRetrying(gctx, src, l, lay, budget, derive, opts.Progress)
			if err != nil {
				mcancel()
				return fmt.Errorf("layer %d (%s): %w", i, short(lay.DiffID), err)
			}
			values := ld.Derived
			ld.Derived = nil
			lay.Data = ld
			close(ready[i])
			// A cache that cannot be written costs speed next time, never correctness.
			_ = cache.Put(ld)
			keepDerived(derived, lay.DiffID, values)
			remotePut(gctx, opts, ld)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		mcancel()
		if merr := <-merged; merr != nil && mctx.Err() != merr && ctx.Err() == nil {
			return nil, merr // the merge failed first and stopped the reads
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if err := <-merged; err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	a.FS = fs
	for i := range a.Layers {
		a.Layers[i].Change = changes[i]
	}
	data := a.layerData()
	pruneContents(fs, data)
	if opts.dropEntries {
		for _, ld := range data {
			ld.Entries = nil
		}
	}
	// The walk's garbage is done with (cmd/slimpy gives it back to the OS).
	opts.Memory.release()
	// The report's walk of the merged tree (totals, duplicate groups) runs
	// beside the inventories, on another core: ~100 ms less after the last
	// layer is read, on the 0.8 GB benchmark image.
	a.fsReportDone = make(chan struct{})
	go func() {
		defer close(a.fsReportDone)
		a.fsTotals, a.fsDuplicates = a.totalsAndDuplicates(1)
	}()
	// The inventories make ~1.5x the live heap in short-lived garbage
	// (cmd/slimpy runs them with a tighter GC).
	restore := opts.Memory.tighten()
	a.Inventory = inventory.Build(fs, data)
	restore()
	return a, nil
}

// pruneContents drops the captured bytes of copies the final file system
// does not show (apt lists removed in a later layer are ~27 MB):
// FileSystem.Content cannot reach them. Package databases stay: the
// inventories read every layer's copy to tell which layer installed what.
// The cache keeps everything.
func pruneContents(fs *fsview.FileSystem, data []*layer.Data) {
	for i, ld := range data {
		for p := range ld.Contents {
			if inventory.IsPackageDB(p) || rules.IsAptPackagesList(p) {
				// the inventories follow the databases through the layers;
				// SP403 reads the apt lists a later layer deleted
				continue
			}
			n := fs.Lookup(p)
			if n == nil {
				delete(ld.Contents, p)
				continue
			}
			if l, at := n.InodeKey(); l != i || at != p {
				delete(ld.Contents, p)
			}
		}
	}
}

// layerRetryBackoff is how long a registry read waits before it reads a
// layer again after the connection failed mid-blob; one read more than
// there are waits is tried.
var layerRetryBackoff = []time.Duration{time.Second, 3 * time.Second}

// layerData is each layer's walked data, in layer order.
func (a *Analysis) layerData() []*layer.Data {
	data := make([]*layer.Data, len(a.Layers))
	for i := range a.Layers {
		data[i] = a.Layers[i].Data
	}
	return data
}

// NewLayerIndex indexes the layers of an analysis.
func NewLayerIndex(a *Analysis) (*fsview.LayerIndex, error) {
	var hidden []fsview.Copy
	if a.FS != nil {
		hidden = a.FS.Hidden
	}
	return fsview.IndexLayers(a.layerData(), hidden)
}

// readLayerRetrying reads a layer, and reads a registry layer again from
// its start when the connection drops mid-blob: go-containerregistry
// retries requests that fail, not bodies that stop halfway.
func readLayerRetrying(ctx context.Context, src *source.Source, l v1.Layer, lay *Layer, budget *layer.ImageBudget, derive *layer.Derive, progress func(Progress)) (*layer.Data, error) {
	for attempt := 0; ; attempt++ {
		ld, err := readLayer(ctx, src, l, lay, budget, derive, progress)
		if err == nil || ctx.Err() != nil || src.Transport != source.TransportRegistry {
			return ld, err
		}
		var se *sourceError
		if !errors.As(err, &se) || !se.transient() {
			return nil, err
		}
		if attempt >= len(layerRetryBackoff) {
			return nil, fmt.Errorf("the connection to the registry failed %d times while reading the layer: %w", attempt+1, err)
		}
		select {
		case <-time.After(layerRetryBackoff[attempt]):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// sourceError is an error of the layer's source itself (the file, the
// connection), as opposed to one in what it carried.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// transient reports whether reading again may succeed: a connection that
// dropped or reset, not a digest that does not match.
func (e *sourceError) transient() bool {
	var rae *source.RetryAfterError
	if strings.Contains(e.err.Error(), "verifying") || errors.As(e.err, &rae) {
		return false
	}
	var ne net.Error
	return errors.Is(e.err, io.ErrUnexpectedEOF) || errors.Is(e.err, syscall.ECONNRESET) ||
		errors.Is(e.err, syscall.EPIPE) || errors.As(e.err, &ne)
}

// openBlob opens what readLayer reads of a layer: the blob as stored when
// the source has it, else the uncompressed tar; total is the blob's size
// (-1 when unknown). close must be called.
func openBlob(ctx context.Context, src *source.Source, l v1.Layer, lay *Layer, progress func(Progress)) (pr *progressReader, total int64, close func(), err error) {
	var rc io.ReadCloser
	total = -1
	if src.RawCompressed {
		rc, err = l.Compressed()
		total = lay.CompressedSize
	} else {
		rc, err = l.Uncompressed()
	}
	if err != nil {
		return nil, 0, nil, blobError(lay, err)
	}
	// Closing a registry blob's body unblocks a read that waits on a
	// stalled connection: ctrl+c must not wait for the network. (Local
	// sources return from every read promptly; progressReader checks the
	// context between reads, and their readers need not be safe to close
	// from another goroutine.)
	var closeOnce sync.Once
	closeSrc := func() { closeOnce.Do(func() { rc.Close() }) }
	stopClose := func() bool { return false }
	if src.Transport == source.TransportRegistry {
		stopClose = context.AfterFunc(ctx, closeSrc)
	}
	pr = &progressReader{ctx: ctx, r: rc, report: func(done int64) {
		emit(progress, Progress{Layer: lay.Index, CreatedBy: lay.CreatedBy, Done: done, Total: total})
	}}
	return pr, total, func() { stopClose(); closeSrc() }, nil
}

// readLayer streams one layer from the source through the walker, which
// derives what derive (nil: nothing) asks for.
func readLayer(ctx context.Context, src *source.Source, l v1.Layer, lay *Layer, budget *layer.ImageBudget, derive *layer.Derive, progress func(Progress)) (_ *layer.Data, err error) {
	lb := budget.Layer()
	defer func() {
		if err != nil {
			lb.Release() // a registry layer may be read again
		}
	}()
	pr, total, closeSrc, err := openBlob(ctx, src, l, lay, progress)
	if err != nil {
		return nil, err
	}
	defer closeSrc()
	var blob io.Reader = pr
	var digestPipe *layer.HashPipe
	if src.RawCompressed && src.Transport != source.TransportRegistry && lay.Digest != "" {
		// Registry blobs are verified by go-containerregistry as they
		// stream; layout blobs are files nobody checked: hash them too, in
		// a goroutine of their own.
		digestPipe = layer.NewHashPipe(pr)
		defer digestPipe.Stop()
		blob = digestPipe
	}
	var stream io.Reader = blob
	if src.RawCompressed {
		dc, err := layer.Decompress(blob)
		if err != nil {
			return nil, readError(ctx, pr, err)
		}
		defer dc.Close()
		stream = dc
	}
	ld, err := layer.WalkDeriving(ctx, stream, lay.DiffID, theCaptures(), derive, lb)
	if err != nil {
		if src.RawCompressed && lay.CompressedSize > 0 && pr.n > lay.CompressedSize {
			// Bytes after the end the manifest gives: that is the cause.
			return nil, fmt.Errorf("the layer blob is longer than the %d bytes the manifest says (%v)", lay.CompressedSize, err)
		}
		return nil, readError(ctx, pr, err)
	}
	if src.RawCompressed {
		// Read the blob to its end: trailing bytes count in its size and
		// digest, and the registry's verifying reader checks at the end.
		if _, err := io.Copy(io.Discard, blob); err != nil {
			return nil, readError(ctx, pr, err)
		}
		if digestPipe != nil {
			if err := checkBlob(lay, pr.n, "sha256:"+hex.EncodeToString(digestPipe.Sum())); err != nil {
				return nil, err
			}
		} else if err := checkBlob(lay, pr.n, ""); err != nil {
			return nil, err
		}
	}
	if !src.RawCompressed {
		lay.CompressedSize = src.StoredSize(lay.Index, ld.TarBytes)
	}
	emit(progress, Progress{Layer: lay.Index, CreatedBy: lay.CreatedBy, Done: pr.n, Total: total, Finished: true})
	return ld, nil
}

// readError says whether a failed read was cancelled, failed in the source
// (wrapped in a sourceError) or in what the source carried.
func readError(ctx context.Context, pr *progressReader, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if pr.err != nil {
		return &sourceError{err: fmt.Errorf("reading the layer blob: %w", oneLineErr(pr.err))}
	}
	return err
}

// blobError words a failure to open a layer's blob.
func blobError(lay *Layer, err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("the layer blob %s is missing: %w", lay.Digest, err)
	}
	var rae *source.RetryAfterError
	if errors.As(err, &rae) {
		return &sourceError{err: fmt.Errorf("fetching the layer blob: rate limited by the registry: %w", rae)}
	}
	var te *transport.Error
	if errors.As(err, &te) {
		// The registry answered (after retrying what is worth retrying).
		var what string
		switch te.StatusCode {
		case http.StatusUnauthorized:
			what = "authentication required"
		case http.StatusForbidden:
			what = "access denied"
		case http.StatusNotFound:
			what = "not found"
		case http.StatusTooManyRequests:
			what = "rate limited by the registry"
		default:
			what = "registry error"
		}
		return fmt.Errorf("fetching the layer blob: %s (%d): %s", what, te.StatusCode, source.TransportDetail(te))
	}
	return &sourceError{err: oneLineErr(err)}
}

// oneLineErr keeps an error (from a registry, say) on one line; a
// one-line error stays itself, so that errors.Is still sees through it.
func oneLineErr(err error) error {
	if msg := err.Error(); strings.ContainsAny(msg, "\r\n") {
		return errors.New(textsafe.OneLine(msg))
	}
	return err
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
	err      error // the source's own error, if it failed
}

func (p *progressReader) Read(b []byte) (int, error) {
	if err := p.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := p.r.Read(b)
	p.n += int64(n)
	if err != nil && err != io.EOF {
		p.err = err
	}
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
