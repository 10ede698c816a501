package rules_test

import (
	"archive/tar"
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/inventory"
	"github.com/slimpy/slimpy/internal/inspect/rules"
	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

var testNow = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

func runFull(t *testing.T, cfg inspect.Config) (*inspect.Analysis, sizes, []rules.Finding) {
	t.Helper()
	icfg, created, layers := fullImage()
	a := analyzeLayers(t, icfg, created, layers...)
	cfg.Now = testNow
	return a, sizesOf(layers...), inspect.RunRules(a, cfg)
}

// want is what one rule must report on the full image: its bytes (from the
// test files' sizes), the layer, and paths that must and must not appear.
type want struct {
	bytes   int64
	layer   int
	has     []string
	hasNot  []string
	files   int
	pkgs    []string
	titleIn string
}

func checkRule(t *testing.T, got map[string][]rules.Finding, rule string, w want) {
	t.Helper()
	fs := got[rule]
	var f *rules.Finding
	for i := range fs {
		if fs[i].Layer == w.layer {
			f = &fs[i]
		}
	}
	if f == nil {
		t.Errorf("%s: no finding for layer %d (got %d findings: %+v)", rule, w.layer, len(fs), fs)
		return
	}
	if f.Bytes != w.bytes {
		t.Errorf("%s layer %d: %d bytes, want %d (paths %v)", rule, w.layer, f.Bytes, w.bytes, f.Paths)
	}
	if w.files != 0 && f.Files != w.files {
		t.Errorf("%s layer %d: %d files, want %d", rule, w.layer, f.Files, w.files)
	}
	for _, p := range w.has {
		if !containsPath(f.Paths, p) {
			t.Errorf("%s: paths %v lack %s", rule, f.Paths, p)
		}
	}
	for _, p := range w.hasNot {
		for _, q := range allPaths(fs) {
			if q == p || strings.HasPrefix(q, p+"/") {
				t.Errorf("%s flags %s (via %s): it must not", rule, p, q)
			}
		}
	}
	var names []string
	for _, pk := range f.Packages {
		names = append(names, pk.Name)
	}
	sort.Strings(names)
	if w.pkgs != nil && strings.Join(names, ",") != strings.Join(w.pkgs, ",") {
		t.Errorf("%s: packages %v, want %v", rule, names, w.pkgs)
	}
	if w.titleIn != "" && !strings.Contains(f.Title, w.titleIn) {
		t.Errorf("%s: title %q lacks %q", rule, f.Title, w.titleIn)
	}
	if len(f.Paths) != len(f.PathBytes) {
		t.Errorf("%s: %d paths but %d pathBytes", rule, len(f.Paths), len(f.PathBytes))
	}
}

func TestRulesOnFullImage(t *testing.T) {
	a, s, fs := runFull(t, inspect.DefaultConfig())
	got := byRule(fs)
	L := "/" + testLib
	S := "/" + testSite

	t.Run("python-tests", func(t *testing.T) {
		checkRule(t, got, "SP101", want{layer: 2,
			bytes: s.of(L+"/test/__init__.py", L+"/test/test_os.py", L+"/test/__pycache__/test_os.cpython-311.pyc",
				L+"/idlelib/idle_test/test_config.py", L+"/unittest/test/test_case.py"),
			has:    []string{L + "/test", L + "/idlelib/idle_test", L + "/unittest/test"},
			hasNot: []string{L + "/unittest/case.py", L + "/unittest/__init__.py"},
		})
		checkRule(t, got, "SP102", want{layer: 3,
			bytes: s.of(S+"/numpy/core/tests/test_multiarray.py", S+"/numpy/core/tests/__pycache__/test_multiarray.cpython-311.pyc",
				S+"/numpy/testing/tests/test_utils.py"),
			has:    []string{S + "/numpy/core/tests", S + "/numpy/testing/tests"},
			hasNot: []string{S + "/numpy/testing/__init__.py", S + "/numpy/testing/_private", S + "/django/test", S + "/_pytest", S + "/pytest"},
			pkgs:   []string{"numpy"},
		})
		checkRule(t, got, "SP103", want{layer: 4, bytes: s.of("/app/tests/conftest.py", "/app/tests/test_app.py"), has: []string{"/app/tests"}})
	})

	t.Run("bytecode", func(t *testing.T) {
		checkRule(t, got, "SP111", want{layer: 2, bytes: s.of(L+"/__pycache__/os.cpython-311.opt-1.pyc", L+"/__pycache__/os.cpython-311.opt-2.pyc"), files: 2})
		// gone.py does not exist; old.py's bytecode is for 3.9 only; a
		// sourceless module (sourceless.pyc beside where the .py would be)
		// is loadable and stays.
		checkRule(t, got, "SP112", want{layer: 2, bytes: s.of(L+"/__pycache__/gone.cpython-311.pyc", L+"/__pycache__/old.cpython-39.pyc"),
			hasNot: []string{L + "/sourceless.pyc", L + "/__pycache__/os.cpython-311.pyc"}})
	})

	t.Run("compilers", func(t *testing.T) {
		checkRule(t, got, "SP201", want{layer: 1,
			bytes: s.of("/usr/bin/x86_64-linux-gnu-gcc-12", "/usr/lib/gcc/x86_64-linux-gnu/12/collect2", "/usr/lib/gcc/x86_64-linux-gnu/12/cc1",
				"/usr/lib/gcc/x86_64-linux-gnu/12/libgcc.a", "/usr/bin/x86_64-linux-gnu-ld.bfd", "/usr/lib/x86_64-linux-gnu/libisl.so.23.2.0",
				"/usr/lib/x86_64-linux-gnu/libmpc.so.3.3.1", "/usr/lib/x86_64-linux-gnu/libmpfr.so.6.2.0"),
			pkgs: []string{"binutils", "cpp-12", "gcc-12", "libgcc-12-dev", "libisl23", "libmpc3", "libmpfr6"},
		})
		if f := got["SP201"][0]; f.CreatedBy != "RUN apt-get update && apt-get install -y gcc-12 libc6-dev" {
			t.Errorf("SP201 createdBy %q", f.CreatedBy)
		}
		if len(got["SP202"]) != 0 {
			t.Errorf("SP202 flags %v: every compiler here is packaged", allPaths(got["SP202"]))
		}
	})

	t.Run("headers", func(t *testing.T) {
		checkRule(t, got, "SP211", want{layer: 1, bytes: s.of("/usr/include/stdio.h"), has: []string{"/usr/include"}})
		checkRule(t, got, "SP211", want{layer: 2, bytes: s.of("/usr/local/include/python3.11/Python.h"), has: []string{"/usr/local/include"}})
		checkRule(t, got, "SP211", want{layer: 3, bytes: s.of(S + "/numpy/core/include/numpy/ndarrayobject.h")})
		checkRule(t, got, "SP212", want{layer: 2, bytes: s.of(L + "/config-3.11-x86_64-linux-gnu/libpython3.11.a")})
		checkRule(t, got, "SP212", want{layer: 1, bytes: s.of("/usr/lib/x86_64-linux-gnu/libc.a", "/usr/lib/gcc/x86_64-linux-gnu/12/libgcc.a")})
		// libgcc-12-dev is part of the toolchain (SP201), not listed again.
		checkRule(t, got, "SP213", want{layer: 1, bytes: s.of("/usr/include/stdio.h", "/usr/lib/x86_64-linux-gnu/libc.a"), pkgs: []string{"libc6-dev"}})
	})

	t.Run("caches", func(t *testing.T) {
		checkRule(t, got, "SP301", want{layer: 3, bytes: s.of("/root/.cache/pip/http-v2/a/b/c/body", "/root/.cache/pip/wheels/ab/numpy-1.26.3-cp311-cp311-linux_x86_64.whl"), has: []string{"/root/.cache/pip"}})
		checkRule(t, got, "SP301", want{layer: 4, bytes: s.of("/home/app/.cache/pip/selfcheck.json")})
		checkRule(t, got, "SP303", want{layer: 1, bytes: s.of("/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4", "/var/lib/apt/lists/lock"), files: 2})
		// The .deb was deleted in layer 5: only pkgcache.bin is visible.
		checkRule(t, got, "SP304", want{layer: 1, bytes: s.of("/var/cache/apt/pkgcache.bin")})
		checkRule(t, got, "SP305", want{layer: 3, bytes: s.of("/tmp/numpy-1.26.3-cp311-cp311-linux_x86_64.whl", "/tmp/mylib-1.0.tar.gz"),
			hasNot: []string{L + "/ensurepip", "/usr/share/misc/data-2.0.tar.gz", "/root/.cache"}})
		checkRule(t, got, "SP311", want{layer: 2, bytes: s.of(S+"/pip/__init__.py", S+"/pip/_internal/main.py", S+"/pip-23.2.1.dist-info/METADATA",
			S+"/pip-23.2.1.dist-info/INSTALLER", S+"/pip-23.2.1.dist-info/RECORD"), pkgs: []string{"pip"}})
	})

	t.Run("stale-packages", func(t *testing.T) {
		f := got["SP401"]
		if len(f) != 1 || f[0].Severity != rules.SeverityMedium || !strings.Contains(f[0].Title, "Debian 12 (bookworm)") || f[0].Layer != 0 {
			t.Errorf("SP401 %+v, want Debian 12 out of regular support (medium, layer 0)", f)
		}
		if len(got["SP402"]) != 0 {
			t.Errorf("SP402 %+v: Python 3.11 is supported until 2027-10-31", got["SP402"])
		}
		up := got["SP403"]
		if len(up) != 1 || up[0].Layer != 0 {
			t.Fatalf("SP403 %+v", up)
		}
		var names []string
		for _, p := range up[0].Packages {
			names = append(names, p.Name+" "+p.Version+" -> "+p.Available)
		}
		if strings.Join(names, "; ") != "base-files 12.4 -> 12.4+deb12u1~pre1; dash 0.5.12-2 -> 0.5.12-2+deb12u1" {
			t.Errorf("SP403 upgradable %v", names)
		}
		v := got["SP404"]
		if len(v) != 1 || !strings.Contains(v[0].Title, "CVE-2023-5752") || !strings.Contains(v[0].Title, "CVE-2025-8869") {
			t.Errorf("SP404 %+v", v)
		}
		if st := got["SP406"]; len(st) != 1 || !strings.Contains(st[0].Title, "180 days") {
			t.Errorf("SP406 %+v", st)
		}
	})

	t.Run("duplicates", func(t *testing.T) {
		// The two logos are duplicates; the 100-byte pair is below 4 KiB.
		checkRule(t, got, "SP501", want{layer: 4, bytes: 5000, files: 1, hasNot: []string{"/app/small"}})
		checkRule(t, got, "SP502", want{layer: 5, bytes: s.of("/var/cache/apt/archives/gcc-12_12.2.0-14_amd64.deb"), titleIn: "deleted"})
		checkRule(t, got, "SP503", want{layer: 5, bytes: s.of("/app/app.py"), has: []string{"/app/app.py"}, titleIn: "owner"})
		// The chown's hidden copy is SP503's, never SP502's too.
		for _, f := range got["SP502"] {
			if containsPath(f.Paths, "/app/app.py") {
				t.Errorf("SP502 counts the metadata-only rewrite of /app/app.py")
			}
		}
	})

	t.Run("security", func(t *testing.T) {
		if f := got["SP601"]; len(f) != 1 || f[0].Layer != -1 {
			t.Errorf("SP601 %+v", f)
		}
		checkRule(t, got, "SP602", want{layer: 4, bytes: s.of("/app/.env", "/app/deploy/id_rsa"), hasNot: []string{"/app/.env.example"}})
		checkRule(t, got, "SP603", want{layer: 4, bytes: s.of("/app/.git/config", "/app/.git/objects/pack/pack-1.pack"), has: []string{"/app/.git"}})
	})

	t.Run("docs", func(t *testing.T) {
		checkRule(t, got, "SP701", want{layer: 0, bytes: s.of("/usr/share/doc/base-files/copyright", "/usr/share/man/man1/dash.1.gz")})
		checkRule(t, got, "SP702", want{layer: 0, bytes: s.of("/usr/share/locale/de/LC_MESSAGES/libc.mo"), hasNot: []string{"/usr/share/locale/locale.alias"}})
	})

	t.Run("summary", func(t *testing.T) {
		sum, cats := summarize(a, fs)
		// Union of units by hand: every finding's bytes minus what two
		// rules share. Shared here: libgcc.a (SP201, SP212), libc.a and
		// stdio.h (SP212/SP211 and SP213).
		var total int64
		for _, f := range fs {
			total += f.Bytes
		}
		shared := s.of("/usr/lib/gcc/x86_64-linux-gnu/12/libgcc.a", "/usr/lib/x86_64-linux-gnu/libc.a", "/usr/include/stdio.h")
		if sum.RecoverableBytes != total-shared {
			t.Errorf("recoverable %d, want %d (sum of findings %d minus shared %d)", sum.RecoverableBytes, total-shared, total, shared)
		}
		tot := a.Totals()
		if sum.StoredSize != tot.StoredSize || sum.SlimmedSize != tot.StoredSize-sum.RecoverableBytes {
			t.Errorf("summary sizes %+v vs totals %+v", sum, tot)
		}
		if sum.Score != int(100*float64(sum.SlimmedSize)/float64(sum.StoredSize)) {
			t.Errorf("score %d for efficiency %f", sum.Score, sum.Efficiency)
		}
		// headers: stdio.h and libc.a are in SP211/SP212 and SP213: once.
		wantHeaders := sumBytes(got["SP211"]) + sumBytes(got["SP212"])
		if cats["headers"] != wantHeaders {
			t.Errorf("headers category %d, want %d", cats["headers"], wantHeaders)
		}
		if cats["stale-packages"] != 0 || cats["security"] != sumBytes(got["SP602"])+sumBytes(got["SP603"]) {
			t.Errorf("categories %v", cats)
		}
	})

	t.Run("sorted", func(t *testing.T) {
		for i := 1; i < len(fs); i++ {
			if fs[i].Bytes > fs[i-1].Bytes {
				t.Errorf("findings not sorted by bytes: %s %d after %s %d", fs[i].Rule, fs[i].Bytes, fs[i-1].Rule, fs[i-1].Bytes)
			}
		}
	})

	t.Run("json", func(t *testing.T) {
		r := a.ReportWithFindings(inspect.Config{Config: rules.Config{Now: testNow, DuplicatesMinSize: 4096, StaleImageDays: 90}})
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back map[string]any
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		f0 := back["findings"].([]any)[0].(map[string]any)
		for _, k := range []string{"rule", "category", "severity", "title", "bytes", "files", "paths", "layer", "createdBy", "fix"} {
			if _, ok := f0[k]; !ok {
				t.Errorf("finding JSON lacks %q: %v", k, f0)
			}
		}
		if back["summary"].(map[string]any)["recoverableBytes"].(float64) <= 0 {
			t.Errorf("summary %v", back["summary"])
		}
		if _, ok := back["categories"].(map[string]any)["compilers"]; !ok {
			t.Errorf("categories %v", back["categories"])
		}
		plain, _ := json.Marshal(a.Report())
		if !strings.Contains(string(plain), `"findings":null`) {
			t.Errorf("Report() without rules should say findings: null")
		}
	})
}

// slimImage is python:3.11-slim-like: no compilers, no tests, no caches, a
// non-root user; numpy with its numpy.testing API (and no tests).
func slimImage() (v1.Config, time.Time, []ruleLayer) {
	base := ruleLayer{createdBy: "/bin/sh -c #(nop) ADD file:0123 in / ", entries: append([]tartest.Entry{
		sized("etc/debian_version", 5),
		tartest.File("etc/os-release", debian12),
		exe(sized("usr/bin/dash", 9000)),
		sized("usr/lib/x86_64-linux-gnu/libc.so.6", 20000),
		sized("usr/lib/os-release", 10),
		sized("usr/share/locale/locale.alias", 2000),
		sized("usr/share/doc/base-files/copyright", 3000),
	}, dpkgDB(basePkgs...)...)}
	python := ruleLayer{createdBy: "/bin/sh -c make install && find /usr/local -depth -type d -name test -exec rm -rf {} +", entries: []tartest.Entry{
		exe(sized("usr/local/bin/python3.11", 16000)),
		sized(testLib+"/os.py", 3000),
		sized(testLib+"/__pycache__/os.cpython-311.pyc", 1500),
		sized(testLib+"/unittest/__init__.py", 800),
		sized(testLib+"/unittest/case.py", 4000),
		sized(testLib+"/unittest/__pycache__/case.cpython-311.pyc", 2000),
		sized(testLib+"/ensurepip/_bundled/pip-24.0-py3-none-any.whl", 2100),
	}}
	pip := ruleLayer{createdBy: "/bin/sh -c pip install --no-cache-dir numpy pytest", entries: concat(
		[]tartest.Entry{
			sized(testSite+"/numpy/__init__.py", 4000),
			sized(testSite+"/numpy/testing/__init__.py", 600),
			sized(testSite+"/numpy/testing/_private/utils.py", 5000),
			sized(testSite+"/numpy/testing/__pycache__/__init__.cpython-311.pyc", 700),
			sized(testSite+"/pandas/_testing/__init__.py", 900),
			sized(testSite+"/_pytest/python.py", 2000),
			sized(testSite+"/_pytest/unittest.py", 1000),
			sized(testSite+"/pytest/__init__.py", 200),
		},
		distInfo(testSite, "numpy", "1.26.3", "numpy/__init__.py", "numpy/testing/__init__.py", "numpy/testing/_private/utils.py"),
		[]tartest.Entry{
			sized("app/app.py", 2400),
			sized("app/testing_utils.py", 300),
		},
	)}
	cfg := v1.Config{User: "app", WorkingDir: "/app"}
	return cfg, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), []ruleLayer{base, python, pip}
}

