package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/fixtures"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// ciImages pushes a baseline app image and a bloated successor that shares
// its base layer, and returns their references.
func ciImages(t *testing.T) (baseline, bloated string) {
	t.Helper()
	base := fixtures.Layer("/bin/sh -c #(nop) ADD file:base in / ", fixtures.Text("/usr/lib/python3.11/os.py", 200_000), fixtures.File("/etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"))
	app := fixtures.Layer("COPY . /app # buildkit", fixtures.Text("/app/main.py", 30_000))
	good := fixtures.Image{Steps: []fixtures.Step{base, app}}
	bad := fixtures.Image{Steps: []fixtures.Step{base,
		fixtures.Layer("RUN /bin/sh -c pip install -r requirements.txt # buildkit", fixtures.Rand("/root/.cache/pip/http/a", 2_000_000), fixtures.Text("/usr/lib/python3.11/site-packages/big.py", 500_000)),
		app,
		fixtures.Layer("RUN /bin/sh -c chown -R app /usr/lib/python3.11/site-packages # buildkit", fixtures.Text("/usr/lib/python3.11/site-packages/big.py", 500_000)),
	}}
	host := startRegistry(t, nil)
	for tag, im := range map[string]fixtures.Image{"base": good, "pr": bad} {
		img, err := fixtures.BuildImage(im, true)
		if err != nil {
			t.Fatal(err)
		}
		ref := push(t, host, "app:"+tag, img)
		if tag == "base" {
			baseline = ref
		} else {
			bloated = ref
		}
	}
	return baseline, bloated
}

