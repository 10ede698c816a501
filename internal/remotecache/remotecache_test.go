package remotecache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/slimpy/slimpy/internal/remotecache/registrytest"
)

func newCache(t *testing.T, repo string, opts Options) *Cache {
	t.Helper()
	opts.Insecure = true
	if opts.Keychain == nil {
		opts.Keychain = authn.NewMultiKeychain() // anonymous: never the user's Docker config
	}
	c, err := New(repo, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func diffIDOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// layerData stands for an encoded analysis: any bytes, some not UTF-8.
func layerData(i int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "slimpy-layer\x02 layer %d\x00\xff", i)
	for j := 0; j < 1000+i*37; j++ {
		b.WriteByte(byte(i*31 + j*7))
	}
	return b.Bytes()
}

func kindOf(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want a *remotecache.Error, got %T: %v", err, err)
	}
	if strings.Contains(e.Error(), "\n") {
		t.Errorf("error is not one line: %q", e.Error())
	}
	return e
}

func TestRoundTripStoresExactlyTheBytesAsAnOCIArtifact(t *testing.T) {
	reg := registrytest.New(t)
	c := newCache(t, reg.Host+"/ci/slimpy-cache", Options{})
	ctx := context.Background()
	diffID, data := diffIDOf("layer one"), layerData(1)
	if err := c.Put(ctx, diffID, "2.3", data); err != nil {
		t.Fatal(err)
	}
	got, err := c.Get(ctx, diffID, "2.3")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("Get returned other bytes than Put stored")
	}

	// What the registry holds, read without this package.
	tag, _ := Tag(diffID, "2.3")
	if want := "sha256-" + strings.TrimPrefix(diffID, "sha256:") + ".slimpy-2.3"; tag != want {
		t.Fatalf("tag %q, want %q", tag, want)
	}
	ref, _ := name.ParseReference(reg.Host+"/ci/slimpy-cache:"+tag, name.Insecure)
	desc, err := remote.Get(ref)
	if err != nil {
		t.Fatal(err)
	}
	if desc.MediaType != types.OCIManifestSchema1 {
		t.Errorf("manifest media type %s", desc.MediaType)
	}
	m, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		t.Fatal(err)
	}
	if m.ArtifactType != ArtifactType || m.Config.MediaType != types.OCIEmptyJSON || m.Config.Size != 2 ||
		m.Config.Digest.String() != "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a" {
		t.Errorf("not an OCI 1.1 artifact with the empty config: %s", desc.Manifest)
	}
	if len(m.Layers) != 1 || m.Layers[0].MediaType != DataMediaType || m.Layers[0].Size != int64(len(data)) {
		t.Fatalf("layers %+v", m.Layers)
	}
	if m.Annotations[AnnotationDiffID] != diffID || m.Annotations[AnnotationVersion] != "2.3" || len(m.Annotations) != 2 {
		t.Errorf("annotations %v", m.Annotations)
	}
	l, _ := remote.Layer(ref.Context().Digest(m.Layers[0].Digest.String()))
	rc, _ := l.Compressed()
	blob, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(blob, data) {
		t.Error("the data blob is not exactly the bytes given")
	}
	cfg, _ := remote.Layer(ref.Context().Digest(m.Config.Digest.String()))
	rc, _ = cfg.Compressed()
	blob, _ = io.ReadAll(rc)
	rc.Close()
	if string(blob) != "{}" {
		t.Errorf("config blob %q, want {}", blob)
	}

	// Another version of the same layer is another artifact.
	if _, err := c.Get(ctx, diffID, "2.4"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of another version: %v, want not found", err)
	}
}

