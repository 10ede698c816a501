package inspect

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/klauspost/compress/gzip"
	"github.com/slimpy/slimpy/internal/bigimage"
	"github.com/slimpy/slimpy/internal/gctune"
	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/inventory"
	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/zeebo/xxh3"
	"golang.org/x/sync/errgroup"
)

// The big-image benchmarks run on the generated benchmark image (see
// internal/bigimage and docs/performance.md). They skip unless
// SLIMPY_BIGIMAGE says which image to use:
//
//	SLIMPY_BIGIMAGE=DIR        an OCI layout already on disk
//	SLIMPY_BIGIMAGE=0.8G       generate the ~0.8 GB image once into the cache
//	SLIMPY_BIGIMAGE=3G         generate the ~3 GB image (0.8 GB + 2.2 GB of
//	                           native libraries) once into the cache
//	SLIMPY_BIGIMAGE=FILE.tar   a docker save archive (e.g. the Debian-built
//	                           full.tar), written once into the cache as an
//	                           OCI layout of gzip layers, as docker push
//	                           compresses them
//
// The cache is $SLIMPY_BENCH_CACHE, else the user cache dir's slimpy-bench.
//
//	SLIMPY_BIGIMAGE=0.8G go test ./internal/inspect/ -run '^$' -bench Big -benchtime 3x -count 3

func bigImage(tb testing.TB) string {
	tb.Helper()
	v := os.Getenv("SLIMPY_BIGIMAGE")
	if v == "" {
		tb.Skip("set SLIMPY_BIGIMAGE=0.8G, 3G or an OCI layout directory to run the big-image benchmarks")
	}
	fi, err := os.Stat(v)
	if err == nil && fi.IsDir() {
		return v
	}
	root := os.Getenv("SLIMPY_BENCH_CACHE")
	if root == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			tb.Fatal(err)
		}
		root = filepath.Join(c, "slimpy-bench")
	}
	if err == nil && fi.Mode().IsRegular() {
		return archiveAsLayout(tb, v, fi, root)
	}
	o, err := bigImageOptions(v)
	if err != nil {
		tb.Fatal(err)
	}
	dir, info, err := bigimage.Ensure(root, o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Logf("%s: %d files, %.0f MB of files, %.0f MB of tar, %.0f MB compressed", dir, info.Files,
		float64(info.Bytes)/1e6, float64(info.TarBytes)/1e6, float64(info.CompressedBytes)/1e6)
	return dir
}

// archiveAsLayout writes the docker save archive at p once as an OCI
// layout under root, its layers gzipped at the default level (as docker
// push compresses them), and returns the layout's directory.
func archiveAsLayout(tb testing.TB, p string, fi os.FileInfo, root string) string {
	tb.Helper()
	dir := filepath.Join(root, fmt.Sprintf("layout-%s-%d", strings.TrimSuffix(filepath.Base(p), ".tar"), fi.Size()))
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err == nil {
		return dir
	}
	img, err := tarball.ImageFromPath(p, nil)
	if err != nil {
		tb.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		tb.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		tb.Fatal(err)
	}
	out := empty.Image
	for _, l := range layers {
		gz, err := tarball.LayerFromOpener(l.Uncompressed, tarball.WithCompressionLevel(gzip.DefaultCompression))
		if err != nil {
			tb.Fatal(err)
		}
		if out, err = mutate.AppendLayers(out, gz); err != nil {
			tb.Fatal(err)
		}
	}
	if out, err = mutate.ConfigFile(out, cfg); err != nil {
		tb.Fatal(err)
	}
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		tb.Fatal(err)
	}
	lp, err := layout.Write(tmp, empty.Index)
	if err != nil {
		tb.Fatal(err)
	}
	if err := lp.AppendImage(out); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		tb.Fatal(err)
	}
	return dir
}

func bigImageOptions(v string) (bigimage.Options, error) {
	o := bigimage.DefaultOptions
	switch v {
	case "0.8G", "1":
	case "3G":
		o.ExtraBytes = 2200 << 20
	default:
		return o, fmt.Errorf("SLIMPY_BIGIMAGE=%q: want 0.8G, 3G or a directory", v)
	}
	return o, nil
}