func TestCIThresholdsAndReports(t *testing.T) {
	baseline, bloated := ciImages(t)
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")

	// The baseline as a JSON file, the way a main-branch job would keep it.
	code, baseJSON, errOut := slimpy(t, "inspect", baseline, "--insecure", "--format", "json", "--cache-dir", cache)
	if code != 0 {
		t.Fatalf("inspect baseline: %d %s", code, errOut)
	}
	baseFile := filepath.Join(dir, "main.json")
	os.WriteFile(baseFile, []byte(baseJSON), 0o644)

	cases := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
	}{
		{"no limits pass", []string{"--default-policy=false", "--baseline", baseFile}, 0, []string{"PASS", "2 new"}},
		{"max-size pass", []string{"--default-policy=false", "--max-size", "10MB"}, 0, []string{"ok   max-size"}},
		{"max-size fail", []string{"--max-size", "500kB"}, 1, []string{"FAIL max-size"}},
		{"growth pct fail", []string{"--baseline", baseFile, "--max-growth", "10%"}, 1, []string{"FAIL max-growth", "pip install -r requirements.txt"}},
		{"growth bytes pass", []string{"--default-policy=false", "--baseline-image", baseline, "--max-growth", "1GiB"}, 0, []string{"ok   max-growth"}},
		{"wasted fail", []string{"--max-wasted", "100kB"}, 1, []string{"FAIL max-wasted"}},
		{"efficiency fail", []string{"--min-efficiency", "95%"}, 1, []string{"FAIL min-efficiency"}},
		{"growth without baseline", []string{"--max-growth", "5%"}, 1, []string{"no baseline"}},
		{"fail-on-rule hit", []string{"--fail-on-rule", "SP301,SP101"}, 1, []string{"FAIL fail-on-rule", "SP301 pip cache", "from: RUN pip install -r requirements.txt"}},
		{"fail-on-rule absent", []string{"--default-policy=false", "--fail-on-rule", "SP101"}, 0, []string{"ok   fail-on-rule"}},
		{"fail-on-severity", []string{"--fail-on-severity", "medium"}, 1, []string{"FAIL fail-on-severity", "3 findings"}},
		{"fail-on-severity high", []string{"--default-policy=false", "--fail-on-severity", "high"}, 0, []string{"ok   fail-on-severity"}},
		{"fail-on-rule only new", []string{"--default-policy=false", "--baseline", baseFile, "--fail-on-rule", "SP601", "--only-new"}, 0, []string{"ok   fail-on-rule", "new since the baseline"}},
		{"fail-on-rule old finding", []string{"--baseline", baseFile, "--fail-on-rule", "SP601"}, 1, []string{"FAIL fail-on-rule", "runs as root"}},
		{"only new still fails on new", []string{"--baseline", baseFile, "--fail-on-severity", "medium", "--only-new"}, 1, []string{"FAIL fail-on-severity", "2 findings"}},
		{"only new without baseline", []string{"--fail-on-rule", "SP301", "--only-new"}, 1, []string{"no baseline"}},
		{"category growth fail", []string{"--baseline", baseFile, "--category-growth", "caches=1MB"}, 1, []string{"FAIL category-growth:caches", "+2.0 MB", "from: RUN pip install"}},
		{"category growth pass", []string{"--default-policy=false", "--baseline", baseFile, "--category-growth", "caches=5MB", "--category-growth", "python-tests=0"}, 0, []string{"ok   category-growth:caches", "ok   category-growth:python-tests"}},
		{"wasted category", []string{"--baseline-image", baseline, "--category-growth", "wasted=100kB"}, 1, []string{"FAIL category-growth:wasted", "chown -R app"}},
		{"new findings listed", []string{"--default-policy=false", "--baseline", baseFile}, 0, []string{"new finding SP301", "new finding SP503"}},
		{"config ci section", []string{"--config", ciConfig(t, dir)}, 1, []string{"FAIL fail-on-rule", "FAIL max-size", "FAIL fail-on-severity", "SP601"}},
		{"flags override config", []string{"--config", ciConfig(t, dir), "--max-size", "1GB", "--fail-on-rule", "SP101"}, 1, []string{"ok   max-size", "ok   fail-on-rule", "FAIL fail-on-severity"}},
		// The default policy: something fails with no limit set, and says so.
		{"default policy, no baseline", nil, 1, []string{"policy:    the default policy without a baseline (layer efficiency at least 90.0%, no high-severity finding)",
			"FAIL min-efficiency     default policy: layer efficiency (visible / stored) 8", "ok   fail-on-severity", "failed: min-efficiency (default policy)"}},
		{"default policy, baseline", []string{"--baseline", baseFile}, 1, []string{"the default policy with a baseline", "FAIL max-growth         default policy: size grew by", "allowed 10%",
			"ok   fail-on-severity   default policy: no findings matching high or worse new since the baseline", "failed: max-growth (default policy)"}},
		{"default policy, a limit off", []string{"--min-efficiency", "off"}, 0, []string{"ok   fail-on-severity"}},
		{"default policy off in the config", []string{"--config", writeConfig(t, dir, "ci:\n  default-policy: false\n")}, 0, []string{"no checks configured", "default-policy: false"}},
		{"a flag over the config's off", []string{"--config", writeConfig(t, dir, "ci:\n  min-efficiency: off\n"), "--min-efficiency", "0.99"}, 1, []string{"FAIL min-efficiency", "at least 99.0% required\n"}},
		{"unknown rule", []string{"--fail-on-rule", "SP999"}, 2, nil},
		{"unknown severity", []string{"--fail-on-severity", "critical"}, 2, nil},
		{"unknown category", []string{"--category-growth", "bloat=1MB"}, 2, nil},
		{"bad size", []string{"--max-size", "huge"}, 2, nil},
		{"bad report", []string{"--report", "pdf=x.pdf"}, 2, nil},
		{"bad baseline", []string{"--baseline", filepath.Join(dir, "missing.json")}, 2, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"ci", bloated, "--insecure", "--cache-dir", cache}, c.args...)
			code, out, errOut := slimpy(t, args...)
			if code != c.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", code, c.wantCode, out, errOut)
			}
			for _, w := range c.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}

	// One run writing every report format.
	md, js, junit := filepath.Join(dir, "r.md"), filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	code, out, _ := slimpy(t, "ci", bloated, "--insecure", "--cache-dir", cache, "--baseline", baseFile,
		"--max-growth", "10%", "--max-size", "10MB", "--report", "markdown="+md, "--report", "json="+js, "--report", "junit="+junit)
	if code != 1 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	checkMarkdownTables(t, md)
	checkJUnit(t, junit, 3, 1) // max-size, max-growth and the default policy's fail-on-severity
	var res struct {
		Passed    bool
		NewLayers []struct{ CreatedBy string }
	}
	b, _ := os.ReadFile(js)
	if err := json.Unmarshal(b, &res); err != nil || res.Passed || len(res.NewLayers) != 2 {
		t.Errorf("json report: %v %+v", err, res)
	}
	if res.NewLayers[0].CreatedBy != "RUN pip install -r requirements.txt" {
		t.Errorf("biggest regression first: %+v", res.NewLayers)
	}
}

