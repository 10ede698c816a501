package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// An image of 2,500 pip-installed distributions whose PIP_INDEX_URL names
// a host of its choosing: --refresh asks that host about the first 2,000
// only (one request each here: the index has none of them), and says on
// stderr, in one line, how many were not asked.
func TestHostileRefreshManyDistributions(t *testing.T) {
	var asked atomic.Int64
	index := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		http.NotFound(w, r)
	}))
	defer index.Close()

	var entries []tartest.Entry
	for i := range 2500 {
		dir := fmt.Sprintf("usr/local/lib/python3.11/site-packages/dist%d-1.0.dist-info/", i)
		entries = append(entries,
			tartest.File(dir+"METADATA", fmt.Sprintf("Metadata-Version: 2.1\nName: dist%d\nVersion: 1.0\n", i)),
			tartest.File(dir+"INSTALLER", "pip\n"))
	}
	img := tartest.Image(t, []string{"RUN pip install ..."}, tartest.Tar(t, entries...))
	img, err := mutate.Config(img, v1.Config{Env: []string{"PIP_INDEX_URL=" + index.URL + "/simple"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "layout")
	tartest.WriteLayout(t, dir, img)

	code, _, stderr := slimpy(t, "inspect", "oci:"+dir, "--format", "json", "--refresh", "--no-cache")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := asked.Load(); n != 2000 {
		t.Errorf("%d requests to the image's index, want 2000", n)
	}
	want := "the image lists 2500 Python distributions: the first 2000 were asked, 500 not"
	if strings.Count(stderr, want) != 1 {
		t.Errorf("stderr %q, want one line with %q", stderr, want)
	}
}
