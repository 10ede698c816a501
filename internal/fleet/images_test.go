package fleet

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/slimpy/slimpy/internal/fixtures"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/remotecache/registrytest"
)

// The test fleet: tens of images in a real registry on 127.0.0.1, on
// three bases, one of them (bookworm + Python 3.11) with a second, nested
// base (+ gcc) under some of its images:
//
//	buster (Debian 10, EOL) + Python 3.8 (EOL)   team-a/app-00…09
//	bookworm (Debian 12) + Python 3.11           team-b/svc-00…07, one of them under two tags
//	  + gcc and headers                           team-b/build-00…03
//	alpine 3.19 (EOL at the rules' date) + 3.12  team-c/tool-00…05
//
// Each application adds layers of its own (code, a pip cache, tests). The
// images are built from fixtures entries, layer by layer, as real tars.

// rulesNow is the rules' date: fixed, so that the figures do not move.
var rulesNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

const debian10OSRelease = `PRETTY_NAME="Debian GNU/Linux 10 (buster)"
NAME="Debian GNU/Linux"
VERSION_ID="10"
VERSION="10 (buster)"
VERSION_CODENAME=buster
ID=debian
`

type testFleet struct {
	reg  *registrytest.Registry
	refs []string // every image pushed, "HOST/REPO:TAG"
	// layerBlobs are the digests of the images' layer blobs.
	layerBlobs map[string]bool
}

func osLayer(createdBy string, entries ...fixtures.Entry) fixtures.Step {
	return fixtures.Layer(createdBy, entries...)
}

func pythonLayer(minor string, size int) fixtures.Step {
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

func appLayers(name string, i int) []fixtures.Step {
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
		// A layer that removes what an earlier one wrote: waste.
		steps = append(steps, fixtures.Layer("RUN /bin/sh -c rm -rf /root/.cache/pip # "+seed, fixtures.Whiteout("/root/.cache/pip")))
	}
	return steps
}

// newTestFleet builds the fleet and pushes it to a new registry.
func newTestFleet(t testing.TB) *testFleet {
	t.Helper()
	f := &testFleet{reg: registrytest.New(t), layerBlobs: map[string]bool{}}
	buster := []fixtures.Step{
		osLayer("/bin/sh -c #(nop) ADD file:buster in / ",
			fixtures.File("/etc/os-release", debian10OSRelease), fixtures.File("/etc/debian_version", "10.13\n"),
			fixtures.Rand("/usr/lib/x86_64-linux-gnu/libc.so.6", 9000).Chmod(0o755)),
		pythonLayer("3.8", 6000),
	}
	bookworm := []fixtures.Step{
		osLayer("/bin/sh -c #(nop) ADD file:bookworm in / ",
			fixtures.File("/etc/os-release", fixtures.Debian12OSRelease), fixtures.File("/etc/debian_version", "12.4\n"),
			fixtures.Rand("/usr/lib/x86_64-linux-gnu/libc.so.6", 11000).Chmod(0o755)),
		pythonLayer("3.11", 7000),
	}
	gcc := append(bookworm[:2:2], fixtures.Layer("RUN /bin/sh -c apt-get install -y gcc libc6-dev",
		fixtures.Rand("/usr/lib/gcc/x86_64-linux-gnu/12/cc1", 12000).Chmod(0o755),
		fixtures.Text("/usr/include/stdio.h", 3000)))
	alpine := []fixtures.Step{
		osLayer("/bin/sh -c #(nop) ADD file:alpine in / ",
			fixtures.File("/etc/os-release", fixtures.Alpine319OSRelease), fixtures.File("/etc/alpine-release", "3.19.0\n"),
			fixtures.Rand("/lib/ld-musl-x86_64.so.1", 5000).Chmod(0o755)),
		pythonLayer("3.12", 6500),
	}
	add := func(repo string, base []fixtures.Step, n int, extraTags ...string) {
		for i := 0; i < n; i++ {
			steps := append(append([]fixtures.Step(nil), base...), appLayers(repo, i)...)
			img, err := fixtures.BuildImage(fixtures.Image{Steps: steps, Config: imageConfig()}, false)
			if err != nil {
				t.Fatal(err)
			}
			tags := []string{"v1"}
			if i == 0 {
				tags = append(tags, extraTags...)
			}
			for _, tag := range tags {
				f.refs = append(f.refs, push(t, fmt.Sprintf("%s/%s-%02d:%s", f.reg.Host, repo, i, tag), img))
			}
			ls, _ := img.Layers()
			for _, l := range ls {
				d, _ := l.Digest()
				f.layerBlobs[d.String()] = true
			}
		}
	}
	add("team-a/app", buster, 10)
	add("team-b/svc", bookworm, 8, "latest")
	add("team-b/build", gcc, 4)
	add("team-c/tool", alpine, 6)
	f.reg.Take()
	f.reg.BlobBytes()
	return f
}

// push writes img to the test registry as ref and returns ref.
func push(t testing.TB, ref string, img v1.Image) string {
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

// layerGets counts the GETs of image layer blobs since the last Take, per
// blob; the other requests are forgotten.
func (f *testFleet) layerGets() map[string]int {
	out := map[string]int{}
	for _, r := range f.reg.Take("GET ", "/blobs/") {
		d := r[strings.LastIndex(r, "/")+1:]
		if f.layerBlobs[d] {
			out[d]++
		}
	}
	return out
}

// analyzer is the inspect pipeline as `slimpy scan` runs it: open the
// reference from the registry, InspectReport with the rules at rulesNow,
// the layer cache in cacheDir.
func analyzer(cacheDir string) Analyzer {
	return func(ctx context.Context, ref string) (*inspect.Report, error) {
		src, err := inspect.Open(ctx, "docker://"+ref, inspect.OpenOptions{Insecure: true, Keychain: authn.NewMultiKeychain()})
		if err != nil {
			return nil, err
		}
		defer src.Close()
		rules := inspect.DefaultConfig()
		rules.Now = rulesNow
		r, err := inspect.InspectReport(ctx, src, inspect.Options{CacheDir: cacheDir, Concurrency: 2}, &rules)
		if err != nil {
			return nil, err
		}
		return &r, nil
	}
}
