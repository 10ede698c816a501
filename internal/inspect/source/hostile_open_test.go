package source

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// Hostile and broken references and image metadata: each is a one-line
// error that says what is wrong, in bounded memory.

// writeIndexJSON writes an OCI layout whose index.json is im (its blobs
// may be absent).
func writeIndexJSON(t *testing.T, im v1.IndexManifest) string {
	t.Helper()
	dir := t.TempDir()
	b, err := json.Marshal(im)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
	if err := os.WriteFile(filepath.Join(dir, "index.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func fakeDigest(i int) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%064x", i)}
}

// An index of 20,000 platforms, none the one asked for: the error lists a
// few and counts the rest.
func TestHostileManyPlatformsListsAFew(t *testing.T) {
	im := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}
	for i := 0; i < 20000; i++ {
		im.Manifests = append(im.Manifests, v1.Descriptor{
			MediaType: types.OCIManifestSchema1, Digest: fakeDigest(i), Size: 100,
			Platform: &v1.Platform{OS: "linux", Architecture: fmt.Sprintf("arch%d", i)},
		})
	}
	dir := writeIndexJSON(t, im)
	err := trOpenErr(t, "oci:"+dir, OpenOptions{Platform: "linux/amd64"},
		"has no linux/amd64 image; it has linux/arch0, linux/arch1", "and 19992 more")
	if n := len(err.Error()); n > 1000 {
		t.Errorf("the error is %d bytes", n)
	}
}

// A manifest that cannot be read is said to be the manifest, not the config.
func TestHostileBrokenManifestIsNamed(t *testing.T) {
	dir := t.TempDir()
	img := trTestImage(t, "linux/amd64")
	tartest.WriteLayout(t, dir, img)
	d, _ := img.Digest()
	blob := filepath.Join(dir, "blobs", d.Algorithm, d.Hex)
	raw, _ := os.ReadFile(blob)
	for _, bad := range [][]byte{[]byte("{not json"), bytes.Repeat([]byte(" "), len(raw))} {
		os.WriteFile(blob, bad, 0o644)
		err := trOpenErr(t, "oci:"+dir, OpenOptions{}, "the manifest")
		if strings.Contains(err.Error(), "config") {
			t.Errorf("the error blames the config: %v", err)
		}
	}
	// A manifest that is intact but not JSON cannot come from a layout
	// (its digest would not match); a registry's can: see
	// TestHostileRegistryMetadata.
}

// A path that exists and is no image is said to be so, never looked up in
// a registry.
func TestHostilePathThatIsNotAnImage(t *testing.T) {
	trHermeticDocker(t)
	txt := filepath.Join(t.TempDir(), "passwd")
	os.WriteFile(txt, []byte(strings.Repeat("root:x:0:0:root:/root:/bin/bash\n", 40)), 0o644)
	for _, ref := range []string{txt, "/etc/passwd"} {
		if _, err := os.Stat(ref); err != nil {
			continue
		}
		err := trOpenErr(t, ref, OpenOptions{}, "not a tar archive")
		if strings.Contains(err.Error(), "registry") {
			t.Errorf("%s was looked up in a registry: %v", ref, err)
		}
	}
	trOpenErr(t, t.TempDir(), OpenOptions{}, "a directory, not an OCI image layout")

	// A tar of something else, and a docker save archive under another name.
	other := filepath.Join(t.TempDir(), "other.tgz")
	os.WriteFile(other, tartest.Tar(t, tartest.File("a", "b")), 0o644)
	trOpenErr(t, other, OpenOptions{}, "a tar archive that is not an image")
	dir := t.TempDir()
	archive := filepath.Join(dir, "image.tar")
	if err := tarball.WriteToFile(archive, name.MustParseReference("app:1"), trTestImage(t, "linux/amd64")); err != nil {
		t.Fatal(err)
	}
	renamed := filepath.Join(dir, "image")
	os.Rename(archive, renamed)
	if src := trMustOpen(t, renamed, OpenOptions{}); src.Transport != TransportArchive {
		t.Errorf("Transport = %q", src.Transport)
	}
	wd, _ := os.Getwd()
	t.Cleanup(func() { os.Chdir(wd) })
	os.Chdir(dir)
	if src := trMustOpen(t, "./image", OpenOptions{}); src.Transport != TransportArchive {
		t.Errorf("Transport = %q", src.Transport)
	}
}

// putBlob writes b as a blob of the layout at dir and describes it.
func putBlob(t *testing.T, dir string, mt types.MediaType, b []byte) v1.Descriptor {
	t.Helper()
	h, _, err := v1.SHA256(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "blobs", h.Algorithm, h.Hex)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return v1.Descriptor{MediaType: mt, Digest: h, Size: int64(len(b))}
}

// rawLayout writes a layout of one image whose config is config (a
// descriptor of it, when it is not written) and returns its directory.
func rawLayout(t *testing.T, config []byte, configDesc *v1.Descriptor) string {
	t.Helper()
	dir := t.TempDir()
	cd := configDesc
	if cd == nil {
		d := putBlob(t, dir, types.OCIConfigJSON, config)
		cd = &d
	}
	m, _ := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Config: *cd, Layers: []v1.Descriptor{}})
	md := putBlob(t, dir, types.OCIManifestSchema1, m)
	b, _ := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{md}})
	os.WriteFile(filepath.Join(dir, "index.json"), b, 0o644)
	return dir
}

