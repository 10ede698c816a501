package suggest

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/slimpy/slimpy/internal/fixtures"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/elfdeps"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/rules"
	"github.com/slimpy/slimpy/internal/inspect/source"
)

// elfWithNeeded builds a minimal ELF64 shared object whose dynamic section
// names the given DT_NEEDED libraries (no code: only what a reader of the
// dynamic section looks at).
func elfWithNeeded(needed ...string) []byte {
	dynstr := []byte{0}
	var offs []uint64
	for _, n := range needed {
		offs = append(offs, uint64(len(dynstr)))
		dynstr = append(append(dynstr, n...), 0)
	}
	shstr := []byte("\x00.dynstr\x00.dynamic\x00.shstrtab\x00")
	const ehsize, shentsize = 64, 64
	dynstrOff := uint64(ehsize)
	dynOff := (dynstrOff + uint64(len(dynstr)) + 7) &^ 7
	var dyn bytes.Buffer
	for _, o := range offs {
		binary.Write(&dyn, binary.LittleEndian, [2]uint64{1, o}) // DT_NEEDED
	}
	binary.Write(&dyn, binary.LittleEndian, [2]uint64{0, 0}) // DT_NULL
	shstrOff := dynOff + uint64(dyn.Len())
	shOff := (shstrOff + uint64(len(shstr)) + 7) &^ 7
	var b bytes.Buffer
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0})
	b.Write(make([]byte, 8))
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	w(uint16(3))  // ET_DYN
	w(uint16(62)) // EM_X86_64
	w(uint32(1))
	w(uint64(0)) // entry
	w(uint64(0)) // phoff
	w(shOff)
	w(uint32(0))
	w(uint16(ehsize))
	w(uint16(56))
	w(uint16(0)) // phnum
	w(uint16(shentsize))
	w(uint16(4)) // shnum
	w(uint16(3)) // shstrndx
	pad := func(to uint64) {
		for uint64(b.Len()) < to {
			b.WriteByte(0)
		}
	}
	pad(dynstrOff)
	b.Write(dynstr)
	pad(dynOff)
	b.Write(dyn.Bytes())
	pad(shstrOff)
	b.Write(shstr)
	pad(shOff)
	sh := func(name, typ uint32, flags, off, size uint64, link uint32, align, entsize uint64) {
		w(name)
		w(typ)
		w(flags)
		w(uint64(0)) // addr
		w(off)
		w(size)
		w(link)
		w(uint32(0))
		w(align)
		w(entsize)
	}
	sh(0, 0, 0, 0, 0, 0, 0, 0)
	sh(1, 3, 2, dynstrOff, uint64(len(dynstr)), 0, 1, 0) // .dynstr
	sh(9, 6, 3, dynOff, uint64(dyn.Len()), 1, 8, 16)     // .dynamic, linked to .dynstr
	sh(18, 3, 0, shstrOff, uint64(len(shstr)), 0, 1, 0)  // .shstrtab
	return b.Bytes()
}

const extDockerfile = `FROM python:3.11-slim
RUN apt-get update && apt-get install -y gcc libpq-dev
WORKDIR /app
COPY . .
RUN pip install -r requirements.txt
CMD ["python", "app.py"]
`

