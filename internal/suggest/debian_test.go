package suggest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRealDebianImage runs the suggestions on the real Debian-built image
// of scripts/debian-images.sh with its Dockerfile (a copy is in the
// corpus): the multistage split keeps no compiler or header package in the
// runtime stage, keeps the Python libraries and the library the C
// extension links, and its measured savings leave out what the runtime
// stage's packages depend on.
func TestRealDebianImage(t *testing.T) {
	tarPath := realDebianArchive(t)
	src, err := os.ReadFile(filepath.Join(corpusDir, "debian-scipy", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	opts := analyzeRef(t, "docker-archive:"+tarPath, src)
	img := opts.Image
	if img.FirstLayer != 1 || len(img.LayerOf) != 7 {
		t.Fatalf("layer map %v (first %d): want the 7 RUN/COPY of the Dockerfile on layers 1-7", img.LayerOf, img.FirstLayer)
	}
	ss, err := Suggest(src, opts)
	if err != nil {
		t.Fatal(err)
	}
	var ms *Suggestion
	for i := range ss {
		if ss[i].ID == "SG001" {
			ms = &ss[i]
		}
	}
	if ms == nil {
		t.Fatalf("no multistage suggestion:\n%s", render(ss))
	}
	d, err := Parse([]byte(ms.Result))
	if err != nil {
		t.Fatal(err)
	}
	var runtime []string
	for _, in := range d.Final().Instrs {
		for _, p := range pkgCommands(in) {
			if p.is("install") {
				runtime = append(runtime, p.names()...)
			}
		}
	}
	if strings.Join(runtime, " ") != "python3 python3-numpy python3-scipy" {
		t.Errorf("runtime packages %v", runtime)
	}
	// What the runtime stage installs again stays, with everything it
	// depends on: bookworm's python3-scipy depends on python3-pythran,
	// which depends on g++ and python3-all-dev. The closure follows the
	// image's own dpkg Depends to them, so their bytes are not counted as
	// saved.
	closure := img.dependencyClosure(runtime)
	for _, p := range []string{"python3-pythran", "g++", "python3-all-dev"} {
		if !closure[p] {
			t.Errorf("%s is not in the closure of the runtime packages %v", p, runtime)
		}
	}
	// The C extension links only the C library: nothing to add.
	if rl := opts.Facts.Runtime; rl == nil || rl.Objects != 1 || len(rl.Packages) != 0 {
		t.Errorf("runtime libraries %+v", rl)
	}
	// The measured savings are the union of the compiler, header, -dev and
	// cache findings of the Dockerfile's layers, less what the runtime
	// stage installs again: more than nothing, less than all of them.
	var all int64
	for _, f := range img.Findings {
		if (f.Rule == "SP201" || f.Rule == "SP213") && f.Layer >= img.FirstLayer {
			all += f.Bytes
		}
	}
	if !ms.Savings.Measured || ms.Savings.Bytes <= 0 || all == 0 {
		t.Errorf("multistage savings %+v, compiler and header findings %d", ms.Savings, all)
	}
	t.Logf("multistage saves %d bytes measured (%s)", ms.Savings.Bytes, ms.Savings.Note)

	// The chown -R and rm -rf RUNs act on what apt-get installed three
	// RUNs up, not on the pip RUN just before them: folding them into it
	// would save nothing, so it is not proposed.
	for _, s := range ss {
		if s.ID == "SG302" {
			t.Errorf("SG302 proposed on files the RUN before did not make (savings %+v):\n%s", s.Savings, s.Diff)
		}
	}
}

// realDebianArchive is the docker save archive of the real Debian-built
// image local/slimpy-test:full; the test skips without it (fails under
// SLIMPY_REQUIRE_REALIMAGES=1).
func realDebianArchive(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SLIMPY_TESTIMAGES")
	if dir == "" {
		dir = "/var/cache/slimpy-testimages"
	}
	tarPath := filepath.Join(dir, "full.tar")
	if _, err := os.Stat(tarPath); err != nil {
		if os.Getenv("SLIMPY_REQUIRE_REALIMAGES") == "1" {
			t.Fatalf("%s: %v (scripts/debian-images.sh builds it)", tarPath, err)
		}
		t.Skipf("%s is missing (scripts/debian-images.sh builds it)", tarPath)
	}
	return tarPath
}
