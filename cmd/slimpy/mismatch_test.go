package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/fixtures"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/pipeline"
)

// demoImageDockerfile built testdata/images/demo.tar (its history, line
// for line).
const demoImageDockerfile = fixtures.DemoDockerfile

// TestDockerfileThatDidNotBuildTheImage: suggest and fix with an image
// compare the Dockerfile with its history; one that did not build it is
// said on stderr and in the JSON, and nothing is measured on it. The one
// that built it measures its savings, silently.
func TestDockerfileThatDidNotBuildTheImage(t *testing.T) {
	demo := "docker-archive:" + fixturePath(t, "demo.tar")
	type doc struct {
		ImageMismatch string
		Suggestions   []struct {
			ID      string
			Savings struct {
				Measured bool
				Note     string
			}
		}
	}
	measured := func(d doc) (n int) {
		for _, s := range d.Suggestions {
			if s.Savings.Measured {
				n++
			}
		}
		return n
	}

	_, path := writeDockerfile(t, demoImageDockerfile)
	code, out, errOut := slimpy(t, "suggest", demo, "--dockerfile", path, "--format", "json", "--no-cache")
	var d doc
	if err := json.Unmarshal([]byte(out), &d); code != 0 || err != nil || errOut != "" || d.ImageMismatch != "" || measured(d) == 0 {
		t.Fatalf("the Dockerfile that built it: exit %d %v, stderr %q, %+v", code, err, errOut, d)
	}

	_, path = writeDockerfile(t, cliDockerfile)
	code, out, errOut = slimpy(t, "suggest", demo, "--dockerfile", path, "--format", "json", "--no-cache")
	d = doc{}
	if err := json.Unmarshal([]byte(out), &d); code != 0 || err != nil || measured(d) != 0 || len(d.Suggestions) == 0 {
		t.Fatalf("another Dockerfile: exit %d %v, %+v", code, err, d)
	}
	wantWhy := "line 5 (RUN pip install -r requirements.txt) is not in the image's history; 0 of its 3 RUN, COPY and ADD instructions are"
	if d.ImageMismatch != wantWhy {
		t.Errorf("imageMismatch %q, want %q", d.ImageMismatch, wantWhy)
	}
	if want := "slimpy: warning: " + path + " does not match " + demo + ": " + wantWhy + "; its savings are not measured\n"; errOut != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
	code, out, _ = slimpy(t, "suggest", demo, "--dockerfile", path, "--no-cache")
	if code != 0 || !strings.Contains(out, "which the Dockerfile did not build: the savings are not measured") {
		t.Errorf("text: exit %d\n%s", code, out)
	}
	code, out, errOut = slimpy(t, "fix", demo, "--dockerfile", path, "--all", "-o", path+".new", "--format", "json", "--no-cache")
	var fo struct{ ImageMismatch string }
	if err := json.Unmarshal([]byte(out), &fo); code != 0 || err != nil || fo.ImageMismatch != wantWhy || !strings.Contains(errOut, "does not match") {
		t.Errorf("fix: exit %d %v %+v, stderr %q", code, err, fo, errOut)
	}
}

// The interactive view leaves out a ./Dockerfile that did not build the
// image, says so, and suggests on the history's reconstruction instead.
func TestInteractiveViewLeavesOutAnotherDockerfile(t *testing.T) {
	demo := "docker-archive:" + fixturePath(t, "demo.tar")
	ctx := context.Background()
	cfg := inspect.DefaultConfig()
	img, err := pipeline.Analyze(ctx, demo, pipeline.Options{Rules: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	for _, c := range []struct {
		dockerfile, wantFile, wantLeftOut string
	}{
		{demoImageDockerfile, "Dockerfile", ""},
		{cliDockerfile, "Dockerfile reconstructed from the history", "Dockerfile left out: it did not build this image (line 5 (RUN pip install -r requirements.txt) is not in the image's history"},
	} {
		dir, _ := writeDockerfile(t, c.dockerfile)
		t.Chdir(dir)
		f := &inspectFlags{}
		fx := f.fixes(ctx, img, cfg)
		if fx.Dockerfile != c.wantFile || !strings.HasPrefix(fx.LeftOut, c.wantLeftOut) || (c.wantLeftOut == "") != (fx.LeftOut == "") || len(fx.Suggestions) == 0 {
			t.Errorf("fixes: file %q, left out %q, %d suggestions; want %q, %q", fx.Dockerfile, fx.LeftOut, len(fx.Suggestions), c.wantFile, c.wantLeftOut)
		}
		// The verified write goes with the write: the Dockerfile that
		// built the image has both, the one left out neither.
		if (fx.Write != nil) != (c.wantLeftOut == "") || (fx.Verify != nil) != (fx.Write != nil) {
			t.Errorf("%s: write %v, verify %v", c.wantFile, fx.Write != nil, fx.Verify != nil)
		}
	}
}