// extImage is an image built by extDockerfile: psycopg2's extension links
// libpq.so.5 (owned by libpq5, installed with libpq-dev) and libc.so.6;
// numpy's links a library bundled in numpy.libs.
func extImage(t *testing.T) string {
	t.Helper()
	sp := "/usr/local/lib/python3.11/site-packages"
	status := func(pkgs ...string) string {
		var s strings.Builder
		for _, p := range pkgs {
			s.WriteString("Package: " + p + "\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nVersion: 1.0\nInstalled-Size: 10\n")
			if p == "libpq-dev" {
				s.WriteString("Depends: libpq5 (= 1.0)\n")
			}
			s.WriteString("\n")
		}
		return s.String()
	}
	list := func(paths ...string) string { return strings.Join(paths, "\n") + "\n" }
	im := fixtures.Image{Steps: []fixtures.Step{
		fixtures.Layer("ADD rootfs.tar.xz / # buildkit",
			fixtures.File("/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n"),
			fixtures.File("/var/lib/dpkg/status", status("libc6")),
			fixtures.File("/var/lib/dpkg/info/libc6:amd64.list", list("/usr/lib/x86_64-linux-gnu/libc.so.6")),
			fixtures.Rand("/usr/lib/x86_64-linux-gnu/libc.so.6", 2000),
			fixtures.Rand("/usr/local/bin/python3.11", 3000).Chmod(0o755),
			fixtures.File("/usr/local/lib/python3.11/os.py", "# os\n"),
		).BuildKit(),
		fixtures.Empty(`CMD ["python3"]`).BuildKit(),
		fixtures.Layer("RUN /bin/sh -c apt-get update && apt-get install -y gcc libpq-dev # buildkit",
			fixtures.File("/var/lib/dpkg/status", status("libc6", "gcc-12", "libpq-dev", "libpq5")),
			fixtures.File("/var/lib/dpkg/info/libc6:amd64.list", list("/usr/lib/x86_64-linux-gnu/libc.so.6")),
			fixtures.File("/var/lib/dpkg/info/gcc-12.list", list("/usr/bin/gcc-12")),
			fixtures.File("/var/lib/dpkg/info/libpq-dev.list", list("/usr/include/postgresql/libpq-fe.h")),
			fixtures.File("/var/lib/dpkg/info/libpq5:amd64.list", list("/usr/lib/x86_64-linux-gnu/libpq.so.5")),
			fixtures.Rand("/usr/bin/gcc-12", 50000).Chmod(0o755),
			fixtures.Rand("/usr/include/postgresql/libpq-fe.h", 7000),
			fixtures.Rand("/usr/lib/x86_64-linux-gnu/libpq.so.5", 8000),
			fixtures.Rand("/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4", 9000),
		).BuildKit(),
		fixtures.Empty("WORKDIR /app").BuildKit(),
		fixtures.Layer("COPY . . # buildkit",
			fixtures.File("/app/app.py", "import psycopg2\n"),
			fixtures.File("/app/requirements.txt", "psycopg2==2.9.9\nnumpy==1.26.4\n"),
		).BuildKit(),
		fixtures.Layer("RUN /bin/sh -c pip install -r requirements.txt # buildkit",
			fixtures.File(sp+"/psycopg2/_psycopg.cpython-311-x86_64-linux-gnu.so", string(elfWithNeeded("libpq.so.5", "libc.so.6"))),
			fixtures.File(sp+"/psycopg2-2.9.9.dist-info/METADATA", "Metadata-Version: 2.1\nName: psycopg2\nVersion: 2.9.9\n"),
			fixtures.File(sp+"/psycopg2-2.9.9.dist-info/INSTALLER", "pip\n"),
			fixtures.File(sp+"/numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so", string(elfWithNeeded("libopenblas64_p-r0-0cf96a72.3.23.dev.so", "libc.so.6"))),
			fixtures.Rand(sp+"/numpy.libs/libopenblas64_p-r0-0cf96a72.3.23.dev.so", 3000),
			fixtures.Rand("/root/.cache/pip/wheels/ab/cd/psycopg2-2.9.9-cp311-linux_x86_64.whl", 6000),
		).BuildKit(),
		fixtures.Empty(`CMD ["python", "app.py"]`).BuildKit(),
	}}
	img, err := fixtures.BuildImage(im, false)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "ext.tar")
	if err := fixtures.WriteDockerArchive(img, "slimpy/ext:latest", p); err != nil {
		t.Fatal(err)
	}
	return "docker-archive:" + p
}

// openAnalyzed opens and analyses ref and runs the rules on it; the source
// stays open until the test ends.
func openAnalyzed(t *testing.T, ref string) (*source.Source, *inspect.Analysis, []rules.Finding) {
	t.Helper()
	s, err := source.Open(context.Background(), ref, source.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	a, err := inspect.Analyze(context.Background(), s, inspect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s, a, inspect.RunRules(a, inspect.Config{Config: rules.Config{Now: corpusNow}})
}

func analyzeRef(t *testing.T, ref string, src []byte) Options {
	t.Helper()
	s, a, findings := openAnalyzed(t, ref)
	facts := NewFacts(a, findings)
	if err := facts.ReadRuntimeLibs(context.Background(), s.Image, nil); err != nil {
		t.Fatal(err)
	}
	d, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	img := NewImage(a, findings, d)
	if img.FirstLayer > 0 {
		facts.BaseLayers = img.FirstLayer
	}
	return Options{Now: corpusNow, Facts: facts, Image: img}
}

func TestRuntimeLibrariesFromELF(t *testing.T) {
	opts := analyzeRef(t, extImage(t), []byte(extDockerfile))
	rl := opts.Facts.Runtime
	if rl == nil || rl.Objects != 2 || len(rl.Packages) != 1 || rl.Packages[0].Name != "libpq5" || rl.Packages[0].Needed[0] != "libpq.so.5" || len(rl.Unresolved) != 0 {
		t.Fatalf("runtime libraries: %+v", rl)
	}
	// The layers map to the instructions: RUN apt (2), COPY (4), RUN pip (5).
	if opts.Image.FirstLayer != 1 || opts.Image.LayerOf[2] != 1 || opts.Image.LayerOf[4] != 2 || opts.Image.LayerOf[5] != 3 {
		t.Fatalf("layer map %v first %d", opts.Image.LayerOf, opts.Image.FirstLayer)
	}
	ss, err := Suggest([]byte(extDockerfile), opts)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]Suggestion{}
	for _, s := range ss {
		by[s.ID] = s
	}
	ms, ok := by["SG001"]
	if !ok {
		t.Fatalf("no multistage suggestion:\n%s", render(ss))
	}
	d, err := Parse([]byte(ms.Result))
	if err != nil {
		t.Fatal(err)
	}
	rt := d.Final()
	if rt.Base != "python:3.11-slim" || len(d.Stages) != 2 {
		t.Fatalf("runtime stage from %q", rt.Base)
	}
	var runtimePkgs []string
	for _, in := range rt.Instrs {
		for _, p := range pkgCommands(in) {
			if p.is("install") {
				runtimePkgs = append(runtimePkgs, p.names()...)
			}
		}
	}
	if strings.Join(runtimePkgs, " ") != "libpq5" {
		t.Fatalf("the runtime stage installs %v, want the library psycopg2 links (libpq5) only:\n%s", runtimePkgs, ms.Result)
	}
	// Measured: gcc-12, the header, the apt lists and the pip cache.
	want := int64(50000 + 7000 + 9000 + 6000)
	if !ms.Savings.Measured || ms.Savings.Bytes != want {
		t.Fatalf("multistage savings %+v, want %d measured", ms.Savings, want)
	}
	if s := by["SG201"].Savings; !s.Measured || s.Bytes != 6000 {
		t.Fatalf("pip cache savings %+v", s)
	}
	if s := by["SG103"].Savings; !s.Measured || s.Bytes != 9000 {
		t.Fatalf("apt lists savings %+v", s)
	}
	if !strings.Contains(strings.Join(ms.Evidence, "\n"), "libpq5 (libpq.so.5, linked by psycopg2/_psycopg") {
		t.Fatalf("evidence %q", ms.Evidence)
	}
}

func TestSuggestWithoutImageIsNotMeasured(t *testing.T) {
	ss, err := Suggest([]byte(extDockerfile), Options{Now: corpusNow})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		if s.Savings.Measured {
			t.Errorf("%s: measured without an image: %+v", s.ID, s.Savings)
		}
	}
}

