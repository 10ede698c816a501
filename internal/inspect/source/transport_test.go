package source

import (
	"archive/tar"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
	"github.com/slimpy/slimpy/internal/textsafe"
)

// --- helpers ---------------------------------------------------------------

// trTestImage is a small random image whose config says os/arch[/variant].
func trTestImage(t *testing.T, platform string) v1.Image {
	t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(platform, "/")
	cf.OS, cf.Architecture = parts[0], parts[1]
	if len(parts) == 3 {
		cf.Variant = parts[2]
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// trTestIndex is an index of one image per platform; it returns the images too.
func trTestIndex(t *testing.T, platforms ...string) (v1.ImageIndex, map[string]v1.Image) {
	t.Helper()
	var idx v1.ImageIndex = empty.Index
	imgs := map[string]v1.Image{}
	for _, p := range platforms {
		img := trTestImage(t, p)
		imgs[p] = img
		plat, _, err := parsePlatform(p)
		if err != nil {
			t.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &plat}})
	}
	return idx, imgs
}

func trStartRegistry(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func trMustOpen(t *testing.T, ref string, opts OpenOptions) *Source {
	t.Helper()
	src, err := Open(context.Background(), ref, opts)
	if err != nil {
		t.Fatalf("Open(%q): %v", ref, err)
	}
	t.Cleanup(func() { src.Close() })
	if src.Reference != ref {
		t.Errorf("Reference = %q, want %q", src.Reference, ref)
	}
	return src
}

// trOpenErr opens ref expecting a one-line error that names the reference
// and contains every one of wants.
func trOpenErr(t *testing.T, ref string, opts OpenOptions, wants ...string) error {
	t.Helper()
	src, err := Open(context.Background(), ref, opts)
	if err == nil {
		src.Close()
		t.Fatalf("Open(%q) succeeded, want an error", ref)
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("Open(%q) error is not one line: %q", ref, msg)
	}
	if !strings.Contains(msg, ref) {
		t.Errorf("Open(%q) error does not name the reference: %q", ref, msg)
	}
	for _, w := range wants {
		if !strings.Contains(msg, w) {
			t.Errorf("Open(%q) error %q does not contain %q", ref, msg, w)
		}
	}
	return err
}

func trHashesOf(t *testing.T, img v1.Image, diffIDs bool) []string {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range ls {
		var h v1.Hash
		if diffIDs {
			h, err = l.DiffID()
		} else {
			h, err = l.Digest()
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h.String())
	}
	return out
}

func trSameHashes(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s:\n got  %v\n want %v", what, got, want)
	}
}

// trCheckStreams checks what Analyze reads of each layer of src: the blob
// as stored against its digest, where the source gives it as-is, and the
// uncompressed tar against the config's DiffIDs.
func trCheckStreams(t *testing.T, src *Source) {
	t.Helper()
	cfg, err := src.Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	ls, err := src.Image.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != len(cfg.RootFS.DiffIDs) {
		t.Fatalf("%d layers, %d diff IDs", len(ls), len(cfg.RootFS.DiffIDs))
	}
	sum := func(open func() (io.ReadCloser, error)) string {
		rc, err := open()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		h := sha256.New()
		if _, err := io.Copy(h, rc); err != nil {
			t.Fatal(err)
		}
		return "sha256:" + hex.EncodeToString(h.Sum(nil))
	}
	for i, l := range ls {
		if src.RawCompressed {
			d, err := l.Digest()
			if err != nil {
				t.Fatal(err)
			}
			if got := sum(l.Compressed); got != d.String() {
				t.Errorf("layer %d blob hashes to %s, its digest is %s", i, got, d)
			}
		}
		if got := sum(l.Uncompressed); got != cfg.RootFS.DiffIDs[i].String() {
			t.Errorf("layer %d content hashes to %s, config says %s", i, got, cfg.RootFS.DiffIDs[i])
		}
	}
}

func trRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type trStaticKeychain struct{ user, pass string }

func (k trStaticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return authn.FromConfig(authn.AuthConfig{Username: k.user, Password: k.pass}), nil
}

// trHermeticDocker keeps the host's docker config (credentials, contexts)
// out of a test.
func trHermeticDocker(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
}