// writeConfig writes a config file of its own for each content.
func writeConfig(t *testing.T, dir, content string) string {
	t.Helper()
	f, err := os.CreateTemp(dir, "slimpy-*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

// ciConfig writes a .slimpy.yaml with a ci: section (and a rules: section,
// which ci reads too).
func ciConfig(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "slimpy.yaml")
	cfg := "rules:\n  severity:\n    SP601: high\nci:\n  max-size: 1MB\n  fail-on-rules: [SP301]\n  fail-on-severity: high\n"
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkMarkdownTables renders the markdown with a real GFM renderer and
// checks that the checks and deltas come out as tables.
func checkMarkdownTables(t *testing.T, path string) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var html bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert(src, &html); err != nil {
		t.Fatal(err)
	}
	h := html.String()
	if n := strings.Count(h, "<table>"); n < 5 {
		t.Errorf("markdown renders %d tables, want checks, totals, categories, new findings and new layers:\n%s", n, src)
	}
	for _, want := range []string{"<td>max-growth</td>", "pip install -r requirements.txt", "❌", "<td>SP301</td>", "<td>caches</td>"} {
		if !strings.Contains(h, want) {
			t.Errorf("rendered markdown lacks %q:\n%s", want, h)
		}
	}
}

// checkJUnit checks the document against the shape CI systems read: a
// testsuites root, testsuite counts that match their test cases, every test
// case named, failures with a message.
func checkJUnit(t *testing.T, path string, tests, failures int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    *int   `xml:"tests,attr"`
			Failures *int   `xml:"failures,attr"`
			Errors   *int   `xml:"errors,attr"`
			Cases    []struct {
				Name      string `xml:"name,attr"`
				Classname string `xml:"classname,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("junit: %v\n%s", err, b)
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("want one testsuite:\n%s", b)
	}
	s := doc.Suites[0]
	if s.Name == "" || s.Tests == nil || s.Failures == nil || s.Errors == nil {
		t.Errorf("testsuite lacks name/tests/failures/errors:\n%s", b)
	}
	failed := 0
	for _, c := range s.Cases {
		if c.Name == "" || c.Classname == "" {
			t.Errorf("testcase without name or classname:\n%s", b)
		}
		if c.Failure != nil {
			failed++
			if c.Failure.Message == "" {
				t.Errorf("failure without message")
			}
		}
	}
	if len(s.Cases) != tests || *s.Tests != tests || failed != failures || *s.Failures != failures || doc.Tests != tests || doc.Failures != failures {
		t.Errorf("counts: %d cases (attr %d), %d failures (attr %d); want %d and %d\n%s", len(s.Cases), *s.Tests, failed, *s.Failures, tests, failures, b)
	}
}

var _ = inspect.SchemaVersion

// TestCIReportPathsCheckedFirst: a report that would overwrite an input or
// cannot be written is refused before the analysis (the image here does
// not even exist), and the baseline is left as it was.
func TestCIReportPathsCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	base := filepath.Join(dir, "main.json")
	os.WriteFile(base, []byte(`{"schemaVersion": 1}`), 0o644)
	os.Symlink("main.json", "base-link.json")
	archive := filepath.Join(dir, "app.tar")
	os.WriteFile(archive, []byte("not read"), 0o644)
	os.Mkdir("layout", 0o755)
	missing := "docker-archive:" + filepath.Join(dir, "missing.tar")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{missing, "--baseline", base, "--report", "json=" + base}, "--report json=" + base + " is --baseline " + base + ": it would be overwritten"},
		{[]string{missing, "--baseline", "main.json", "--report", "json=./main.json"}, "is --baseline main.json"},
		{[]string{missing, "--baseline", "base-link.json", "--report", "markdown=main.json"}, "is --baseline base-link.json"},
		{[]string{"docker-archive:" + archive, "--report", "junit=" + archive}, "is the image docker-archive:" + archive},
		{[]string{"oci:layout:v1", "--report", "json=layout/index.json"}, "is inside the image oci:layout:v1"},
		{[]string{missing, "--config", base, "--report", "json=" + base}, "is --config " + base},
		{[]string{missing, "--report", "json=" + filepath.Join(dir, "nope", "r.json")}, "the directory " + filepath.Join(dir, "nope") + " does not exist"},
		{[]string{missing, "--report", "json=layout"}, "--report json=layout: is a directory"},
		{[]string{missing, "--report", "json=r.json", "--report", "junit=./r.json"}, "--report junit=./r.json and --report json=r.json are the same file"},
	} {
		code, out, errOut := slimpy(t, append([]string{"ci"}, c.args...)...)
		if code != exitUsage || !strings.Contains(errOut, c.want) || out != "" {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errOut, c.want)
		}
	}
	if b, _ := os.ReadFile(base); string(b) != `{"schemaVersion": 1}` {
		t.Error("the baseline was overwritten")
	}
}