// inspectOnce does what `slimpy inspect --format json --no-rules` does
// after Open (with rules, what `slimpy inspect --format json` does).
func inspectOnce(tb testing.TB, dir string, opts Options, rules *Config) Report {
	ctx := context.Background()
	src, err := source.Open(ctx, "oci:"+dir, source.OpenOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	r, err := InspectReport(ctx, src, opts, rules)
	if err != nil {
		tb.Fatal(err)
	}
	if err := r.WriteJSON(io.Discard); err != nil { // as report.JSON does
		tb.Fatal(err)
	}
	return r
}

// analyzeOnce is Analyze, Report and the JSON, without the image cache:
// with a CacheDir, the warm run of the layer cache alone.
func analyzeOnce(tb testing.TB, dir string, opts Options) *Analysis {
	ctx := context.Background()
	src, err := source.Open(ctx, "oci:"+dir, source.OpenOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	a, err := Analyze(ctx, src, opts)
	if err != nil {
		tb.Fatal(err)
	}
	r := a.Report()
	if err := r.WriteJSON(io.Discard); err != nil {
		tb.Fatal(err)
	}
	return a
}

// benchRules are the default rules at a fixed date (the CLI fixes it to the
// day of the run).
func benchRules() *Config {
	c := DefaultConfig()
	c.Now = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	return &c
}

// BenchmarkBigCold is a full inspection with no cache.
func BenchmarkBigCold(b *testing.B) {
	dir := bigImage(b)
	b.SetBytes(bigTarBytes(b, dir))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inspectOnce(b, dir, Options{}, nil)
	}
}

// BenchmarkBigWarm is the same inspection run again with a cache: the
// report comes from the image cache.
func BenchmarkBigWarm(b *testing.B) {
	dir := bigImage(b)
	cache := b.TempDir()
	inspectOnce(b, dir, Options{CacheDir: cache}, nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := inspectOnce(b, dir, Options{CacheDir: cache}, nil)
		if !r.Layers[0].Cached {
			b.Fatal("warm run read layer 0 again")
		}
	}
}

// BenchmarkBigWarmLayers is a warm run of the layer cache alone (no image
// cache): every layer decoded from the cache, then merged, inventoried and
// reported again.
func BenchmarkBigWarmLayers(b *testing.B) {
	dir := bigImage(b)
	cache := b.TempDir()
	analyzeOnce(b, dir, Options{CacheDir: cache})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if a := analyzeOnce(b, dir, Options{CacheDir: cache}); !a.Layers[0].Cached {
			b.Fatal("warm run read layer 0 again")
		}
	}
}

// BenchmarkBigColdRules and BenchmarkBigWarmRules are the cold and warm
// runs with the default rules, as `slimpy inspect --format json` runs.
func BenchmarkBigColdRules(b *testing.B) {
	dir := bigImage(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inspectOnce(b, dir, Options{}, benchRules())
	}
}

func BenchmarkBigWarmRules(b *testing.B) {
	dir := bigImage(b)
	cache := b.TempDir()
	inspectOnce(b, dir, Options{CacheDir: cache}, benchRules())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := inspectOnce(b, dir, Options{CacheDir: cache}, benchRules()); !r.Layers[0].Cached {
			b.Fatal("warm run read layer 0 again")
		}
	}
}

// BenchmarkBigFloor is the floor the cold inspection is measured against:
// gunzip every layer blob, read the tar headers and hash each file's
// content with xxh3, one goroutine per layer, the same number of layers at
// once (GOMAXPROCS) started in the same order as Analyze (largest first;
// SLIMPY_FLOOR_LAYER_ORDER=1 starts them in layer order instead, as a
// simple reader would).
func BenchmarkBigFloor(b *testing.B) { benchFloor(b, false) }

// BenchmarkBigFloorVerified is the verified floor: the floor plus the
// sha256 of every uncompressed stream, checked against the config's
// diffIDs — the least any analyzer does that trusts no layer it has not
// checked (slimpy's layer cache is keyed by diffID, so it must).
func BenchmarkBigFloorVerified(b *testing.B) { benchFloor(b, true) }

func benchFloor(b *testing.B, verified bool) {
	dir := bigImage(b)
	b.SetBytes(bigTarBytes(b, dir))
	blobs := bigLayerBlobs(b, dir, os.Getenv("SLIMPY_FLOOR_LAYER_ORDER") == "")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := runFloor(blobs, verified); err != nil {
			b.Fatal(err)
		}
	}
}

// runFloor reads every layer blob as the floor does, GOMAXPROCS at once.
func runFloor(blobs []floorBlob, verified bool) error {
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, l := range blobs {
		g.Go(func() error { return floorLayer(l, verified) })
	}
	return g.Wait()
}

// floorBlob is a layer blob of the layout and its diffID.
type floorBlob struct {
	path   string
	diffID string
}

func floorLayer(l floorBlob, verified bool) error {
	f, err := os.Open(l.path)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		return err
	}
	var stream io.Reader = zr
	digest := sha256.New()
	if verified {
		stream = io.TeeReader(zr, digest)
	}
	tr := tar.NewReader(stream)
	h := xxh3.New()
	buf := make([]byte, 256<<10)
	for {
		_, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		h.Reset()
		if _, err := io.CopyBuffer(h, tr, buf); err != nil {
			return err
		}
	}
	if !verified {
		return nil
	}
	// The tar reader stops at the end-of-archive blocks; the diffID covers
	// the whole stream.
	if _, err := io.CopyBuffer(io.Discard, stream, buf); err != nil {
		return err
	}
	if got := "sha256:" + hex.EncodeToString(digest.Sum(nil)); got != l.diffID {
		return fmt.Errorf("%s: uncompressed stream is %s, the config says %s", l.path, got, l.diffID)
	}
	return nil
}

