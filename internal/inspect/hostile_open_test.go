package inspect

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
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
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	img := trTestImage(t, "linux/amd64")
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	os.WriteFile(filepath.Join(dir, "blobs", d.Algorithm, d.Hex), []byte("{not json"), 0o644)
	err = trOpenErr(t, "oci:"+dir, OpenOptions{}, "reading the image manifest")
	if strings.Contains(err.Error(), "config") {
		t.Errorf("the error blames the config: %v", err)
	}
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
	os.WriteFile(other, makeTar(t, file("a", "b")), 0o644)
	trOpenErr(t, other, OpenOptions{}, "a tar archive that is not an image")
	dir := t.TempDir()
	archive := filepath.Join(dir, "image.tar")
	if err := tarball.WriteToFile(archive, name.MustParseReference("app:1"), trTestImage(t, "linux/amd64")); err != nil {
		t.Fatal(err)
	}
	renamed := filepath.Join(dir, "image")
	os.Rename(archive, renamed)
	if src := trMustOpen(t, renamed, OpenOptions{}); src.Transport != transportArchive {
		t.Errorf("Transport = %q", src.Transport)
	}
	wd, _ := os.Getwd()
	t.Cleanup(func() { os.Chdir(wd) })
	os.Chdir(dir)
	if src := trMustOpen(t, "./image", OpenOptions{}); src.Transport != transportArchive {
		t.Errorf("Transport = %q", src.Transport)
	}
}