func TestSecondMachineReadsEveryBlobOnceAndNothingElse(t *testing.T) {
	reg := registrytest.New(t)
	repo := reg.Host + "/ci/slimpy-cache"
	ctx := context.Background()
	first := newCache(t, repo, Options{})
	const n = 24
	for i := 0; i < n; i++ {
		if err := first.Put(ctx, diffIDOf(fmt.Sprint("layer", i)), "2.3", layerData(i)); err != nil {
			t.Fatal(err)
		}
	}
	reg.Take()

	second := newCache(t, repo, Options{}) // another machine: nothing shared but the registry
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := second.Get(ctx, diffIDOf(fmt.Sprint("layer", i)), "2.3")
			if err != nil {
				t.Error(err)
			} else if !bytes.Equal(got, layerData(i)) {
				t.Errorf("layer %d: other bytes", i)
			}
		}()
	}
	wg.Wait()
	blobGets := map[string]int{}
	for _, r := range reg.Take("/blobs/") {
		blobGets[r]++
	}
	if len(blobGets) != n {
		t.Errorf("%d distinct blobs read, want %d (one per layer, never the config): %v", len(blobGets), n, blobGets)
	}
	for r, k := range blobGets {
		if k != 1 || !strings.HasPrefix(r, "GET ") {
			t.Errorf("%s: %d requests, want one GET", r, k)
		}
		if strings.Contains(r, "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a") {
			t.Errorf("the empty config was fetched: %s", r)
		}
	}
}

func TestPutOfWhatIsThereUploadsNothing(t *testing.T) {
	reg := registrytest.New(t)
	repo := reg.Host + "/ci/slimpy-cache"
	ctx := context.Background()
	diffID, data := diffIDOf("x"), layerData(7)
	if err := newCache(t, repo, Options{}).Put(ctx, diffID, "2.3", data); err != nil {
		t.Fatal(err)
	}
	reg.Take()
	if err := newCache(t, repo, Options{}).Put(ctx, diffID, "2.3", data); err != nil {
		t.Fatal(err)
	}
	for _, r := range reg.Take() {
		if !strings.HasPrefix(r, "GET ") && !strings.HasPrefix(r, "HEAD ") {
			t.Errorf("a second Put of the same bytes wrote: %s", r)
		}
	}
	// Other bytes replace the artifact.
	if err := newCache(t, repo, Options{}).Put(ctx, diffID, "2.3", layerData(8)); err != nil {
		t.Fatal(err)
	}
	got, err := newCache(t, repo, Options{}).Get(ctx, diffID, "2.3")
	if err != nil || !bytes.Equal(got, layerData(8)) {
		t.Fatalf("after a new Put: %v", err)
	}
}

func TestMissIsNotFound(t *testing.T) {
	reg := registrytest.New(t)
	ctx := context.Background()
	// The repository does not exist (NAME_UNKNOWN), then the tag (MANIFEST_UNKNOWN).
	c := newCache(t, reg.Host+"/ci/slimpy-cache", Options{})
	_, err := c.Get(ctx, diffIDOf("a"), "2.3")
	if e := kindOf(t, err); e.Kind != NotFound || e.Op != "get" || e.DiffID != diffIDOf("a") {
		t.Fatalf("%v", err)
	}
	if err := c.Put(ctx, diffIDOf("b"), "2.3", layerData(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, diffIDOf("a"), "2.3"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("%v", err)
	}
	// A miss does not switch the cache off.
	if _, err := c.Get(ctx, diffIDOf("b"), "2.3"); err != nil {
		t.Fatal(err)
	}
}

// dataBlobDigest is the digest of data as Put stores it.
func dataBlobDigest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func TestDamagedOrTruncatedDataIsCorrupt(t *testing.T) {
	data := layerData(3)
	blobPath := "/blobs/" + dataBlobDigest(data)
	cases := map[string]func(w http.ResponseWriter){
		"a byte flipped": func(w http.ResponseWriter) {
			bad := bytes.Clone(data)
			bad[len(bad)/2] ^= 1
			w.Write(bad)
		},
		"truncated, honest length": func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", fmt.Sprint(len(data)-100))
			w.Write(data[:len(data)-100])
		},
		"truncated, connection closed early": func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", fmt.Sprint(len(data)))
			w.Write(data[:len(data)-100])
			// the handler returns: the server closes a response shorter than its length
		},
		"longer": func(w http.ResponseWriter) {
			w.Write(append(bytes.Clone(data), "more"...))
		},
		"empty": func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "0")
		},
	}
	for what, serve := range cases {
		t.Run(what, func(t *testing.T) {
			reg := registrytest.New(t)
			c := newCache(t, reg.Host+"/ci/slimpy-cache", Options{})
			ctx := context.Background()
			diffID := diffIDOf("damaged")
			if err := c.Put(ctx, diffID, "2.3", data); err != nil {
				t.Fatal(err)
			}
			reg.SetHook(func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, blobPath) {
					serve(w)
					return true
				}
				return false
			})
			got, err := c.Get(ctx, diffID, "2.3")
			if got != nil {
				t.Error("damaged data was returned")
			}
			if e := kindOf(t, err); e.Kind != Corrupt {
				t.Fatalf("kind %v: %v", e.Kind, err)
			}
			// The next layer is still asked for: damage is one entry's.
			if _, err := c.Get(ctx, diffIDOf("other"), "2.3"); !errors.Is(err, ErrNotFound) {
				t.Errorf("after a corrupt entry: %v", err)
			}
		})
	}
}

