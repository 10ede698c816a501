package rules_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/inventory"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/rules"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
	"github.com/zeebo/xxh3"
)

// bigPackagesList is a Packages index like bookworm main's, past
// layer.MaxCapturedFile: 52,000 made-up stanzas with every field a real one has
// (~36 MB), then the stanzas of tail (the ones a test looks for, where a
// list cut at 32 MiB would not reach them).
func bigPackagesList(tail string) []byte {
	var b bytes.Buffer
	b.Grow(37 << 20)
	for i := 0; i < 52000; i++ {
		arch := "amd64"
		if i%5 == 0 {
			arch = "all"
		}
		fmt.Fprintf(&b, "Package: libexample%05d\nSource: example%05d\nVersion: 1.%d.%d-%d\nInstalled-Size: %d\n"+
			"Maintainer: Debian Example Maintainers <example-devel@lists.debian.org>\nArchitecture: %s\n"+
			"Depends: libc6 (>= 2.34), libexample-common (= 1.%d.%d-%d), zlib1g (>= 1:1.2.0)\n"+
			"Description: example library %d for the tests of slimpy\n"+
			" This continuation line makes the stanza as long as a real one; it is not\n"+
			" read: only Package, Version and Architecture are.\n"+
			"Homepage: https://example.org/libexample%05d\nDescription-md5: %032x\nTag: devel::library, role::shared-lib\n"+
			"Section: libs\nPriority: optional\nFilename: pool/main/libe/libexample%05d/libexample%05d_1.%d.%d-%d_%s.deb\n"+
			"Size: %d\nMD5sum: %032x\nSHA256: %064x\n\n",
			i, i, i%7, i%13, i%3+1, 40+i%900, arch, i%7, i%13, i%3+1, i, i, i, i, i, i%7, i%13, i%3+1, arch,
			10000+i*37, i*7919, i*104729)
	}
	b.WriteString(tail)
	return b.Bytes()
}

// allCaptures is what the walker keeps for the inventories and every rule.
func allCaptures() *layer.Captures {
	reads := append([]layer.Reads(nil), inventory.Reads...)
	for _, r := range rules.Rules {
		reads = append(reads, r.Reads...)
	}
	return layer.Compile(reads)
}

type indexEntry struct{ name, version, arch string }

func parseAll(t *testing.T, r io.Reader) []indexEntry {
	t.Helper()
	var out []indexEntry
	if err := rules.ParsePackagesIndex(r, func(n, v, a string) { out = append(out, indexEntry{n, v, a}) }); err != nil {
		t.Fatal(err)
	}
	return out
}

var bigList = sync.OnceValue(func() []byte {
	return bigPackagesList("Package: dash\nVersion: 0.5.12-2+deb12u1\nArchitecture: amd64\nDescription: shell\n\n")
})

const mainList = "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages"

// Every form of a list past layer.MaxCapturedFile keeps, as plain text, exactly
// what the parser reads of the whole list, in a fraction of its size; the
// hash is that of the stored bytes.
func TestCaptureAptListForms(t *testing.T) {
	plain := bigList()
	if len(plain) <= layer.MaxCapturedFile {
		t.Fatalf("the list is %d bytes, not past layer.MaxCapturedFile", len(plain))
	}
	want := parseAll(t, bytes.NewReader(plain))
	forms := map[string][]byte{"": plain, ".lz4": []byte(lz4Bytes(t, string(plain)))}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	zw.Write(plain)
	zw.Close()
	forms[".gz"] = gz.Bytes()
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	forms[".zst"] = enc.EncodeAll(plain, nil)
	for ext, stored := range forms {
		t.Run("form"+ext, func(t *testing.T) {
			p := mainList + ext
			if !allCaptures().Streamed(p) {
				t.Fatalf("%s is not streamed", p)
			}
			kept, hash, err := layer.CaptureAptList(context.Background(), bytes.NewReader(stored), p, int64(len(stored)))
			if err != nil {
				t.Fatal(err)
			}
			if hash != xxh3.Hash(stored) {
				t.Errorf("hash %x, want the stored bytes' %x", hash, xxh3.Hash(stored))
			}
			if len(kept) > len(plain)/5 || len(kept) > layer.MaxAptListKept {
				t.Errorf("kept %d bytes of a %d-byte list", len(kept), len(plain))
			}
			r, err := rules.DecompressList(p, kept)
			if err != nil {
				t.Fatal(err)
			}
			if got := parseAll(t, r); !reflect.DeepEqual(got, want) {
				t.Errorf("the kept text parses to %d entries, the list to %d", len(got), len(want))
			}
		})
	}
	if allCaptures().Streamed(mainList+".xz") || allCaptures().Want(mainList+".xz", 100) {
		t.Error("an .xz list is captured: the stale rule cannot read it")
	}
}