// Metadata is bounded before it is read: index.json and manifests at
// 4 MiB, configs at 4 MiB and 10,000 history entries (what
// containers/image and the distribution registry allow), whatever size a
// descriptor or the file declares.
func TestHostileMetadataSizes(t *testing.T) {
	history := func(n int) []byte {
		return []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"history":[` +
			strings.TrimSuffix(strings.Repeat("{},", n), ",") + `]}`)
	}
	t.Run("ok", func(t *testing.T) {
		trMustOpen(t, "oci:"+rawLayout(t, history(100), nil), OpenOptions{})
	})
	t.Run("config declared 3 GiB", func(t *testing.T) {
		fake := v1.Descriptor{MediaType: types.OCIConfigJSON, Digest: fakeDigest(1), Size: 3 << 30}
		trOpenErr(t, "oci:"+rawLayout(t, nil, &fake), OpenOptions{}, "the manifest declares a config of 3.0 GiB, more than the 4.0 MiB limit")
	})
	t.Run("2M history entries", func(t *testing.T) {
		trOpenErr(t, "oci:"+rawLayout(t, history(2_000_000), nil), OpenOptions{}, "a config of 5.7 MiB, more than the 4.0 MiB limit")
	})
	t.Run("20,000 history entries", func(t *testing.T) {
		trOpenErr(t, "oci:"+rawLayout(t, history(20_000), nil), OpenOptions{}, "holds 20000 history entries, more than the 10000 limit")
	})
	t.Run("manifest declared 2 GiB", func(t *testing.T) {
		dir := rawLayout(t, history(1), nil)
		b, _ := os.ReadFile(filepath.Join(dir, "index.json"))
		var im v1.IndexManifest
		json.Unmarshal(b, &im)
		im.Manifests[0].Size = 2 << 30
		b, _ = json.Marshal(im)
		os.WriteFile(filepath.Join(dir, "index.json"), b, 0o644)
		trOpenErr(t, "oci:"+dir, OpenOptions{}, "the manifest sha256:", "is 2.0 GiB, more than the 4.0 MiB limit")
	})
	t.Run("index.json of 2 GiB", func(t *testing.T) {
		dir := rawLayout(t, history(1), nil)
		if err := os.Truncate(filepath.Join(dir, "index.json"), 2<<30); err != nil { // sparse: no disk
			t.Skip(err)
		}
		trOpenErr(t, "oci:"+dir, OpenOptions{}, "index.json is 2.0 GiB, more than the 4.0 MiB limit")
	})
}

// A docker save archive's manifest.json and config are bounded the same
// way, from the archive's headers, before either is read; a sparse
// member as a layer (no docker save writes one) is refused.
func TestHostileDockerArchiveMetadata(t *testing.T) {
	write := func(t *testing.T, members ...tartest.Entry) string {
		p := filepath.Join(t.TempDir(), "x.tar")
		os.WriteFile(p, tartest.Tar(t, members...), 0o644)
		return p
	}
	manifest := `[{"Config":"c.json","RepoTags":["a:1"],"Layers":["l.tar"]}]`
	p := write(t, tartest.File("manifest.json", manifest+strings.Repeat(" ", 5<<20)))
	trOpenErr(t, "docker-archive:"+p, OpenOptions{}, "manifest.json is 5.0 MiB, more than the 4.0 MiB limit")
	p = write(t, tartest.File("manifest.json", manifest), tartest.File("c.json", "{}"+strings.Repeat(" ", 5<<20)), tartest.File("l.tar", ""))
	trOpenErr(t, "docker-archive:"+p, OpenOptions{}, "the config c.json is 5.0 MiB, more than the 4.0 MiB limit")
	// The layer as an old GNU sparse member (archive/tar writes its
	// header, with an empty map, in the GNU format only).
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, f := range []struct{ name, content string }{{"manifest.json", manifest}, {"c.json", `{"rootfs":{"type":"layers","diff_ids":[]}}`}} {
		tw.WriteHeader(&tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(f.content))})
		tw.Write([]byte(f.content))
	}
	if err := tw.WriteHeader(&tar.Header{Name: "l.tar", Typeflag: tar.TypeGNUSparse, Mode: 0o644, Format: tar.FormatGNU}); err != nil {
		t.Fatal(err)
	}
	tw.Close()
	p = filepath.Join(t.TempDir(), "sparse.tar")
	os.WriteFile(p, raw.Bytes(), 0o644)
	trOpenErr(t, "docker-archive:"+p, OpenOptions{}, "the layer l.tar is a sparse member")

	// manifest.json lists two layers, the config one: the second was
	// never read, and the report counted the first alone.
	l0, l1 := tartest.Tar(t, tartest.File("a", "1")), tartest.Tar(t, tartest.File("b", strings.Repeat("2", 300_000)))
	cfg := `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["` + tartest.DiffID(l0) + `"]}}`
	p = write(t, tartest.File("manifest.json", `[{"Config":"c.json","RepoTags":["a:1"],"Layers":["l0.tar","l1.tar"]}]`),
		tartest.File("c.json", cfg), tartest.File("l0.tar", string(l0)), tartest.File("l1.tar", string(l1)))
	trOpenErr(t, "docker-archive:"+p, OpenOptions{}, "the image config lists 1 layers but manifest.json has 2")
}
