package rules_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/pierrec/lz4/v4"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/rules"
	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// This file builds real images from real layer tars (tartest.Tar, tartest.Image),
// analyses them with the real walker, merge and inventory (Analyze), and
// runs the real rules on them.

// ruleLayer is one layer of a rule test image: its instruction and entries.
type ruleLayer struct {
	createdBy string
	entries   []tartest.Entry
}

// sized is a regular file of n bytes whose content depends on its path, so
// that no two test files are accidentally identical.
func sized(name string, n int) tartest.Entry {
	seed := name + "\n"
	s := strings.Repeat(seed, n/len(seed)+1)[:n]
	return tartest.File(name, s)
}

// sameContent is a file of n bytes with the given seed: files with one seed
// and size are duplicates.
func sameContent(name, seed string, n int) tartest.Entry {
	return tartest.File(name, strings.Repeat(seed, n/len(seed)+1)[:n])
}

func exe(e tartest.Entry) tartest.Entry { e.Mode = 0o755; return e }

// dpkgPkg is one package of a test dpkg database.
type dpkgPkg struct {
	name, version, depends string
	files                  []string
}

func dpkgStatusOf(pkgs ...dpkgPkg) string {
	var sb strings.Builder
	for _, p := range pkgs {
		fmt.Fprintf(&sb, "Package: %s\nStatus: install ok installed\nArchitecture: amd64\nVersion: %s\n", p.name, p.version)
		if p.depends != "" {
			fmt.Fprintf(&sb, "Depends: %s\n", p.depends)
		}
		sb.WriteString("Description: test\n\n")
	}
	return sb.String()
}

// dpkgDB is the status file and the info/*.list files of the packages.
func dpkgDB(pkgs ...dpkgPkg) []tartest.Entry {
	out := []tartest.Entry{tartest.File("var/lib/dpkg/status", dpkgStatusOf(pkgs...))}
	for _, p := range pkgs {
		out = append(out, tartest.File("var/lib/dpkg/info/"+p.name+".list", strings.Join(append([]string{"/."}, p.files...), "\n")+"\n"))
	}
	return out
}

// distInfo is a pip-installed distribution's metadata with a RECORD that
// lists the given files (paths relative to site).
func distInfo(site, name, version string, files ...string) []tartest.Entry {
	meta := site + "/" + name + "-" + version + ".dist-info"
	var rec strings.Builder
	for _, f := range files {
		fmt.Fprintf(&rec, "%s,,\n", f)
	}
	rel := name + "-" + version + ".dist-info"
	fmt.Fprintf(&rec, "%s/METADATA,,\n%s/INSTALLER,,\n%s/RECORD,,\n", rel, rel, rel)
	return []tartest.Entry{
		tartest.File(meta+"/METADATA", "Metadata-Version: 2.1\nName: "+name+"\nVersion: "+version+"\n\n"),
		tartest.File(meta+"/INSTALLER", "pip\n"),
		tartest.File(meta+"/RECORD", rec.String()),
	}
}

func lz4Bytes(t testing.TB, s string) string {
	var buf bytes.Buffer
	w := lz4.NewWriter(&buf)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// analyzeLayers builds the image and analyses it.
func analyzeLayers(t testing.TB, cfg v1.Config, created time.Time, layers ...ruleLayer) *inspect.Analysis {
	t.Helper()
	var history []string
	var tars [][]byte
	for _, l := range layers {
		history = append(history, l.createdBy)
		tars = append(tars, tartest.Tar(t, l.entries...))
	}
	img := tartest.Image(t, history, tars...)
	img, err := mutate.Config(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !created.IsZero() {
		if img, err = mutate.CreatedAt(img, v1.Time{Time: created}); err != nil {
			t.Fatal(err)
		}
	}
	a, err := inspect.Analyze(context.Background(), &source.Source{Reference: "test", Transport: "test", Image: img, RawCompressed: true}, inspect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// summarize is the report's summary and per-category bytes of the findings.
func summarize(a *inspect.Analysis, fs []rules.Finding) (rules.FindingsSummary, map[string]int64) {
	r := a.ReportWith(fs, inspect.Config{Config: rules.Config{Now: testNow}})
	return *r.Summary, r.Categories
}

// byRule indexes findings by rule ID.
func byRule(fs []rules.Finding) map[string][]rules.Finding {
	out := map[string][]rules.Finding{}
	for _, f := range fs {
		out[f.Rule] = append(out[f.Rule], f)
	}
	return out
}

func sumBytes(fs []rules.Finding) int64 {
	var n int64
	for _, f := range fs {
		n += f.Bytes
	}
	return n
}

func allPaths(fs []rules.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Paths...)
	}
	return out
}

func containsPath(paths []string, p string) bool {
	for _, q := range paths {
		if q == p || strings.HasPrefix(q, p+"/") {
			return true
		}
	}
	return false
}

// sizes sums the sizes of tar entries by path.
type sizes map[string]int

func (s sizes) of(paths ...string) int64 {
	var n int64
	for _, p := range paths {
		v, ok := s[p]
		if !ok {
			panic("no test file " + p)
		}
		n += int64(v)
	}
	return n
}

func sizesOf(layers ...ruleLayer) sizes {
	s := sizes{}
	for _, l := range layers {
		for _, e := range l.entries {
			if e.Type == tar.TypeReg {
				s["/"+strings.TrimPrefix(e.Name, "/")] = len(e.Content)
			}
		}
	}
	return s
}