// A damaged compressed list keeps its whole stanzas before the damage and
// is no error; a layer that ends inside the list is.
func TestCaptureAptListDamaged(t *testing.T) {
	plain := []byte(strings.Repeat("Package: p\nVersion: 1\nArchitecture: amd64\nDescription: d\n\n", 20000))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	cut := gz.Bytes()[:gz.Len()/2]
	kept, hash, err := layer.CaptureAptList(context.Background(), bytes.NewReader(cut), mainList+".gz", int64(len(cut)))
	if err != nil {
		t.Fatal(err)
	}
	if hash != xxh3.Hash(cut) {
		t.Error("hash is not the stored bytes'")
	}
	if len(kept) == 0 || !bytes.HasSuffix(kept, []byte("amd64\n\n")) || !bytes.HasPrefix(plain, bytes.ReplaceAll(kept, []byte("\n\n"), []byte("\nDescription: d\n\n"))) {
		t.Errorf("kept %d bytes ending %q", len(kept), kept[max(0, len(kept)-40):])
	}
	// Not a gzip stream at all: nothing kept, no error.
	if kept, _, err := layer.CaptureAptList(context.Background(), strings.NewReader("junk"), mainList+".gz", 4); err != nil || len(kept) != 0 {
		t.Errorf("junk .gz: %q, %v", kept, err)
	}
	// The layer ends 10 bytes into a 100-byte entry.
	_, _, err = layer.CaptureAptList(context.Background(), io.MultiReader(strings.NewReader("Package: x"), errReader{io.ErrUnexpectedEOF}), mainList, 100)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated layer: %v", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// SP403 on a bookworm-like image whose apt-get update left a ~36 MB plain
// Packages list (past layer.MaxCapturedFile): the newer dash it offers sits at
// the list's end.
func TestAptUpgradableBigList(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 36 MB layer")
	}
	base := ruleLayer{createdBy: "/bin/sh -c #(nop) ADD file:0123 in / ", entries: append([]tartest.Entry{
		tartest.File("usr/lib/os-release", debian12),
		tartest.Symlink("etc/os-release", "../usr/lib/os-release"),
		exe(sized("usr/bin/dash", 9000)),
	}, dpkgDB(basePkgs...)...)}
	update := ruleLayer{createdBy: "/bin/sh -c apt-get update", entries: []tartest.Entry{
		tartest.Dir("var/lib/apt/lists"),
		tartest.File(strings.TrimPrefix(mainList, "/"), string(bigList())),
	}}
	check := func(t *testing.T, a *inspect.Analysis) {
		t.Helper()
		up := byRule(inspect.RunRules(a, inspect.Config{Config: rules.Config{Now: testNow}}))["SP403"]
		if len(up) != 1 || up[0].Layer != 0 || len(up[0].Packages) != 1 ||
			up[0].Packages[0].Name != "dash" || up[0].Packages[0].Available != "0.5.12-2+deb12u1" {
			t.Fatalf("SP403 %+v, want dash 0.5.12-2 -> 0.5.12-2+deb12u1 in layer 0", up)
		}
	}

	// The real pipeline: Analyze walks the layers.
	a := analyzeLayers(t, v1.Config{}, testNow, base, update)
	if c, ok := a.FS.Content(mainList); !ok || len(c) > layer.MaxAptListKept {
		t.Fatalf("the walker did not stream the big list (captured %v, %d bytes)", ok, len(c))
	}
	check(t, a)
}

// SP403 reads the apt lists a layer stored and a later layer deleted (apt-get
// update in one RUN, rm -rf /var/lib/apt/lists/* in another): the
// finding says which layer stored them and that they date from its build.
func TestAptUpgradableHiddenLists(t *testing.T) {
	list := "Package: dash\nVersion: 0.5.12-2+deb12u1\nArchitecture: amd64\n\n"
	base := ruleLayer{createdBy: "/bin/sh -c #(nop) ADD file:0123 in / ", entries: append([]tartest.Entry{
		tartest.File("usr/lib/os-release", debian12),
		exe(sized("usr/bin/dash", 9000)),
	}, dpkgDB(basePkgs...)...)}
	update := ruleLayer{createdBy: "/bin/sh -c apt-get update", entries: []tartest.Entry{
		tartest.Dir("var/lib/apt/lists"),
		tartest.File(strings.TrimPrefix(mainList, "/"), list),
	}}
	clean := ruleLayer{createdBy: "/bin/sh -c rm -rf /var/lib/apt/lists/*", entries: []tartest.Entry{
		tartest.Whiteout(strings.TrimPrefix(mainList, "/")),
	}}
	a := analyzeLayers(t, v1.Config{}, testNow, base, update, clean)
	if _, ok := a.FS.Content(mainList); ok {
		t.Fatal("the deleted list is visible")
	}
	up := byRule(inspect.RunRules(a, inspect.Config{Config: rules.Config{Now: testNow}}))["SP403"]
	if len(up) != 1 || len(up[0].Packages) != 1 || up[0].Packages[0].Name != "dash" || up[0].Packages[0].Available != "0.5.12-2+deb12u1" ||
		!strings.Contains(up[0].Title, "the apt lists layer 1 stored (deleted later: they date from that build)") {
		t.Fatalf("SP403 %+v", up)
	}
	// Without the update layer there is nothing to read.
	a = analyzeLayers(t, v1.Config{}, testNow, base)
	if up := byRule(inspect.RunRules(a, inspect.Config{Config: rules.Config{Now: testNow}}))["SP403"]; len(up) != 0 {
		t.Fatalf("SP403 without lists: %+v", up)
	}
}