// TestDependencyClosureFollowsDepends: the closure of the packages a
// runtime stage installs again follows the image's dpkg Depends, so their
// dependencies' files are not counted as saved (ParseStanzas lower-cases
// the field names).
func TestDependencyClosureFollowsDepends(t *testing.T) {
	img := analyzeRef(t, extImage(t), []byte(extDockerfile)).Image
	got := img.dependencyClosure([]string{"libpq-dev"})
	if !got["libpq-dev"] || !got["libpq5"] {
		t.Errorf("closure of libpq-dev = %v, want libpq-dev and libpq5 (its Depends)", got)
	}
	if got["gcc-12"] {
		t.Errorf("closure of libpq-dev = %v: gcc-12 is no dependency", got)
	}
}

// countingImage counts the layer streams (compressed or not) opened of an
// image.
type countingImage struct {
	v1.Image
	streams *atomic.Int32
}

type countingLayer struct {
	v1.Layer
	streams *atomic.Int32
}

func (img countingImage) Layers() ([]v1.Layer, error) {
	ls, err := img.Image.Layers()
	for i := range ls {
		ls[i] = countingLayer{ls[i], img.streams}
	}
	return ls, err
}

func (l countingLayer) Uncompressed() (io.ReadCloser, error) {
	l.streams.Add(1)
	return l.Layer.Uncompressed()
}

func (l countingLayer) Compressed() (io.ReadCloser, error) {
	l.streams.Add(1)
	return l.Layer.Compressed()
}

// TestRuntimeLibsKeptPerLayer: what the extension modules link is kept by
// layer diffID, so a second run (a second suggest of an image of the
// engine, which would otherwise be exported again) streams no layer and
// finds the same; a damaged entry is read again.
func TestRuntimeLibsKeptPerLayer(t *testing.T) {
	ctx := context.Background()
	s, a, findings := openAnalyzed(t, extImage(t))
	store := layer.NewDerivedStore(t.TempDir(), elfdeps.Kind)
	run := func() (*RuntimeLibs, int32) {
		t.Helper()
		var n atomic.Int32
		facts := NewFacts(a, findings)
		if err := facts.ReadRuntimeLibs(ctx, countingImage{s.Image, &n}, store); err != nil {
			t.Fatal(err)
		}
		return facts.Runtime, n.Load()
	}
	cold, streams := run()
	if streams != 1 || cold.Objects != 2 || len(cold.Packages) != 1 || cold.Packages[0].Name != "libpq5" {
		t.Fatalf("cold run: %d streams, %+v", streams, cold)
	}
	warm, streams := run()
	if streams != 0 {
		t.Errorf("the warm run streamed %d layers", streams)
	}
	if !reflect.DeepEqual(cold, warm) {
		t.Errorf("warm %+v, cold %+v", warm, cold)
	}
	entries, _ := filepath.Glob(filepath.Join(store.Dir(), "*", "*.values"))
	if len(entries) != 1 {
		t.Fatalf("entries %v", entries)
	}
	if err := os.WriteFile(entries[0], []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	again, streams := run()
	if streams != 1 || !reflect.DeepEqual(cold, again) {
		t.Errorf("after a damaged entry: %d streams, %+v", streams, again)
	}
}
