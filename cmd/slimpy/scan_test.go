package main

import (
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/fleet"
	"github.com/slimpy/slimpy/internal/fleet/fleettest"
	"github.com/slimpy/slimpy/internal/golden"
	"github.com/slimpy/slimpy/internal/textsafe"
)

var _ = flag.Bool("update", false, "rewrite the golden files of testdata/scan")

// scanNow is --now for the test fleet: its end-of-life findings are
// checked at that date.
var scanNow = fleettest.RulesNow.Format("2006-01-02")

// scanFleet is the test fleet (fleettest: 28 images, 29 references on
// three bases, one nested) with the references as scan takes them from a
// file: docker://, one a line.
type scanFleet struct {
	*fleettest.Fleet
	refs []string // docker://HOST/REPO:TAG
}

func newScanFleet(t *testing.T) *scanFleet {
	t.Helper()
	f := &scanFleet{Fleet: fleettest.New(t)}
	for _, r := range f.Refs {
		f.refs = append(f.refs, "docker://"+r)
	}
	return f
}

// listFile writes refs one a line, with a comment and a blank line.
func listFile(t *testing.T, refs []string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "images.txt")
	if err := os.WriteFile(p, []byte("# the fleet\n\n"+strings.Join(refs, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// scanArgs are the arguments every scan of the test fleet takes.
func scanArgs(t *testing.T, args ...string) []string {
	return append([]string{"scan", "--insecure", "--now", scanNow, "--cache-dir", t.TempDir()}, args...)
}

// corruptLayer makes the registry serve the blob of layer i of the image
// ref (HOST/REPO:TAG) with one byte changed, and returns its digest.
func (f *scanFleet) corruptLayer(t *testing.T, ref string, i int) string {
	t.Helper()
	ls, err := f.Images[ref].Layers()
	if err != nil {
		t.Fatal(err)
	}
	d, err := ls[i].Digest()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := ls[i].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	blob, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	blob[len(blob)/2] ^= 0x40
	f.Reg.SetHook(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/blobs/"+d.String()) {
			w.Write(blob)
			return true
		}
		return false
	})
	return d.String()
}

// hostless replaces the registry's port, which changes with every run,
// with as many Ps (the text report aligns columns), as written plain and
// as markdown escapes it.
func hostless(s, host string) string {
	addr, port, _ := strings.Cut(host, ":")
	for _, a := range []string{addr, textsafe.Markdown(addr)} {
		s = strings.ReplaceAll(s, a+":"+port, a+":"+strings.Repeat("P", len(port)))
	}
	return s
}

// TestScanFleet: a scan of tens of images on shared bases in a registry,
// four at a time, with a missing tag and an image whose layer blob is
// corrupt: both listed with their error while the others are analysed,
// exit 1; each layer blob read once; the reports in the three formats as
// their golden files.
func TestScanFleet(t *testing.T) {
	f := newScanFleet(t)
	missing := "docker://" + f.Reg.Host + "/team-z/missing:v1"
	corrupt := f.Reg.Host + "/team-c/tool-05:v1"
	badBlob := f.corruptLayer(t, corrupt, 3) // its own pip layer
	list := listFile(t, append(slices.Clone(f.refs), missing))
	dir := t.TempDir()
	cache := t.TempDir()
	for _, format := range []string{"json", "text", "markdown"} {
		out := filepath.Join(dir, "fleet."+format)
		args := []string{"scan", "--insecure", "--now", scanNow, "--cache-dir", cache, "--file", list, "--concurrency", "4", "--format", format, "-o", out}
		code, stdout, stderr := slimpy(t, args...)
		if code != exitCheck || stdout != "" || stderr != "slimpy: 2 of 30 images could not be analysed; the report lists them\n" {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q", format, code, stdout, stderr)
		}
		if format == "json" {
			// The first, cold run: every layer blob once, four images at a time.
			gets := f.LayerGets()
			for d, n := range gets {
				if n != 1 && d != badBlob {
					t.Errorf("layer blob %s read %d times", d, n)
				}
			}
			if len(gets) != len(f.LayerBlobs) {
				t.Errorf("%d of %d layer blobs read", len(gets), len(f.LayerBlobs))
			}
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		golden.Require(t, filepath.Join("testdata", "scan", "fleet."+format), hostless(string(b), f.Reg.Host))
	}
	b, _ := os.ReadFile(filepath.Join(dir, "fleet.json"))
	r, err := fleet.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if r.Totals.Images != 28 || r.Totals.Failed != 2 || len(r.Bases) != 4 {
		t.Errorf("totals %+v, %d bases", r.Totals, len(r.Bases))
	}
	for i, want := range []struct{ ref, err string }{{"docker://" + corrupt, "sha256"}, {missing, "NAME_UNKNOWN"}} {
		if i >= len(r.Failed) || r.Failed[i].Reference != want.ref || !strings.Contains(r.Failed[i].Error, want.err) {
			t.Errorf("failed %+v, want %s (%s)", r.Failed, want.ref, want.err)
		}
	}
}