// --- registry --------------------------------------------------------------

func TestOpenTransportRegistry(t *testing.T) {
	trHermeticDocker(t)
	host := trStartRegistry(t, nil)
	img := trTestImage(t, "linux/amd64")
	ref := host + "/repo:tag"
	if err := remote.Write(trRef(t, ref), img); err != nil {
		t.Fatal(err)
	}

	src := trMustOpen(t, "docker://"+ref, OpenOptions{Insecure: true})
	if src.Transport != "docker" || !src.RawCompressed || src.Name != ref || src.Platform != "linux/amd64" {
		t.Errorf("Transport=%q RawCompressed=%v Name=%q Platform=%q", src.Transport, src.RawCompressed, src.Name, src.Platform)
	}
	trSameHashes(t, "layer digests", trHashesOf(t, src.Image, false), trHashesOf(t, img, false))
	trSameHashes(t, "diff IDs", trHashesOf(t, src.Image, true), trHashesOf(t, img, true))
	wantD, _ := img.Digest()
	if gotD, err := src.Image.Digest(); err != nil || gotD != wantD {
		t.Errorf("image digest %v (%v), want %v", gotD, err, wantD)
	}
	trCheckStreams(t, src)

	// 127.0.0.1 is plain HTTP without the option too (as in go-containerregistry).
	trMustOpen(t, "docker://"+ref, OpenOptions{})
	// An explicit platform the single image matches; one it does not.
	trMustOpen(t, "docker://"+ref, OpenOptions{Platform: "linux/amd64", Insecure: true})
	trOpenErr(t, "docker://"+ref, OpenOptions{Platform: "linux/arm64", Insecure: true}, "has no linux/arm64 image", "only linux/amd64")

	trOpenErr(t, "docker://"+host+"/repo:missing", OpenOptions{Insecure: true}, "not found (404)", "MANIFEST_UNKNOWN")
	trOpenErr(t, "docker://"+host+"/nope:1", OpenOptions{Insecure: true}, "not found")
	trOpenErr(t, "docker://"+host+"/Bad Name", OpenOptions{Insecure: true}, "invalid image reference")
	trOpenErr(t, "docker://"+ref, OpenOptions{Platform: "linux"}, "invalid platform")

	// A registry that is not there.
	l := httptest.NewServer(http.NotFoundHandler())
	dead := strings.TrimPrefix(l.URL, "http://")
	l.Close()
	trOpenErr(t, "docker://"+dead+"/repo:1", OpenOptions{Insecure: true}, "cannot reach the registry "+dead)
}