func TestUndecodableIsCorrupt(t *testing.T) {
	c := newCache(t, "127.0.0.1:1/ci/slimpy-cache", Options{})
	err := c.Undecodable(diffIDOf("a"), errors.New("damaged layer cache entry"))
	if !errors.Is(err, ErrCorrupt) || err.Op != "decode" || !strings.Contains(err.Error(), "damaged layer cache entry") {
		t.Fatalf("%v", err)
	}
}

func TestSomethingElseUnderTheTagIsInvalid(t *testing.T) {
	reg := registrytest.New(t)
	repo := reg.Host + "/ci/slimpy-cache"
	c := newCache(t, repo, Options{})
	ctx := context.Background()
	a, b := diffIDOf("a"), diffIDOf("b")

	// An image pushed under the tag.
	img, err := random.Image(100, 1)
	if err != nil {
		t.Fatal(err)
	}
	tagA, _ := Tag(a, "2.3")
	refA, _ := name.ParseReference(repo+":"+tagA, name.Insecure)
	if err := remote.Write(refA, img); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, a, "2.3"); kindOf(t, err).Kind != Invalid {
		t.Fatalf("an image under the tag: %v", err)
	}

	// The artifact of b copied under a's tag: the annotations say so.
	if err := c.Put(ctx, b, "2.3", layerData(2)); err != nil {
		t.Fatal(err)
	}
	tagB, _ := Tag(b, "2.3")
	refB, _ := name.ParseReference(repo+":"+tagB, name.Insecure)
	desc, err := remote.Get(refB)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(refA, rawManifest(desc.Manifest)); err != nil {
		t.Fatal(err)
	}
	_, err = c.Get(ctx, a, "2.3")
	if e := kindOf(t, err); e.Kind != Invalid || !strings.Contains(err.Error(), "analysis of layer") {
		t.Fatalf("b's artifact under a's tag: %v", err)
	}

	// A manifest whose data blob the repository lacks.
	raw, _ := Manifest(a, "2.3", []byte("never uploaded"))
	if err := remote.Put(refA, rawManifest(raw)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, a, "2.3"); kindOf(t, err).Kind != Invalid {
		t.Fatalf("missing data blob: %v", err)
	}
}

func TestSizeIsBoundedBothWays(t *testing.T) {
	reg := registrytest.New(t)
	repo := reg.Host + "/ci/slimpy-cache"
	ctx := context.Background()
	big := bytes.Repeat([]byte{1}, 5000)
	small := newCache(t, repo, Options{MaxSize: 4096})
	reg.Take()
	if err := small.Put(ctx, diffIDOf("big"), "2.3", big); kindOf(t, err).Kind != Oversized {
		t.Fatalf("%v", err)
	}
	if r := reg.Take(); len(r) != 0 {
		t.Errorf("an oversized Put made requests: %v", r)
	}
	if err := newCache(t, repo, Options{}).Put(ctx, diffIDOf("big"), "2.3", big); err != nil {
		t.Fatal(err)
	}
	reg.Take()
	if _, err := small.Get(ctx, diffIDOf("big"), "2.3"); kindOf(t, err).Kind != Oversized {
		t.Fatalf("%v", err)
	}
	if r := reg.Take("/blobs/"); len(r) != 0 {
		t.Errorf("an oversized blob was fetched: %v", r)
	}
}