// BenchmarkBigPeakMemory runs inspections each in a fresh process and
// reports their peak resident memory (VmHWM), in MB (10^6 bytes): cold
// without and with the rules, cold into an empty cache, warm from the image
// cache, and warm from the layer cache alone (Analyze, as the interactive view and the suggestions
// run).
func BenchmarkBigPeakMemory(b *testing.B) {
	dir := bigImage(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cache := b.TempDir()
		cold := peakRSS(b, dir, "")
		coldRules := peakRSS(b, dir, "", "SLIMPY_BIGIMAGE_CHILD_RULES=1")
		// a user's first inspect: cold, filling an empty cache (the layer
		// cache, the image cache and the walk's derived values)
		coldCaching := peakRSS(b, dir, cache)
		warm := peakRSS(b, dir, cache)
		warmLayers := peakRSS(b, dir, cache, "SLIMPY_BIGIMAGE_CHILD_ANALYZE=1")
		b.ReportMetric(float64(cold)/1e6, "cold-peak-MB")
		b.ReportMetric(float64(coldRules)/1e6, "cold-rules-peak-MB")
		b.ReportMetric(float64(coldCaching)/1e6, "cold-caching-peak-MB")
		b.ReportMetric(float64(warm)/1e6, "warm-peak-MB")
		b.ReportMetric(float64(warmLayers)/1e6, "warm-layers-peak-MB")
	}
}

func peakRSS(tb testing.TB, dir, cache string, env ...string) int64 {
	cmd := exec.Command(os.Args[0], "-test.run=^TestBigImageChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SLIMPY_BIGIMAGE_CHILD="+dir, "SLIMPY_BIGIMAGE_CHILD_CACHE="+cache)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("child: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "VmHWM-bytes "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return n
		}
	}
	tb.Fatalf("child printed no VmHWM:\n%s", out)
	return 0
}

// TestBigImageChild is the process BenchmarkBigPeakMemory measures.
func TestBigImageChild(t *testing.T) {
	dir := os.Getenv("SLIMPY_BIGIMAGE_CHILD")
	if dir == "" {
		t.Skip("run by BenchmarkBigPeakMemory")
	}
	if os.Getenv("SLIMPY_BIGIMAGE_RSSLOG") != "" {
		// Print the resident set and the cores in use every 100 ms, to see
		// which phase peaks and where cores idle.
		start := time.Now()
		go func() {
			last, lastCPU := start, cpuSeconds(t)
			for now := range time.Tick(100 * time.Millisecond) {
				cpu := cpuSeconds(t)
				cores := (cpu - lastCPU) / now.Sub(last).Seconds()
				last, lastCPU = now, cpu
				b, _ := os.ReadFile("/proc/self/status")
				for _, line := range strings.Split(string(b), "\n") {
					if strings.HasPrefix(line, "VmRSS:") {
						fmt.Fprintf(os.Stderr, "%5.1fs %s, %.2f cores\n", time.Since(start).Seconds(), strings.Join(strings.Fields(line), " "), cores)
					}
				}
			}
		}()
	}
	var rules *Config
	if os.Getenv("SLIMPY_BIGIMAGE_CHILD_RULES") != "" {
		rules = benchRules()
	}
	var a any
	// The command's GC policy (cmd/slimpy), so that the peak is the CLI's.
	opts := Options{CacheDir: os.Getenv("SLIMPY_BIGIMAGE_CHILD_CACHE"), Memory: MemoryHooks{Release: gctune.Release, Tighten: gctune.Tighten50}}
	if os.Getenv("SLIMPY_BIGIMAGE_CHILD_ANALYZE") != "" {
		a = analyzeOnce(t, dir, opts)
	} else {
		a = inspectOnce(t, dir, opts, rules)
	}
	if p := os.Getenv("SLIMPY_BIGIMAGE_HEAPPROFILE"); p != "" {
		// What is live once the analysis is done (the merged tree, the
		// layer data): go tool pprof -sample_index=inuse_space.
		runtime.GC()
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.WriteHeapProfile(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	runtime.KeepAlive(a)
	if os.Getenv("SLIMPY_BIGIMAGE_RSSLOG") != "" {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(os.Stderr, "heap in use %d MiB, idle not released %d MiB, stacks %d MiB, other runtime %d MiB, total from OS %d MiB\n",
			ms.HeapInuse>>20, (ms.HeapIdle-ms.HeapReleased)>>20, ms.StackSys>>20, (ms.Sys-ms.HeapSys-ms.StackSys)>>20, ms.Sys>>20)
	}
	hwm, err := vmHWM()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("VmHWM-bytes %d\n", hwm)
}

// vmHWM is the process's peak resident set size from /proc/self/status.
func vmHWM() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}

func bigLayerBlobs(tb testing.TB, dir string, largestFirst bool) []floorBlob {
	src, err := source.Open(context.Background(), "oci:"+dir, source.OpenOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	layers, err := src.Image.Layers()
	if err != nil {
		tb.Fatal(err)
	}
	var out []floorBlob
	sizes := map[string]int64{}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			tb.Fatal(err)
		}
		diffID, err := l.DiffID()
		if err != nil {
			tb.Fatal(err)
		}
		p := filepath.Join(dir, "blobs", d.Algorithm, d.Hex)
		out = append(out, floorBlob{path: p, diffID: diffID.String()})
		sizes[p], _ = l.Size()
	}
	if largestFirst {
		sort.SliceStable(out, func(i, j int) bool { return sizes[out[i].path] > sizes[out[j].path] })
	}
	return out
}