func TestOpenTransportRegistryAuth(t *testing.T) {
	trHermeticDocker(t)
	host := trStartRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "s3cret" {
				w.Header().Set("WWW-Authenticate", `Basic realm="x"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	img := trTestImage(t, "linux/amd64")
	ref := host + "/private/app:1"
	good := trStaticKeychain{"alice", "s3cret"}
	if err := remote.Write(trRef(t, ref), img, remote.WithAuthFromKeychain(good)); err != nil {
		t.Fatal(err)
	}

	// No credentials (the default keychain, with an empty docker config).
	trOpenErr(t, "docker://"+ref, OpenOptions{Insecure: true}, "authentication required (401)")
	// Wrong ones.
	trOpenErr(t, "docker://"+ref, OpenOptions{Insecure: true, Keychain: trStaticKeychain{"alice", "nope"}}, "authentication required")
	// Right ones.
	src := trMustOpen(t, "docker://"+ref, OpenOptions{Insecure: true, Keychain: good})
	trSameHashes(t, "layer digests", trHashesOf(t, src.Image, false), trHashesOf(t, img, false))
	trCheckStreams(t, src)
}

func TestOpenTransportRegistryMultiPlatform(t *testing.T) {
	trHermeticDocker(t)
	host := trStartRegistry(t, nil)
	idx, imgs := trTestIndex(t, "linux/amd64", "linux/arm64/v8")
	ref := host + "/multi:1"
	if err := remote.WriteIndex(trRef(t, ref), idx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ ask, want string }{
		{"linux/amd64", "linux/amd64"},
		{"linux/arm64", "linux/arm64/v8"},
		{"linux/arm64/v8", "linux/arm64/v8"},
		{"linux/aarch64", "linux/arm64/v8"},
	} {
		src := trMustOpen(t, "docker://"+ref, OpenOptions{Platform: tc.ask, Insecure: true})
		if src.Platform != tc.want {
			t.Errorf("platform %s: got %q, want %q", tc.ask, src.Platform, tc.want)
		}
		got, _ := src.Image.Digest()
		want, _ := imgs[tc.want].Digest()
		if got != want {
			t.Errorf("platform %s: image %s, want %s", tc.ask, got, want)
		}
		trSameHashes(t, "layer digests "+tc.ask, trHashesOf(t, src.Image, false), trHashesOf(t, imgs[tc.want], false))
	}
	// The default is the host's architecture on linux.
	if runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64" {
		src := trMustOpen(t, "docker://"+ref, OpenOptions{Insecure: true})
		if !strings.HasPrefix(src.Platform, "linux/"+runtime.GOARCH) {
			t.Errorf("default platform: got %q", src.Platform)
		}
	}
	err := trOpenErr(t, "docker://"+ref, OpenOptions{Platform: "linux/s390x", Insecure: true})
	if want := "image docker://" + ref + " has no linux/s390x image; it has linux/amd64, linux/arm64/v8"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	trOpenErr(t, "docker://"+ref, OpenOptions{Platform: "linux/arm64/v7", Insecure: true}, "has no linux/arm64/v7 image")
}

// --- docker-archive --------------------------------------------------------

func TestOpenTransportDockerArchive(t *testing.T) {
	dir := t.TempDir()
	img := trTestImage(t, "linux/arm64/v8")
	p := filepath.Join(dir, "img.tar")
	if err := tarball.WriteToFile(p, name.MustParseReference("example.com/app:1.0"), img); err != nil {
		t.Fatal(err)
	}

	for _, ref := range []string{"docker-archive:" + p, p, "docker-archive:" + p + ":example.com/app:1.0"} {
		src := trMustOpen(t, ref, OpenOptions{})
		if src.Transport != "docker-archive" || src.RawCompressed || src.Platform != "linux/arm64/v8" {
			t.Errorf("%s: Transport=%q RawCompressed=%v Platform=%q", ref, src.Transport, src.RawCompressed, src.Platform)
		}
		if src.Name != "example.com/app:1.0" {
			t.Errorf("%s: Name=%q", ref, src.Name)
		}
		trSameHashes(t, "diff IDs", trHashesOf(t, src.Image, true), trHashesOf(t, img, true))
		trCheckStreams(t, src)
	}

	missing := filepath.Join(dir, "missing.tar")
	if err := trOpenErr(t, "docker-archive:"+missing, OpenOptions{}); err.Error() != "docker-archive:"+missing+": no such file" {
		t.Errorf("got %q", err)
	}
	trOpenErr(t, missing, OpenOptions{}, "no such file")
	trOpenErr(t, "docker-archive:"+dir, OpenOptions{}, "is a directory")
	trOpenErr(t, "docker-archive:"+p+":other:2", OpenOptions{}, "has no image other:2", "example.com/app:1.0")
	trOpenErr(t, "docker-archive:"+p, OpenOptions{Platform: "linux/amd64"}, "has no linux/amd64 image")
	junk := filepath.Join(dir, "junk.tar")
	os.WriteFile(junk, []byte("not a tar at all"), 0o644)
	trOpenErr(t, "docker-archive:"+junk, OpenOptions{}, "not a docker save archive")

	// Several images: a tag is needed.
	img2 := trTestImage(t, "linux/amd64")
	multi := filepath.Join(dir, "multi.tar")
	refs := map[name.Reference]v1.Image{
		name.MustParseReference("app:1"):     img,
		name.MustParseReference("app:other"): img2,
	}
	f, err := os.Create(multi)
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.MultiRefWrite(refs, f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	trOpenErr(t, "docker-archive:"+multi, OpenOptions{}, "holds 2 images", "app:1", "app:other")
	src := trMustOpen(t, "docker-archive:"+multi+":app:other", OpenOptions{})
	trSameHashes(t, "diff IDs of app:other", trHashesOf(t, src.Image, true), trHashesOf(t, img2, true))
	if src.Platform != "linux/amd64" {
		t.Errorf("Platform=%q", src.Platform)
	}
}

// --- oci and oci-archive ---------------------------------------------------

func trWriteLayout(t *testing.T, dir string) (v1, v2 v1.Image, multi map[string]v1.Image) {
	t.Helper()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	v1 = trTestImage(t, "linux/amd64")
	v2 = trTestImage(t, "linux/amd64")
	idx, multi := trTestIndex(t, "linux/amd64", "linux/arm64/v8")
	for _, x := range []struct {
		tag string
		add func(layout.Option) error
	}{
		{"v1", func(o layout.Option) error { return lp.AppendImage(v1, o) }},
		{"docker.io/library/app:v2", func(o layout.Option) error { return lp.AppendImage(v2, o) }},
		{"multi", func(o layout.Option) error { return lp.AppendIndex(idx, o) }},
	} {
		if err := x.add(layout.WithAnnotations(map[string]string{ociRefNameAnnotation: x.tag})); err != nil {
			t.Fatal(err)
		}
	}
	return v1, v2, multi
}

func TestOpenTransportOCILayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	i1, i2, multi := trWriteLayout(t, dir)

	src := trMustOpen(t, "oci:"+dir+":v1", OpenOptions{})
	if src.Transport != "oci" || !src.RawCompressed || src.Name != dir+":v1" || src.Platform != "linux/amd64" {
		t.Errorf("Transport=%q RawCompressed=%v Name=%q Platform=%q", src.Transport, src.RawCompressed, src.Name, src.Platform)
	}
	trSameHashes(t, "v1 layers", trHashesOf(t, src.Image, false), trHashesOf(t, i1, false))
	trCheckStreams(t, src)

	// A full-reference annotation matches its tag and its full name.
	for _, tag := range []string{"v2", "app:v2", "docker.io/library/app:v2"} {
		src = trMustOpen(t, "oci:"+dir+":"+tag, OpenOptions{})
		trSameHashes(t, "v2 layers via "+tag, trHashesOf(t, src.Image, false), trHashesOf(t, i2, false))
	}

	// A multi-platform index under one name.
	src = trMustOpen(t, "oci:"+dir+":multi", OpenOptions{Platform: "linux/arm64"})
	if src.Platform != "linux/arm64/v8" {
		t.Errorf("Platform=%q", src.Platform)
	}
	trSameHashes(t, "multi arm64 layers", trHashesOf(t, src.Image, false), trHashesOf(t, multi["linux/arm64/v8"], false))
	trOpenErr(t, "oci:"+dir+":multi", OpenOptions{Platform: "linux/s390x"}, "has no linux/s390x image; it has linux/amd64, linux/arm64/v8")

	trOpenErr(t, "oci:"+dir, OpenOptions{}, "holds 3 images", "v1", "multi", "docker.io/library/app:v2")
	trOpenErr(t, "oci:"+dir+":nope", OpenOptions{}, `no image tagged "nope"`, "v1")
	trOpenErr(t, "oci:"+filepath.Join(dir, "missing"), OpenOptions{}, "no such directory")
	trOpenErr(t, "oci:"+t.TempDir(), OpenOptions{}, "not an OCI image layout")

	// A layout with a single image needs no tag, and a bare directory path works.
	single := filepath.Join(t.TempDir(), "single")
	img := trTestImage(t, "linux/amd64")
	tartest.WriteLayout(t, single, img)
	for _, ref := range []string{"oci:" + single, single} {
		src = trMustOpen(t, ref, OpenOptions{})
		if src.Transport != "oci" {
			t.Errorf("%s: Transport=%q", ref, src.Transport)
		}
		trSameHashes(t, "single layers", trHashesOf(t, src.Image, false), trHashesOf(t, img, false))
	}

	// A layout whose only entry is a multi-platform index, untagged.
	mdir := filepath.Join(t.TempDir(), "m")
	idx, imgs := trTestIndex(t, "linux/amd64", "linux/arm64")
	if _, err := layout.Write(mdir, empty.Index); err != nil {
		t.Fatal(err)
	}
	if err := layout.Path(mdir).AppendIndex(idx); err != nil {
		t.Fatal(err)
	}
	src = trMustOpen(t, "oci:"+mdir, OpenOptions{Platform: "linux/arm64"})
	trSameHashes(t, "untagged index arm64", trHashesOf(t, src.Image, false), trHashesOf(t, imgs["linux/arm64"], false))
}

// trTarDir writes a tar of dir's files to p.
func trTarDir(t *testing.T, dir, p string) {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if rel == "." {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		h, err := tar.FileInfoHeader(fi, "")
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if d.Type().IsRegular() {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			_, err = tw.Write(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

func trSlimpyTempDirs(t *testing.T) map[string]bool {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(os.TempDir(), "slimpy-oci-*"))
	out := map[string]bool{}
	for _, d := range m {
		out[d] = true
	}
	return out
}

func TestOpenTransportOCIArchive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	i1, _, multi := trWriteLayout(t, dir)
	p := filepath.Join(t.TempDir(), "oci.tar")
	trTarDir(t, dir, p)

	// Read in place: nothing is extracted.
	before := trSlimpyTempDirs(t)
	src, err := Open(context.Background(), "oci-archive:"+p+":v1", OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if src.Transport != "oci-archive" || !src.RawCompressed || src.Name != p+":v1" || src.Platform != "linux/amd64" {
		t.Errorf("Transport=%q RawCompressed=%v Name=%q Platform=%q", src.Transport, src.RawCompressed, src.Name, src.Platform)
	}
	trSameHashes(t, "v1 layers", trHashesOf(t, src.Image, false), trHashesOf(t, i1, false))
	trCheckStreams(t, src)
	if after := trSlimpyTempDirs(t); len(after) != len(before) {
		t.Errorf("opening the archive made temporary directories")
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}

	// A gzipped archive is read again to each file it opens.
	gz := filepath.Join(t.TempDir(), "oci.tar.gz")
	raw, _ := os.ReadFile(p)
	os.WriteFile(gz, tartest.Gzip(t, raw), 0o644)
	src = trMustOpen(t, "oci-archive:"+gz+":v1", OpenOptions{})
	trSameHashes(t, "gzipped v1 layers", trHashesOf(t, src.Image, false), trHashesOf(t, i1, false))
	trCheckStreams(t, src)

	src = trMustOpen(t, "oci-archive:"+p+":multi", OpenOptions{Platform: "linux/arm64/v8"})
	trSameHashes(t, "multi arm64 layers", trHashesOf(t, src.Image, false), trHashesOf(t, multi["linux/arm64/v8"], false))
	src.Close()

	trOpenErr(t, "oci-archive:"+p+":nope", OpenOptions{}, `no image tagged "nope"`)
	trOpenErr(t, "oci-archive:"+filepath.Join(t.TempDir(), "none.tar"), OpenOptions{}, "no such file")
	if after := trSlimpyTempDirs(t); len(after) > len(before) {
		t.Errorf("failed opens left temporary directories behind")
	}

	// A bare .tar path holding an OCI layout (with a single image) is read as oci-archive.
	single := filepath.Join(t.TempDir(), "single")
	img := trTestImage(t, "linux/amd64")
	tartest.WriteLayout(t, single, img)
	sp := filepath.Join(t.TempDir(), "single.tar")
	trTarDir(t, single, sp)
	src = trMustOpen(t, sp, OpenOptions{})
	if src.Transport != "oci-archive" {
		t.Errorf("Transport=%q", src.Transport)
	}
	trSameHashes(t, "single layers", trHashesOf(t, src.Image, false), trHashesOf(t, img, false))

	// docker-archive and oci-archive point at each other.
	dp := filepath.Join(t.TempDir(), "d.tar")
	if err := tarball.WriteToFile(dp, name.MustParseReference("app:1"), img); err != nil {
		t.Fatal(err)
	}
	trOpenErr(t, "oci-archive:"+dp, OpenOptions{}, "use docker-archive:")
	trOpenErr(t, "docker-archive:"+sp, OpenOptions{}, "oci-archive:")

	// Members outside the layout's names are never read (nothing is
	// extracted, so none can escape).
	evil := filepath.Join(t.TempDir(), "evil.tar")
	f, _ := os.Create(evil)
	tw := tar.NewWriter(f)
	tw.WriteHeader(&tar.Header{Name: "../index.json", Mode: 0o644, Size: 2, Typeflag: tar.TypeReg})
	tw.Write([]byte("{}"))
	tw.Close()
	f.Close()
	trOpenErr(t, "oci-archive:"+evil, OpenOptions{}, "not an OCI archive (no index.json)")
}

// --- references ------------------------------------------------------------

func TestOpenTransportReferences(t *testing.T) {
	for _, ref := range []string{"containers-storage:foo:1", "dir:/tmp/x", "docker-archve:/x.tar", "https://example.com/app"} {
		trOpenErr(t, ref, OpenOptions{}, "unsupported transport", "docker-daemon:", "oci-archive:", "docker://")
	}
	if _, err := Open(context.Background(), "", OpenOptions{}); err == nil {
		t.Error("empty reference accepted")
	}
	trOpenErr(t, "docker-daemon:", OpenOptions{}, "no image name")
	trOpenErr(t, "docker-archive:", OpenOptions{}, "no path given")

	for s, want := range map[string][2]string{
		"/x/y.tar":          {"/x/y.tar", ""},
		"/x/y.tar:app:1":    {"/x/y.tar", "app:1"},
		"dir:docker.io/a:1": {"dir", "docker.io/a:1"},
	} {
		if p, tag := splitPathRef(s); p != want[0] || tag != want[1] {
			t.Errorf("splitPathRef(%q) = %q, %q; want %q", s, p, tag, want)
		}
	}
}

// Bare NAME[:TAG] with no engine to ask goes to the registry.
func TestOpenTransportBareFallsBackToRegistry(t *testing.T) {
	trHermeticDocker(t)
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-docker.sock"))
	host := trStartRegistry(t, nil)
	img := trTestImage(t, "linux/amd64")
	ref := host + "/bare:1"
	if err := remote.Write(trRef(t, ref), img); err != nil {
		t.Fatal(err)
	}
	src := trMustOpen(t, ref, OpenOptions{Insecure: true})
	if src.Transport != "docker" || !src.RawCompressed {
		t.Errorf("Transport=%q RawCompressed=%v", src.Transport, src.RawCompressed)
	}
	trSameHashes(t, "layers", trHashesOf(t, src.Image, false), trHashesOf(t, img, false))
	trOpenErr(t, host+"/bare:missing", OpenOptions{Insecure: true}, "not found", "no local Docker engine")
}

func TestOpenTransportDaemonUnreachable(t *testing.T) {
	trHermeticDocker(t)
	sock := "unix://" + filepath.Join(t.TempDir(), "no-docker.sock")
	t.Setenv("DOCKER_HOST", sock)
	trOpenErr(t, "docker-daemon:foo:1", OpenOptions{}, "cannot reach the Docker engine at "+sock)
}

// The engine's address comes from the current docker context when
// DOCKER_HOST is unset.
func TestOpenTransportDockerContext(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("DOCKER_CONFIG", cfg)
	t.Setenv("DOCKER_HOST", "")
	t.Setenv("DOCKER_CONTEXT", "")
	sock := "unix://" + filepath.Join(t.TempDir(), "ctx.sock")
	sum := sha256.Sum256([]byte("colima"))
	meta := filepath.Join(cfg, "contexts", "meta", hex.EncodeToString(sum[:]))
	os.MkdirAll(meta, 0o755)
	os.WriteFile(filepath.Join(meta, "meta.json"), []byte(`{"Name":"colima","Endpoints":{"docker":{"Host":"`+sock+`"}}}`), 0o644)
	os.WriteFile(filepath.Join(cfg, "config.json"), []byte(`{"currentContext":"colima"}`), 0o644)
	if got := contextDockerHost(); got != sock {
		t.Errorf("contextDockerHost() = %q, want %q", got, sock)
	}
	trOpenErr(t, "docker-daemon:foo:1", OpenOptions{}, "cannot reach the Docker engine at "+sock)
	t.Setenv("DOCKER_CONTEXT", "default")
	if got := contextDockerHost(); got != "" {
		t.Errorf("DOCKER_CONTEXT=default: contextDockerHost() = %q", got)
	}
}

// --- the Docker engine -----------------------------------------------------

func trRequireDocker(t *testing.T) {
	t.Helper()
	out, err := exec.Command("docker", "info").CombinedOutput()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("no usable Docker engine (docker info: %v: %s)", err, textsafe.OneLine(string(out)))
	if os.Getenv("SLIMPY_REQUIRE_DOCKER") == "1" {
		t.Fatal(msg + "; SLIMPY_REQUIRE_DOCKER=1 demands one")
	}
	t.Skip(msg + "; set SLIMPY_REQUIRE_DOCKER=1 to make this a failure")
}

// trLoadImage loads img into the engine as slimpy-test/REPO:RANDOM, removed
// when the test ends, and returns that tag.
func trLoadImage(t *testing.T, repo string, img v1.Image) string {
	t.Helper()
	b := make([]byte, 4)
	rand.Read(b)
	tag := "slimpy-test/" + repo + ":" + hex.EncodeToString(b)
	p := filepath.Join(t.TempDir(), "img.tar")
	if err := tarball.WriteToFile(p, trRef(t, tag), img); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("docker", "load", "-i", p).CombinedOutput(); err != nil {
		t.Fatalf("docker load: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("docker", "rmi", "-f", tag).CombinedOutput(); err != nil {
			t.Logf("docker rmi %s: %v: %s", tag, err, out)
		}
	})
	return tag
}

func TestOpenTransportDaemon(t *testing.T) {
	trRequireDocker(t)
	img := trTestImage(t, "linux/amd64")
	tag := trLoadImage(t, "transport", img)
	wantDiffIDs := trHashesOf(t, img, true)

	for _, ref := range []string{"docker-daemon:" + tag, tag} {
		src, err := Open(context.Background(), ref, OpenOptions{})
		if err != nil {
			t.Fatalf("Open(%q): %v", ref, err)
		}
		if src.Transport != "docker-daemon" || src.RawCompressed || src.Name != tag || src.Platform != "linux/amd64" {
			t.Errorf("%s: Transport=%q RawCompressed=%v Name=%q Platform=%q", ref, src.Transport, src.RawCompressed, src.Name, src.Platform)
		}
		cfg, err := src.Image.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		var cfgIDs []string
		for _, h := range cfg.RootFS.DiffIDs {
			cfgIDs = append(cfgIDs, h.String())
		}
		trSameHashes(t, ref+" config diff IDs", cfgIDs, wantDiffIDs)
		trSameHashes(t, ref+" layer diff IDs", trHashesOf(t, src.Image, true), wantDiffIDs)
		trCheckStreams(t, src)

		// The saved image went to a temporary file, which Close removes.
		saver, ok := src.closers[0].(*tempCapturingClient)
		if !ok || len(saver.paths) != 1 {
			t.Fatalf("%s: the save was not buffered to one temporary file (%T)", ref, src.closers[0])
		}
		tmp := saver.paths[0]
		if _, err := os.Stat(tmp); err != nil {
			t.Errorf("temporary file: %v", err)
		}
		if err := src.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if _, err := os.Stat(tmp); !os.IsNotExist(err) {
			t.Errorf("Close left %s behind (%v)", tmp, err)
		}
	}

	// By image ID.
	id, err := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", tag).Output()
	if err != nil {
		t.Fatal(err)
	}
	short := strings.TrimPrefix(strings.TrimSpace(string(id)), "sha256:")[:12]
	src := trMustOpen(t, "docker-daemon:"+short, OpenOptions{})
	trSameHashes(t, "by ID diff IDs", trHashesOf(t, src.Image, true), wantDiffIDs)

	err = trOpenErr(t, "docker-daemon:slimpy-test/absent:1", OpenOptions{})
	if want := "docker-daemon:slimpy-test/absent:1: the Docker engine has no image slimpy-test/absent:1"; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	trOpenErr(t, "docker-daemon:"+tag, OpenOptions{Platform: "linux/arm64"}, "is linux/amd64, not linux/arm64")
}
