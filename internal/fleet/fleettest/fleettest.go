// Package fleettest builds a test fleet: tens of images on shared bases,
// made layer by layer as real tars and pushed to a registry on 127.0.0.1
// (registrytest), for the tests of internal/fleet and of `slimpy scan`.
//
// The fleet, on three bases, one of them (bookworm + Python 3.11) with a
// second, nested base (+ gcc) under some of its images:
//
//	buster (Debian 10, EOL) + Python 3.8 (EOL)   team-a/app-00…09
//	bookworm (Debian 12) + Python 3.11           team-b/svc-00…07, one of them under two tags
//	  + gcc and headers                           team-b/build-00…03
//	alpine 3.19 (EOL at RulesNow) + 3.12          team-c/tool-00…05
//
// Each application adds layers of its own (code, a pip cache, tests).
package fleettest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/slimpy/slimpy/internal/fixtures"
	"github.com/slimpy/slimpy/internal/remotecache/registrytest"
)

// RulesNow is the rules' date the fleet's figures are checked at: fixed,
// so that the end-of-life findings do not move.
var RulesNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// Images is how many distinct images New pushes; Refs has one more (a
// second tag of team-b/svc-00).
const Images = 28

const debian10OSRelease = `PRETTY_NAME="Debian GNU/Linux 10 (buster)"
NAME="Debian GNU/Linux"
VERSION_ID="10"
VERSION="10 (buster)"
VERSION_CODENAME=buster
ID=debian
`

// Fleet is the test fleet in its registry.
type Fleet struct {
	Reg  *registrytest.Registry
	Refs []string // every image pushed, "HOST/REPO:TAG", in push order
	// LayerBlobs are the digests of the images' layer blobs.
	LayerBlobs map[string]bool
	// Images are the images by reference.
	Images map[string]v1.Image
}

// PythonLayer is a Python interpreter of that minor version, its standard
// library's test suite included.
func PythonLayer(minor string, size int) fixtures.Step {
	lib := "/usr/local/lib/python" + minor
	return fixtures.Layer("RUN /bin/sh -c set -eux; ./configure --enable-shared; make install # python "+minor,
		fixtures.Rand("/usr/local/bin/python"+minor, size).Chmod(0o755),
		fixtures.Symlink("/usr/local/bin/python3", "python"+minor),
		fixtures.Text(lib+"/os.py", size/2),
		fixtures.File(lib+"/test/__init__.py", ""),
		fixtures.Text(lib+"/test/test_os.py", size),
		fixtures.Rand(lib+"/test/__pycache__/test_os.pyc", size/2),
	)
}

// AppLayers are the layers application i of name adds: its code and
// tests, a pip cache, and for every third one a layer that deletes the
// cache (waste). Every application's layers are its own.
func AppLayers(name string, i int) []fixtures.Step {
	seed := fmt.Sprintf("%s-%d", name, i)
	steps := []fixtures.Step{
		fixtures.Layer("RUN /bin/sh -c pip install -r requirements.txt # "+seed,
			fixtures.Rand("/usr/local/lib/app/"+seed+".so", 3000+i*100).WithSeed(seed),
			fixtures.Rand("/root/.cache/pip/http/"+seed, 2000+i*50).WithSeed(seed+"pip"),
		),
		fixtures.Layer("COPY . /app # "+seed,
			fixtures.Text("/app/main.py", 800+i*10).WithSeed(seed),
			fixtures.Text("/app/tests/test_main.py", 400).WithSeed(seed+"t"),
		),
	}
	if i%3 == 0 {
		steps = append(steps, fixtures.Layer("RUN /bin/sh -c rm -rf /root/.cache/pip # "+seed, fixtures.Whiteout("/root/.cache/pip")))
	}
	return steps
}

// New builds the fleet and pushes it to a new registry; the registry's
// request log and blob byte count start empty.
func New(t testing.TB) *Fleet {
	t.Helper()
	return NewSized(t, Sizes{Buster: 10, Bookworm: 8, Gcc: 4, Alpine: 6})
}