func bigTarBytes(tb testing.TB, dir string) int64 {
	b, err := os.ReadFile(filepath.Join(dir, "bigimage.json"))
	if err != nil {
		return 0
	}
	var info bigimage.Info
	if err := json.Unmarshal(b, &info); err != nil {
		tb.Fatal(err)
	}
	return info.TarBytes
}

// BenchmarkBigMerge merges the big image's layer data (read once).
func BenchmarkBigMerge(b *testing.B) {
	dir := bigImage(b)
	a := analyzeOnce(b, dir, Options{})
	data := a.layerData()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := fsview.Merge(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBigColdVsFloor runs the floor, the verified floor and a cold
// inspection in turn, b.N rounds, and reports the medians and the median
// ratios: on a machine others share, the runs of a round see the same load
// more often than separate benchmarks do. -benchtime 5x gives five rounds.
func BenchmarkBigColdVsFloor(b *testing.B) {
	dir := bigImage(b)
	blobs := bigLayerBlobs(b, dir, os.Getenv("SLIMPY_FLOOR_LAYER_ORDER") == "")
	var cold, floor, verified, ratio, ratioVerified, coldCPU, floorCPU, verifiedCPU []float64
	timed := func(run func()) (wall, cpu float64) {
		start, cpu0 := time.Now(), cpuSeconds(b)
		run()
		return time.Since(start).Seconds(), cpuSeconds(b) - cpu0
	}
	floorRun := func(verify bool) func() {
		return func() {
			if err := runFloor(blobs, verify); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, fCPU := timed(floorRun(false))
		v, vCPU := timed(floorRun(true))
		c, cCPU := timed(func() { inspectOnce(b, dir, Options{}, nil) })
		cold, floor, verified = append(cold, c), append(floor, f), append(verified, v)
		ratio, ratioVerified = append(ratio, c/f), append(ratioVerified, c/v)
		floorCPU, verifiedCPU, coldCPU = append(floorCPU, fCPU), append(verifiedCPU, vCPU), append(coldCPU, cCPU)
	}
	b.ReportMetric(median(cold), "cold-s")
	b.ReportMetric(median(floor), "floor-s")
	b.ReportMetric(median(verified), "verified-floor-s")
	b.ReportMetric(median(ratio), "cold/floor")
	b.ReportMetric(median(ratioVerified), "cold/verified-floor")
	b.ReportMetric(median(coldCPU), "cold-cpu-s")
	b.ReportMetric(median(floorCPU), "floor-cpu-s")
	b.ReportMetric(median(verifiedCPU), "verified-floor-cpu-s")
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// BenchmarkBigInventoryReport is what follows the merge: the inventories
// and the report of the big image's merged tree (analysed once).
func BenchmarkBigInventoryReport(b *testing.B) {
	dir := bigImage(b)
	a := analyzeOnce(b, dir, Options{})
	data := a.layerData()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a.Inventory = inventory.Build(a.FS, data)
		a.Report()
	}
}

// BenchmarkBigReportJSON writes the big image's report (with the default
// rules' findings) as json.Encoder with SetIndent did and as WriteJSON
// does, after checking they agree byte for byte.
func BenchmarkBigReportJSON(b *testing.B) {
	dir := bigImage(b)
	r := inspectOnce(b, dir, Options{}, benchRules())
	var want, got bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		b.Fatal(err)
	}
	if err := r.WriteJSON(&got); err != nil {
		b.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		b.Fatalf("WriteJSON differs from json.Encoder (%d vs %d bytes)", got.Len(), want.Len())
	}
	b.Run("encoder", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			enc := json.NewEncoder(io.Discard)
			enc.SetIndent("", "  ")
			if err := enc.Encode(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("WriteJSON", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := r.WriteJSON(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
}