func TestUnreachableRegistrySwitchesTheCacheOff(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	c := newCache(t, addr+"/ci/slimpy-cache", Options{})
	ctx := context.Background()
	_, err = c.Get(ctx, diffIDOf("a"), "2.3")
	if e := kindOf(t, err); e.Kind != Unreachable || e.Repeat {
		t.Fatalf("%v", err)
	}
	_, err = c.Get(ctx, diffIDOf("b"), "2.3")
	if e := kindOf(t, err); e.Kind != Unreachable || !e.Repeat {
		t.Fatalf("second Get: %v", err)
	}
	if e := kindOf(t, c.Put(ctx, diffIDOf("b"), "2.3", []byte("x"))); e.Kind != Unreachable || !e.Repeat {
		t.Fatalf("Put after: %v", e)
	}
}

func TestRefusedCredentials(t *testing.T) {
	reg := registrytest.New(t)
	repo := reg.Host + "/ci/slimpy-cache"
	ctx := context.Background()
	diffID := diffIDOf("a")
	if err := newCache(t, repo, Options{}).Put(ctx, diffID, "2.3", layerData(1)); err != nil {
		t.Fatal(err)
	}

	// Writes refused (read-only credentials): reads go on, writes stop.
	reg.SetHook(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}`)
		return true
	})
	c := newCache(t, repo, Options{})
	if e := kindOf(t, c.Put(ctx, diffIDOf("new"), "2.3", layerData(2))); e.Kind != Refused || e.Repeat {
		t.Fatalf("Put: %v", e)
	}
	if got, err := c.Get(ctx, diffID, "2.3"); err != nil || !bytes.Equal(got, layerData(1)) {
		t.Fatalf("a refused write stopped reads: %v", err)
	}
	reg.Take()
	if e := kindOf(t, c.Put(ctx, diffIDOf("new2"), "2.3", layerData(3))); e.Kind != Refused || !e.Repeat {
		t.Fatalf("second Put: %v", e)
	}
	if r := reg.Take(); len(r) != 0 {
		t.Errorf("a switched-off Put made requests: %v", r)
	}

	// Everything refused.
	reg.SetHook(func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		w.WriteHeader(http.StatusUnauthorized)
		return true
	})
	c = newCache(t, repo, Options{})
	_, err := c.Get(ctx, diffID, "2.3")
	if e := kindOf(t, err); e.Kind != Refused {
		t.Fatalf("Get: %v", err)
	}
}

func TestHangingRegistryTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	c := newCache(t, strings.TrimPrefix(srv.URL, "http://")+"/ci/slimpy-cache", Options{Timeout: 300 * time.Millisecond})
	ctx := context.Background()
	_, err := c.Get(ctx, diffIDOf("a"), "2.3")
	if e := kindOf(t, err); e.Kind != Timeout {
		t.Fatalf("%v", err)
	}
	// Switched off: the next one does not wait again.
	if e := kindOf(t, c.Put(ctx, diffIDOf("a"), "2.3", []byte("x"))); e.Kind != Timeout || !e.Repeat {
		t.Fatalf("%v", e)
	}
}

func TestCallerCancellationIsNotAWarning(t *testing.T) {
	reg := registrytest.New(t)
	started := make(chan struct{})
	reg.SetHook(func(w http.ResponseWriter, r *http.Request) bool {
		close(started)
		<-r.Context().Done()
		return true
	})
	c := newCache(t, reg.Host+"/ci/slimpy-cache", Options{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	_, err := c.Get(ctx, diffIDOf("a"), "2.3")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("%v", err)
	}
	var e *Error
	if errors.As(err, &e) {
		t.Fatalf("cancellation became a cache error: %v", err)
	}
}

func TestTag(t *testing.T) {
	long := "sha512:" + strings.Repeat("ab", 64)
	tag, err := Tag(long, "2.3")
	if err != nil || !strings.HasPrefix(tag, "x-") || len(tag) > 128 {
		t.Fatalf("%q %v", tag, err)
	}
	for _, bad := range [][2]string{
		{"sha256:" + strings.Repeat("a", 64), ""},
		{"sha256:" + strings.Repeat("a", 64), "2/3"},
		{"sha256:" + strings.Repeat("a", 64), strings.Repeat("9", 41)},
		{"nocolon", "2.3"},
	} {
		if _, err := Tag(bad[0], bad[1]); err == nil {
			t.Errorf("Tag(%q, %q) accepted", bad[0], bad[1])
		}
	}
	if _, err := New("example.com/repo:tag", Options{}); err == nil {
		t.Error("a repository with a tag was accepted")
	}
}