func TestRulesSlimImageNegatives(t *testing.T) {
	icfg, created, layers := slimImage()
	a := analyzeLayers(t, icfg, created, layers...)
	fs := inspect.RunRules(a, inspect.Config{Config: rules.Config{Now: testNow, DuplicatesMinSize: 4096, StaleImageDays: 90}})
	for _, f := range fs {
		switch f.Category {
		case "python-tests", "compilers", "caches", "headers", "bytecode", "security", "duplicates":
			t.Errorf("slim image: unexpected %s %s: %s %v", f.Rule, f.Category, f.Title, f.Paths)
		}
		for _, p := range f.Paths {
			if strings.Contains(p, "numpy/testing") || strings.Contains(p, "_pytest") || strings.Contains(p, "pandas/_testing") || strings.Contains(p, "/unittest") {
				t.Errorf("%s flags importable API %s", f.Rule, p)
			}
		}
	}
	got := byRule(fs)
	if len(got["SP406"]) != 0 {
		t.Errorf("a 27-day-old image is not stale: %+v", got["SP406"])
	}
}

func TestToolchainPrivateLibsNeededElsewhere(t *testing.T) {
	// gawk needs libmpfr6: it stays; libisl23 and libmpc3 go with gcc.
	pkgs := append(append([]dpkgPkg{}, basePkgs...), gccPkgs...)
	pkgs = append(pkgs, dpkgPkg{name: "gawk", version: "1:5.2.1-2", depends: "libc6, libmpfr6 (>= 3.1.3)", files: []string{"/usr/bin/gawk"}})
	entries := append(gccFiles(),
		exe(sized("usr/bin/gawk", 700)),
		exe(sized("usr/bin/dash", 9000)),
		// a compiler built from source: no package owns it
		exe(sized("usr/local/bin/gcc", 4200)),
		sized("usr/local/go/bin/go", 3300),
		sized("usr/local/go/src/fmt/print.go", 1200),
	)
	a := analyzeLayers(t, v1.Config{}, time.Time{}, ruleLayer{createdBy: "RUN x", entries: append(entries, dpkgDB(pkgs...)...)})
	got := byRule(inspect.RunRules(a, inspect.Config{Config: rules.Config{Now: testNow}}))
	var names []string
	for _, p := range got["SP201"][0].Packages {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "binutils,cpp-12,gcc-12,libgcc-12-dev,libisl23,libmpc3" {
		t.Errorf("toolchain packages %v: libmpfr6 is needed by gawk and must stay", names)
	}
	if b := sumBytes(got["SP202"]); b != 4200+3300+1200 {
		t.Errorf("SP202 %d bytes %v, want the unpackaged gcc and the Go tree", b, allPaths(got["SP202"]))
	}
}

func TestRulesHardlinksCountOnlyWhenAllLinksGo(t *testing.T) {
	// /opt/conda/pkgs/x/lib.so is hardlinked into the environment: removing
	// the package cache frees nothing of it; the cache-only file counts.
	a := analyzeLayers(t, v1.Config{}, time.Time{}, ruleLayer{createdBy: "RUN conda install x", entries: []tartest.Entry{
		tartest.Dir("opt/conda/conda-meta"),
		sized("opt/conda/pkgs/x/lib/libx.so", 6000),
		{Name: "opt/conda/lib/libx.so", Type: tar.TypeLink, Link: "opt/conda/pkgs/x/lib/libx.so"},
		sized("opt/conda/pkgs/x-1.0.conda", 2500),
	}})
	got := byRule(inspect.RunRules(a, inspect.Config{Config: rules.Config{Now: testNow}}))
	if b := sumBytes(got["SP302"]); b != 2500 {
		t.Errorf("conda pkgs: %d bytes, want 2500 (the hardlinked library stays in use)", b)
	}
}

func TestRulesConfigDisableAndIgnore(t *testing.T) {
	cfg, err := inspect.ParseConfig([]byte(`
rules:
  disable: [SP101, docs, package-tests]
  severity: {SP601: high}
  duplicates-min-size: 64
ignore:
  - /root/.cache/pip/wheels
  - "*.pack"
ci:
  max-size: 300MB
`))
	if err != nil {
		t.Fatal(err)
	}
	_, s, fs := runFull(t, cfg)
	got := byRule(fs)
	for _, id := range []string{"SP101", "SP102", "SP701", "SP702"} {
		if len(got[id]) != 0 {
			t.Errorf("%s disabled but reported", id)
		}
	}
	if b := sumBytes(got["SP301"]); b != s.of("/root/.cache/pip/http-v2/a/b/c/body", "/home/app/.cache/pip/selfcheck.json") {
		t.Errorf("SP301 %d bytes with the wheels dir ignored", b)
	}
	if b := sumBytes(got["SP603"]); b != s.of("/app/.git/config") {
		t.Errorf("SP603 %d bytes with *.pack ignored", b)
	}
	if got["SP601"][0].Severity != rules.SeverityHigh {
		t.Errorf("severity override not applied")
	}
	// 64-byte minimum: the 100-byte pair is now a duplicate too.
	if b := sumBytes(got["SP501"]); b != 5100 {
		t.Errorf("SP501 %d bytes, want 5100", b)
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, bad := range []string{
		"rule: {}\n",
		"rules: {disable: [SP999]}\n",
		"rules: {typo: 1}\n",
		"rules: {severity: {SP101: urgent}}\n",
		"rules: {duplicates-min-size: lots}\n",
		"ignore: ['[abc']\n",
		"rules: {stale-image-days: -1}\n",
	} {
		if _, err := inspect.ParseConfig([]byte(bad)); err == nil {
			t.Errorf("%q parsed without error", bad)
		}
	}
	cfg, err := inspect.ParseConfig(nil)
	if err != nil || cfg.DuplicatesMinSize != 4096 || cfg.StaleImageDays != 90 {
		t.Errorf("empty config: %+v %v", cfg, err)
	}
	cfg, err = inspect.ParseConfig([]byte("rules: {duplicates-min-size: 1MiB, stale-image-days: 30}\nci: {anything: [goes]}\n"))
	if err != nil || cfg.DuplicatesMinSize != 1<<20 || cfg.StaleImageDays != 30 {
		t.Errorf("config %+v %v", cfg, err)
	}
}

// The registry: and cache: sections set how images are read.
func TestParseConfigSources(t *testing.T) {
	cfg, err := inspect.ParseConfig([]byte("registry:\n  connect-timeout: 5s\n  response-header-timeout: 2m\n  idle-timeout: 90s\n  max-retry-after: 10m\ncache:\n  max-size: 500MiB\n"))
	want := inspect.SourceSettings{
		Registry:      source.RegistryOptions{ConnectTimeout: 5 * time.Second, ResponseHeaderTimeout: 2 * time.Minute, IdleTimeout: 90 * time.Second, MaxRetryAfter: 10 * time.Minute},
		CacheMaxBytes: 500 << 20,
	}
	if err != nil || cfg.Sources != want {
		t.Errorf("sources %+v %v", cfg.Sources, err)
	}
	if cfg, _ := inspect.ParseConfig([]byte("cache: {max-size: 0}\n")); cfg.Sources.CacheMaxBytes >= 0 {
		t.Errorf("max-size 0 is %d, want no bound", cfg.Sources.CacheMaxBytes)
	}
	if cfg, _ := inspect.ParseConfig(nil); cfg.Sources != (inspect.SourceSettings{}) {
		t.Errorf("defaults %+v", cfg.Sources)
	}
	for _, bad := range []string{"registry: {idle-timeout: 0s}\n", "registry: {connect-timeout: soon}\n", "registry: {timeout: 1s}\n", "cache: {max-size: huge}\n", "cache: {size: 1GiB}\n"} {
		if _, err := inspect.ParseConfig([]byte(bad)); err == nil {
			t.Errorf("%q parsed without error", bad)
		}
	}
}

func TestCompareReleases(t *testing.T) {
	for _, c := range [][2]string{{"23.2.1", "23.3"}, {"0.38.0", "0.38.1"}, {"65.5.0", "65.5.1"}, {"24.0rc1", "24.0"}, {"9.0", "10.0"}, {"69.5.1", "70.0.0"},
		{"2.0", "1!1.0"}, {"1!2.0", "2!0.1"}, {"2", "18446744073709551617"}, {"3.9", "3.11.!"}} {
		if inventory.CompareReleases(c[0], c[1]) >= 0 || inventory.CompareReleases(c[1], c[0]) <= 0 {
			t.Errorf("%s should be older than %s", c[0], c[1])
		}
	}
	if inventory.CompareReleases("70.0.0", "70.0") != 0 || inventory.CompareReleases("0!2.0", "2.0") != 0 || inventory.CompareReleases("1.010", "1.10") != 0 {
		t.Errorf("equal releases differ")
	}
}