// Sizes are how many images each base carries (New: 10, 8, 4, 6).
type Sizes struct{ Buster, Bookworm, Gcc, Alpine int }

// NewSized is New with other counts of images per base (a benchmark's
// 50 images over the same bases).
func NewSized(t testing.TB, n Sizes) *Fleet {
	t.Helper()
	f := &Fleet{Reg: registrytest.New(t), LayerBlobs: map[string]bool{}, Images: map[string]v1.Image{}}
	buster := []fixtures.Step{
		fixtures.Layer("/bin/sh -c #(nop) ADD file:buster in / ",
			fixtures.File("/etc/os-release", debian10OSRelease), fixtures.File("/etc/debian_version", "10.13\n"),
			fixtures.Rand("/usr/lib/x86_64-linux-gnu/libc.so.6", 9000).Chmod(0o755)),
		PythonLayer("3.8", 6000),
	}
	bookworm := []fixtures.Step{
		fixtures.Layer("/bin/sh -c #(nop) ADD file:bookworm in / ",
			fixtures.File("/etc/os-release", fixtures.Debian12OSRelease), fixtures.File("/etc/debian_version", "12.4\n"),
			fixtures.Rand("/usr/lib/x86_64-linux-gnu/libc.so.6", 11000).Chmod(0o755)),
		PythonLayer("3.11", 7000),
	}
	gcc := append(bookworm[:2:2], fixtures.Layer("RUN /bin/sh -c apt-get install -y gcc libc6-dev",
		fixtures.Rand("/usr/lib/gcc/x86_64-linux-gnu/12/cc1", 12000).Chmod(0o755),
		fixtures.Text("/usr/include/stdio.h", 3000)))
	alpine := []fixtures.Step{
		fixtures.Layer("/bin/sh -c #(nop) ADD file:alpine in / ",
			fixtures.File("/etc/os-release", fixtures.Alpine319OSRelease), fixtures.File("/etc/alpine-release", "3.19.0\n"),
			fixtures.Rand("/lib/ld-musl-x86_64.so.1", 5000).Chmod(0o755)),
		PythonLayer("3.12", 6500),
	}
	add := func(repo string, base []fixtures.Step, n int, extraTags ...string) {
		for i := 0; i < n; i++ {
			steps := append(append([]fixtures.Step(nil), base...), AppLayers(repo, i)...)
			img, err := fixtures.BuildImage(fixtures.Image{Steps: steps, Config: imageConfig()}, false)
			if err != nil {
				t.Fatal(err)
			}
			tags := []string{"v1"}
			if i == 0 {
				tags = append(tags, extraTags...)
			}
			for _, tag := range tags {
				ref := Push(t, fmt.Sprintf("%s/%s-%02d:%s", f.Reg.Host, repo, i, tag), img)
				f.Refs = append(f.Refs, ref)
				f.Images[ref] = img
			}
			ls, _ := img.Layers()
			for _, l := range ls {
				d, _ := l.Digest()
				f.LayerBlobs[d.String()] = true
			}
		}
	}
	add("team-a/app", buster, n.Buster)
	add("team-b/svc", bookworm, n.Bookworm, "latest")
	add("team-b/build", gcc, n.Gcc)
	add("team-c/tool", alpine, n.Alpine)
	f.Reg.Take()
	f.Reg.BlobBytes()
	return f
}

// Push writes img to the test registry as ref and returns ref.
func Push(t testing.TB, ref string, img v1.Image) string {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, remote.WithAuth(authn.Anonymous)); err != nil {
		t.Fatal(err)
	}
	return ref
}

func imageConfig() v1.Config {
	return v1.Config{Cmd: []string{"python3", "/app/main.py"}, WorkingDir: "/app"}
}

// LayerGets counts the GETs of image layer blobs since the last Take, per
// blob; the other requests are forgotten.
func (f *Fleet) LayerGets() map[string]int {
	out := map[string]int{}
	for _, r := range f.Reg.Take("GET ", "/blobs/") {
		d := r[strings.LastIndex(r, "/")+1:]
		if f.LayerBlobs[d] {
			out[d]++
		}
	}
	return out
}
