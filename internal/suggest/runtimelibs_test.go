package suggest

import (
	"context"
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/elfdeps"
	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/rules"
	"github.com/slimpy/slimpy/internal/inspect/source"
)

// inspectThenSuggest runs what `slimpy inspect` (InspectReport when
// report, else Analyze: the interactive view) and then `slimpy suggest`
// run on ref with one cache directory, and returns the runtime libraries
// the suggestions read and how many layer streams the suggest opened.
func inspectThenSuggest(t *testing.T, ref string, report bool) (*RuntimeLibs, int32, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	opts := inspect.Options{CacheDir: dir}
	s, err := source.Open(ctx, ref, source.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if report {
		_, err = inspect.InspectReport(ctx, s, opts, &inspect.Config{Config: rules.Config{Now: corpusNow}})
	} else {
		_, err = inspect.Analyze(ctx, s, opts)
	}
	s.Close()
	if err != nil {
		t.Fatal(err)
	}

	s, err = source.Open(ctx, ref, source.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var streams atomic.Int32
	s.Image = countingImage{s.Image, &streams}
	a, err := inspect.Analyze(ctx, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	facts := NewFacts(a, inspect.RunRules(a, inspect.Config{Config: rules.Config{Now: corpusNow}}))
	if err := facts.ReadRuntimeLibs(ctx, s.Image, layer.NewDerivedStore(dir, elfdeps.Kind)); err != nil {
		t.Fatal(err)
	}
	return facts.Runtime, streams.Load(), dir
}

// TestInspectKeepsRuntimeLibs: an inspect with a cache keeps what the
// extension modules link as its walk streams them, through the image
// cache's path and Analyze's, so the suggest that follows streams no layer
// (for an image of the engine: no second export) and reads what a suggest
// that streamed them reads.
func TestInspectKeepsRuntimeLibs(t *testing.T) {
	ref := extImage(t)
	s, a, findings := openAnalyzed(t, ref)
	cold := NewFacts(a, findings)
	if err := cold.ReadRuntimeLibs(context.Background(), s.Image, nil); err != nil {
		t.Fatal(err)
	}
	if cold.Runtime.Objects != 2 || len(cold.Runtime.Packages) != 1 {
		t.Fatalf("cold: %+v", cold.Runtime)
	}
	for _, report := range []bool{true, false} {
		t.Run(fmt.Sprintf("report=%v", report), func(t *testing.T) {
			got, streams, dir := inspectThenSuggest(t, ref, report)
			if streams != 0 {
				t.Errorf("the suggest after the inspect streamed %d layers", streams)
			}
			if !reflect.DeepEqual(got, cold.Runtime) {
				t.Errorf("after the inspect %+v, cold %+v", got, cold.Runtime)
			}
			if n := sameAsRead(t, s.Image, a.FS, dir); n != 3 {
				t.Errorf("%d values compared, want 3: the 2 extension modules' and the library bundled with numpy", n)
			}
		})
	}
}

// TestInspectKeepsRuntimeLibsOfRealImage: the same on the real
// Debian-built image (numpy and scipy's extension modules from Debian
// packages, a pip-built C extension), whose values the walk kept are
// every one ReadVisibleDerived reads of any shared object of its library
// trees, byte for byte.
func TestInspectKeepsRuntimeLibsOfRealImage(t *testing.T) {
	ref := "docker-archive:" + realDebianArchive(t)
	got, streams, dir := inspectThenSuggest(t, ref, true)
	if streams != 0 {
		t.Errorf("the suggest after the inspect streamed %d layers", streams)
	}
	if got == nil || got.Objects != 1 {
		t.Errorf("runtime libraries %+v, want the C extension's", got)
	}
	s, a, _ := openAnalyzed(t, ref)
	n := sameAsRead(t, s.Image, a.FS, dir)
	t.Logf("%d values compared", n)
	if n < 100 {
		t.Errorf("only %d values compared: numpy and scipy have hundreds of shared objects", n)
	}
}

// sameAsRead reads every shared object of the library trees of img (fs)
// with ReadVisibleDerived into a store of its own, checks that the store
// below dir has the same value of each (but of files the walk does not
// hold), and returns how many it compared.
func sameAsRead(t *testing.T, img v1.Image, fs *fsview.FileSystem, dir string) int {
	t.Helper()
	read := layer.NewDerivedStore(t.TempDir(), elfdeps.Kind)
	all := func(n *fsview.Node) bool { return elfdeps.Candidate(n.Path) }
	if err := inspect.ReadVisibleDerived(context.Background(), img, fs, all, elfdeps.MaxRead, elfdeps.Needed, read, func([]string, []byte) {}); err != nil {
		t.Fatal(err)
	}
	walked := layer.NewDerivedStore(dir, elfdeps.Kind)
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int64{}
	fs.Walk(func(n *fsview.Node) bool {
		if _, at := n.InodeKey(); at != "" {
			sizes[at] = n.Size
		}
		return true
	})
	compared := 0
	for _, d := range cfg.RootFS.DiffIDs {
		kept := walked.Load(d.String())
		for p, v := range read.Load(d.String()) {
			w, ok := kept[p]
			switch {
			case !ok && sizes[p] > layer.MaxDerivedContent:
			case !ok:
				t.Errorf("%s: the walk kept no value of %s", d, p)
			case string(w) != string(v):
				t.Errorf("%s: %s: the walk kept %q, read %q", d, p, w, v)
			default:
				compared++
			}
		}
	}
	return compared
}
