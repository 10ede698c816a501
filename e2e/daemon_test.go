package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoadedImageByName: `docker load` a fixture, then `slimpy inspect` it
// by its bare name and as docker-daemon:NAME, and get the figures the
// tarball itself gives; with DOCKER_HOST pointing nowhere, the engine is
// not reached (the address is DOCKER_HOST's, not a default).
func TestLoadedImageByName(t *testing.T) {
	requireDocker(t)
	archive, err := filepath.Abs(filepath.Join("..", "testdata", "images", "demo.tar"))
	if err != nil {
		t.Fatal(err)
	}
	const name = "slimpy/demo:latest" // the tag inside demo.tar
	had := exec.Command("docker", "image", "inspect", name).Run() == nil
	out, err := exec.Command("docker", "load", "-i", archive).CombinedOutput()
	if err != nil {
		t.Fatalf("docker load: %v: %s", err, out)
	}
	if !strings.Contains(string(out), "Loaded image: "+name) && !strings.Contains(string(out), name) {
		t.Logf("docker load said: %s", out)
	}
	if !had {
		t.Cleanup(func() {
			if out, err := exec.Command("docker", "image", "rm", name).CombinedOutput(); err != nil {
				t.Logf("docker image rm %s: %v: %s", name, err, out)
			}
		})
	}

	want := inspectJSON(t, "docker-archive:"+archive)
	for _, ref := range []string{name, "docker-daemon:" + name} {
		got := inspectJSON(t, ref)
		if got.Image.ConfigID != want.Image.ConfigID {
			t.Errorf("%s: config %s, the tarball's is %s", ref, got.Image.ConfigID, want.Image.ConfigID)
		}
		if got.Totals != want.Totals || len(got.Layers) != len(want.Layers) || got.Duplicates.WastedBytes != want.Duplicates.WastedBytes {
			t.Errorf("%s: totals %+v, %d layers; the tarball: %+v, %d layers", ref, got.Totals, len(got.Layers), want.Totals, len(want.Layers))
		}
		for i := range got.Layers {
			if i < len(want.Layers) && got.Layers[i] != want.Layers[i] {
				t.Errorf("%s: layer %d %+v, the tarball's %+v", ref, i, got.Layers[i], want.Layers[i])
			}
		}
	}

	// DOCKER_HOST is what is asked.
	sock := "unix://" + filepath.Join(t.TempDir(), "no-engine.sock")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, slimpyCLI(t), "inspect", "docker-daemon:"+name, "--format", "json", "--no-cache")
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+sock)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), "cannot reach the Docker engine at "+sock) {
		t.Errorf("DOCKER_HOST=%s: %v, %s", sock, err, stderr.String())
	}
}
