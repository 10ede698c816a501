package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/aymanbagabas/go-udiff"
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
// as markdown escapes it. The goldens have 5: the ephemeral ports a test
// server gets (Linux: 32768–60999) have 5 digits.
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

// TestScanShardsMergedEqualOneRun: the shards of a list, each scanned as
// on its own machine (--no-cache: a temporary layer cache of its own,
// removed at the end), one of them as a Kubernetes Indexed Job's pod
// (auto/N), merged in any order, are the unsharded scan's report byte for
// byte in every format; a merge that lacks a shard, has one twice or
// would overwrite one is refused (exit 2) and writes nothing.
func TestScanShardsMergedEqualOneRun(t *testing.T) {
	f := newScanFleet(t)
	missing := "docker://" + f.Reg.Host + "/team-z/missing:v1"
	list := listFile(t, append(slices.Clone(f.refs), missing))
	dir := t.TempDir()
	whole := map[string]string{}
	cache := t.TempDir()
	for _, format := range []string{"json", "text", "markdown"} {
		code, out, errOut := slimpy(t, "scan", "--insecure", "--now", scanNow, "--cache-dir", cache, "--file", list, "--format", format)
		if code != exitCheck {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		whole[format] = out
	}

	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where --no-cache's layer cache goes
	const n = 3
	var shards []string
	f.Reg.Take()
	for i := n - 1; i >= 0; i-- {
		out := filepath.Join(dir, fmt.Sprintf("shard-%d.json", i))
		shard := fmt.Sprintf("%d/%d", i, n)
		if i == 1 {
			t.Setenv("JOB_COMPLETION_INDEX", "1")
			shard = fmt.Sprintf("auto/%d", n)
		}
		code, stdout, errOut := slimpy(t, "scan", "--insecure", "--now", scanNow, "--no-cache", "--file", list, "--shard", shard, "--format", "json", "-o", out)
		if code > exitCheck || stdout != "" {
			t.Fatalf("shard %s: exit %d, stdout %q, stderr %q", shard, code, stdout, errOut)
		}
		// Each shard reads each of its layers once.
		for d, n := range f.LayerGets() {
			if n != 1 {
				t.Errorf("shard %s read layer blob %s %d times", shard, d, n)
			}
		}
		shards = append(shards, out)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("--no-cache left %v in TMPDIR", left)
	}
	for _, format := range []string{"json", "text", "markdown"} {
		code, out, errOut := slimpy(t, append([]string{"scan", "merge", "--format", format}, shards...)...)
		if code != exitCheck || !strings.Contains(errOut, "1 of 30 images could not be analysed") {
			t.Fatalf("merge --format %s: exit %d: %s", format, code, errOut)
		}
		if d := udiff.Unified("unsharded", "merged", whole[format], out); d != "" {
			t.Errorf("merged %s differs from the unsharded scan:\n%s", format, d)
		}
	}

	merged := filepath.Join(dir, "fleet.md")
	for _, c := range []struct {
		args []string
		want string
	}{
		{shards[:2], "shard 0/3 missing: a merge needs all 3 shards of the run"},
		{append(slices.Clone(shards), shards[0]), "shard 2/3 is given twice (reports 1 and 4)"},
		{append(slices.Clone(shards), "-o", shards[1]), "-o " + shards[1] + " is the shard report " + shards[1] + ": it would be overwritten"},
		{append(slices.Clone(shards), "--format", "yaml"), `--format "yaml": use text, json or markdown`},
	} {
		code, out, errOut := slimpy(t, append([]string{"scan", "merge", "-o", merged}, c.args...)...)
		if code != exitUsage || out != "" || errOut != "slimpy: "+c.want+"\n" {
			t.Errorf("merge %q: exit %d, stdout %q, stderr %q; want %q", c.args, code, out, errOut, c.want)
		}
		if _, err := os.Stat(merged); err == nil {
			t.Errorf("merge %q wrote %s", c.args, merged)
		}
	}
}

// TestScanAllTags: --all-tags reads every page of a repository's tags from
// a registry that answers at most 5 a page (a Link header to the next
// page, as the distribution spec says), leaves out the tags of artifacts
// about a digest (a cosign signature), and scans the images from the
// registry.
func TestScanAllTags(t *testing.T) {
	f := newScanFleet(t)
	f.Reg.LinkTags()
	repo := f.Reg.Host + "/team-x/all"
	var want []string
	for i, r := range f.Refs[:12] {
		tag := fmt.Sprintf("t%02d", i)
		fleettest.Push(t, repo+":"+tag, f.Images[r])
		want = append(want, "docker://"+repo+":"+tag)
	}
	d, _ := f.Images[f.Refs[0]].Digest()
	fleettest.Push(t, repo+":sha256-"+d.Hex+".sig", f.Images[f.Refs[0]])
	f.Reg.SetHook(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/tags/list") {
			q := r.URL.Query()
			q.Set("n", "5") // whatever the client asks
			r.URL.RawQuery = q.Encode()
		}
		return false
	})
	f.Reg.Take()
	code, out, errOut := slimpy(t, scanArgs(t, "--all-tags", "docker://"+repo, "--format", "json")...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if pages := f.Reg.Take("GET ", "/tags/list"); len(pages) != 3 {
		t.Errorf("%d pages of tags read, want 3 of 5 for 13 tags: %v", len(pages), pages)
	}
	r, err := fleet.Decode([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, im := range r.Images {
		got = append(got, im.Reference)
	}
	if !slices.Equal(got, want) || len(r.Failed) != 0 {
		t.Errorf("images %q, failed %+v; want %q", got, r.Failed, want)
	}
}

// TestScanInterrupted: ctrl+c while the images are read stops the scan
// with 130 and writes nothing, neither -o nor standard output, and leaves
// no temporary layer cache behind.
func TestScanInterrupted(t *testing.T) {
	f := newScanFleet(t)
	hang := newHangingBlobs(t)
	f.Reg.SetHook(hang.serve)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, output := range []string{"", filepath.Join(t.TempDir(), "fleet.json")} {
		select { // a request of the last run may have said so
		case <-hang.asked:
		default:
		}
		ctx, cancel := context.WithCancelCause(context.Background())
		args := []string{"scan", "--insecure", "--no-cache", "--format", "json"}
		if output != "" {
			args = append(args, "-o", output)
		}
		var out bytes.Buffer
		var errOut syncBuffer
		done := make(chan int)
		go func() { done <- run(ctx, append(args, f.refs...), &out, &errOut) }()
		<-hang.asked
		cancel(interrupted{syscall.SIGINT})
		code := <-done
		if code != 130 || out.Len() != 0 || errOut.String() != "slimpy: interrupted\n" {
			t.Errorf("-o %q: exit %d, stdout %q, stderr %q", output, code, out.String(), errOut.String())
		}
		if _, err := os.Stat(output); output != "" && err == nil {
			t.Errorf("%s written", output)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the interrupted scans left %v in TMPDIR", left)
	}
}

// TestScanShardFromJobIndex: --shard auto/N takes I from
// JOB_COMPLETION_INDEX, and says what is wrong with it.
func TestScanShardFromJobIndex(t *testing.T) {
	for _, c := range []struct {
		index, want string
	}{
		{"", "--shard auto/4: JOB_COMPLETION_INDEX is not set (a Kubernetes Indexed Job sets it in each pod); give I/N"},
		{"4", `--shard auto/4: JOB_COMPLETION_INDEX="4" is not an index from 0 to 4-1`},
		{"-1", `--shard auto/4: JOB_COMPLETION_INDEX="-1" is not an index from 0 to 4-1`},
		{"x", `--shard auto/4: JOB_COMPLETION_INDEX="x" is not an index from 0 to 4-1`},
	} {
		t.Setenv("JOB_COMPLETION_INDEX", c.index)
		code, out, errOut := slimpy(t, "scan", "missing.tar", "--shard", "auto/4")
		if code != exitUsage || out != "" || errOut != "slimpy: "+c.want+"\n" {
			t.Errorf("JOB_COMPLETION_INDEX=%q: exit %d, stderr %q; want %q", c.index, code, errOut, c.want)
		}
	}
	t.Setenv("JOB_COMPLETION_INDEX", "2")
	if i, n, err := parseShard("auto/4"); err != nil || i != 2 || n != 4 {
		t.Errorf("JOB_COMPLETION_INDEX=2 auto/4: %d/%d %v", i, n, err)
	}
}

// TestScanProgress: on a terminal the scan shows, on one line redrawn in
// place, the images done of the run's, those that failed and those under
// way, erased before the report; nothing with --quiet.
func TestScanProgress(t *testing.T) {
	f := newScanFleet(t)
	missing := "docker://" + f.Reg.Host + "/team-z/missing:v1"
	args := append(scanArgs(t, "--format", "json", missing), f.refs[:6]...)
	onTerminal(t, 200)
	var out bytes.Buffer
	var errOut syncBuffer
	if code := run(context.Background(), args, &out, &errOut); code != exitCheck {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	lines, after := statusLines(errOut.String())
	if after != "slimpy: 1 of 7 images could not be analysed; the report lists them\n" || len(lines) < 7 {
		t.Fatalf("stderr %q", errOut.String())
	}
	last := lines[len(lines)-1]
	if !strings.HasPrefix(lines[0], "Scanning: 0 of 7 images done · docker://") || last != "Scanning: 7 of 7 images done (1 failed)" {
		t.Errorf("status lines %q", lines)
	}
	if strings.Contains(out.String(), "Scanning") {
		t.Error("progress on stdout")
	}

	var quiet syncBuffer
	if code := run(context.Background(), append(args, "--quiet"), &out, &quiet); code != exitCheck || strings.Contains(quiet.String(), "Scanning") {
		t.Errorf("--quiet: exit %d, stderr %q", code, quiet.String())
	}
}

// TestScanInputErrors: what scan cannot take is exit 2 and one line,
// before any image is read; -o never overwrites an input.
func TestScanInputErrors(t *testing.T) {
	dir := t.TempDir()
	list := listFile(t, []string{"docker://127.0.0.1:1/x:1"})
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("# ok\ndocker://a/b:1 docker://a/c:1\n"), 0o644)
	layout := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"scan"}, "no images to scan: give references, --file or --all-tags"},
		{[]string{"scan", "--file", dir}, "is a directory"},
		{[]string{"scan", "--file", bad}, `line 2: "docker://a/b:1 docker://a/c:1" is not one image reference`},
		{[]string{"scan", "--file", list, "-o", list}, "-o " + list + " is --file " + list + ": it would be overwritten"},
		{[]string{"scan", "oci:" + layout, "-o", filepath.Join(layout, "fleet.json")}, "is inside the image oci:" + layout + ": it would change it"},
		{[]string{"scan", "x.tar", "-o", filepath.Join(dir, "none", "fleet.json")}, "the directory " + filepath.Join(dir, "none") + " does not exist"},
		{[]string{"scan", "x.tar", "--format", "yaml"}, `--format "yaml": use text, json or markdown`},
		{[]string{"scan", "merge", filepath.Join(dir, "none.json")}, "no such file"},
		{[]string{"scan", "merge", list}, "shard report 1: not a fleet report"},
	} {
		code, out, errOut := slimpy(t, c.args...)
		if code != exitUsage || out != "" || !strings.HasPrefix(errOut, "slimpy: ") || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %q", c.args, code, out, errOut, c.want)
		}
	}
	if b, _ := os.ReadFile(list); !strings.Contains(string(b), "docker://127.0.0.1:1/x:1") {
		t.Errorf("--file overwritten: %q", b)
	}
}
