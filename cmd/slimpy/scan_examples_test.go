package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"

	"github.com/slimpy/slimpy/internal/fleet"
)

// TestFleetExamples runs the slimpy commands of docs/examples against the
// test fleet in a registry on 127.0.0.1, as the GitHub Actions workflow
// and the Kubernetes Jobs run them: each command as written, with the
// workflow's matrix value or the Job's completion index, the Jobs' volumes
// mapped to directories of the test, and --insecure for the test's
// plain-HTTP registry. Every command must succeed and the merges must give
// the fleet.
func TestFleetExamples(t *testing.T) {
	f := newScanFleet(t)
	images := []byte(strings.Join(f.refs, "\n") + "\n")
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the layer cache, as the Job sets it

	t.Run("GitHub Actions", func(t *testing.T) {
		var wf struct {
			Jobs map[string]struct {
				Strategy struct{ Matrix struct{ Shard []int } }
				Steps    []struct{ Run string }
			}
		}
		readExample(t, "fleet-scan.yml", &wf)
		dir := t.TempDir()
		t.Chdir(dir) // the checkout
		if err := os.WriteFile("images.txt", images, 0o644); err != nil {
			t.Fatal(err)
		}
		summary := filepath.Join(dir, "summary.md")
		t.Setenv("GITHUB_STEP_SUMMARY", summary)
		scan, merge := wf.Jobs["scan"], wf.Jobs["merge"]
		if len(scan.Strategy.Matrix.Shard) != 4 {
			t.Fatalf("matrix %v", scan.Strategy.Matrix.Shard)
		}
		for _, shard := range scan.Strategy.Matrix.Shard {
			for _, s := range scan.Steps {
				runExample(t, strings.ReplaceAll(s.Run, "${{ matrix.shard }}", strconv.Itoa(shard)))
			}
		}
		for _, s := range merge.Steps {
			runExample(t, s.Run)
		}
		checkFleet(t, "fleet.json", len(f.refs))
		if b, err := os.ReadFile(summary); err != nil || !bytes.HasPrefix(b, []byte("## slimpy scan: fleet report\n")) {
			t.Errorf("the step summary: %v\n%s", err, b)
		}
	})

	t.Run("Kubernetes", func(t *testing.T) {
		results, config := t.TempDir(), t.TempDir()
		if err := os.WriteFile(filepath.Join(config, "images.txt"), images, 0o644); err != nil {
			t.Fatal(err)
		}
		volumes := strings.NewReplacer("/results/", results+"/", "/config/", config+"/")
		scan := exampleJob(t, "fleet-scan-job.yaml")
		c := scan.Spec.Template.Spec.Containers[0]
		for _, rule := range scan.Spec.PodFailurePolicy.Rules {
			if rule.OnExitCodes.ContainerName != c.Name {
				t.Errorf("podFailurePolicy names the container %q, not %q", rule.OnExitCodes.ContainerName, c.Name)
			}
		}
		if scan.Spec.CompletionMode != "Indexed" || scan.Spec.Completions != 4 || strings.Join(c.Command, " ") != "slimpy" {
			t.Fatalf("the scan Job: %+v", scan.Spec)
		}
		for i := 0; i < scan.Spec.Completions; i++ {
			// What the Job controller sets, and what Kubernetes expands in the arguments.
			index := strconv.Itoa(i)
			t.Setenv("JOB_COMPLETION_INDEX", index)
			var args []string
			for _, a := range c.Args {
				args = append(args, volumes.Replace(strings.ReplaceAll(a, "$(JOB_COMPLETION_INDEX)", index)))
			}
			runSlimpy(t, args)
		}
		merge := exampleJob(t, "fleet-merge-job.yaml").Spec.Template.Spec.Containers[0]
		if strings.Join(merge.Command, " ") != "/bin/sh -c" || len(merge.Args) != 1 {
			t.Fatalf("the merge Job: %+v", merge)
		}
		t.Chdir(results)
		runExample(t, volumes.Replace(merge.Args[0]))
		checkFleet(t, filepath.Join(results, "fleet.json"), len(f.refs))
		if b, err := os.ReadFile(filepath.Join(results, "fleet.md")); err != nil || !bytes.HasPrefix(b, []byte("## slimpy scan: fleet report\n")) {
			t.Errorf("fleet.md: %v\n%s", err, b)
		}
	})
}

// kubeJob is what the test reads of a Job manifest.
type kubeJob struct {
	Kind     string
	Metadata struct{ Name, GenerateName string }
	Spec     struct {
		CompletionMode   string `yaml:"completionMode"`
		Completions      int
		PodFailurePolicy struct {
			Rules []struct {
				OnExitCodes struct {
					ContainerName string `yaml:"containerName"`
				} `yaml:"onExitCodes"`
			}
		} `yaml:"podFailurePolicy"`
		Template struct {
			Spec struct {
				Containers []struct {
					Name          string
					Command, Args []string
				}
			}
		}
	}
}

// exampleJob is the Job of a manifest of docs/examples.
func exampleJob(t *testing.T, name string) kubeJob {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var j kubeJob
		if err := dec.Decode(&j); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if j.Kind == "Job" && len(j.Spec.Template.Spec.Containers) == 1 {
			return j
		}
	}
	t.Fatalf("%s: no Job of one container", name)
	return kubeJob{}
}

func readExample(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// runExample runs every slimpy command of a shell script, its words
// expanded as sh would (variables from the environment, file patterns in
// the working directory); the other commands are left to the shell.
func runExample(t *testing.T, script string) {
	t.Helper()
	f, err := syntax.NewParser().Parse(strings.NewReader(script), "")
	if err != nil {
		t.Fatalf("%q: %v", script, err)
	}
	wd, _ := os.Getwd()
	cfg := &expand.Config{
		Env: expand.FuncEnviron(func(name string) string {
			if name == "PWD" {
				return wd
			}
			return os.Getenv(name)
		}),
		ReadDir2: os.ReadDir,
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		call, ok := n.(*syntax.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		args, err := expand.Fields(cfg, call.Args...)
		if err != nil {
			t.Fatalf("%q: %v", script, err)
		}
		if args[0] == "slimpy" {
			runSlimpy(t, args[1:])
		}
		return true
	})
}

// runSlimpy runs one command line of an example; a scan reads the test's
// plain-HTTP registry (--insecure). It must succeed.
func runSlimpy(t *testing.T, args []string) {
	t.Helper()
	if args[0] == "scan" && (len(args) < 2 || args[1] != "merge") {
		args = append(args, "--insecure")
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), args, &out, &errOut); code != exitOK {
		t.Fatalf("slimpy %q: exit %d: %s", args, code, errOut.String())
	}
}

// checkFleet: the merged report at path holds the whole fleet.
func checkFleet(t *testing.T, path string, images int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := fleet.Decode(b)
	if err != nil || r.Shard != nil || r.Totals.Images != images || len(r.Failed) != 0 {
		t.Errorf("%s: %v, totals %+v", path, err, r.Totals)
	}
}
