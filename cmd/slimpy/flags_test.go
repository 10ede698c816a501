package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNumericFlags: every numeric flag of every command refuses a
// negative, a zero where it means nothing, an overflow, NaN and infinity
// with exit 2 and one line, before anything is read (the image here does
// not exist). inspect --top -1 panicked.
func TestNumericFlags(t *testing.T) {
	_, df := writeDockerfile(t, cliDockerfile)
	missing := "docker-archive:" + t.TempDir() + "/missing.tar"
	n := 0
	cfg := func(yaml string) string {
		n++
		p := filepath.Join(t.TempDir(), fmt.Sprintf("slimpy%d.yaml", n))
		os.WriteFile(p, []byte(yaml), 0o644)
		return p
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"inspect", missing, "--format", "text", "--top", "-1"}, "--top -1: give a number of rows, 1 or more"},
		{[]string{"inspect", missing, "--format", "text", "--top", "0"}, "--top 0: give a number of rows, 1 or more"},
		{[]string{"inspect", missing, "--top", "99999999999999999999"}, `invalid argument "99999999999999999999" for "--top" flag`},
		{[]string{"inspect", missing, "--top", "NaN"}, `invalid argument "NaN" for "--top" flag`},
		{[]string{"inspect", missing, "--top", "Inf"}, `invalid argument "Inf" for "--top" flag`},
		{[]string{"inspect", missing, "--smoke-timeout", "-1s"}, "--smoke-timeout -1s: give a duration above zero"},
		{[]string{"fix", "--dockerfile", df, "--all", "--verify", "--smoke-timeout", "-1s"}, "--smoke-timeout -1s: give a duration above zero"},
		{[]string{"fix", "--dockerfile", df, "--all", "--verify", "--smoke-timeout", "0"}, "--smoke-timeout 0s: give a duration above zero"},
		{[]string{"fix", "--dockerfile", df, "--all", "--verify", "--smoke-timeout", "9999999999h"}, `invalid argument "9999999999h" for "--smoke-timeout" flag`},
		{[]string{"fix", "--dockerfile", df, "--all", "--verify", "--smoke-timeout", "NaNs"}, `invalid argument "NaNs" for "--smoke-timeout" flag`},
		{[]string{"ci", missing, "--max-growth", "inf%"}, `--max-growth: "inf%" is not a percentage`},
		{[]string{"ci", missing, "--max-growth", "NaN%"}, `--max-growth: "NaN%" is not a percentage`},
		{[]string{"ci", missing, "--max-growth", "-5%"}, `--max-growth: "-5%" is not a percentage`},
		{[]string{"ci", missing, "--max-growth", "NaN"}, `--max-growth: "NaN" is not a size`},
		{[]string{"ci", missing, "--max-growth", "-5MB"}, `--max-growth: "-5MB" is not a size`},
		{[]string{"ci", missing, "--max-size", "-1"}, `--max-size: "-1" is not a size`},
		{[]string{"ci", missing, "--max-size", "Inf"}, `--max-size: "Inf" is not a size`},
		{[]string{"ci", missing, "--max-size", "99999999999999999999"}, `--max-size: "99999999999999999999" is not a size`},
		{[]string{"ci", missing, "--max-wasted", "1e30"}, `--max-wasted: "1e30" is not a size`},
		{[]string{"ci", missing, "--min-efficiency", "150%"}, `--min-efficiency: "150%" is not a ratio from 0 to 1`},
		{[]string{"ci", missing, "--min-efficiency", "-10%"}, `--min-efficiency: "-10%" is not a ratio`},
		{[]string{"ci", missing, "--min-efficiency", "NaN"}, `--min-efficiency: "NaN" is not a ratio`},
		{[]string{"ci", missing, "--min-efficiency", "Inf"}, `--min-efficiency: "Inf" is not a ratio`},
		{[]string{"ci", missing, "--min-efficiency", "1.5"}, `--min-efficiency: "1.5" is not a ratio`},
		{[]string{"ci", missing, "--category-growth", "caches=inf%"}, `--category-growth caches: "inf%" is not a percentage`},
		{[]string{"ci", missing, "--config", cfg("ci:\n  min-efficiency: .nan\n")}, `min-efficiency: ".nan" is not a ratio`},
		{[]string{"ci", missing, "--config", cfg("ci:\n  max-growth: inf%\n")}, `max-growth: "inf%" is not a percentage`},
		{[]string{"scan", missing, "--concurrency", "0"}, "--concurrency 0: give a number of images from 1 to 64"},
		{[]string{"scan", missing, "--concurrency", "-1"}, "--concurrency -1: give a number of images from 1 to 64"},
		{[]string{"scan", missing, "--concurrency", "65"}, "--concurrency 65: give a number of images from 1 to 64"},
		{[]string{"scan", missing, "--concurrency", "99999999999999999999"}, `invalid argument "99999999999999999999" for "--concurrency" flag`},
		{[]string{"scan", missing, "--concurrency", "NaN"}, `invalid argument "NaN" for "--concurrency" flag`},
		{[]string{"scan", missing, "--shard", "4/4"}, `--shard "4/4": want 0 <= I < N`},
		{[]string{"scan", missing, "--shard", "-1/4"}, `--shard "-1/4": want 0 <= I < N`},
		{[]string{"scan", missing, "--shard", "0/0"}, `--shard "0/0": want 0 <= I < N`},
		{[]string{"scan", missing, "--shard", "1/99999999999999999999"}, `--shard "1/99999999999999999999": want I/N`},
		{[]string{"scan", missing, "--shard", "NaN/4"}, `--shard "NaN/4": want I/N`},
		{[]string{"scan", missing, "--shard", "0.5/4"}, `--shard "0.5/4": want I/N`},
		{[]string{"scan", missing, "--shard", "3"}, `--shard "3": want I/N`},
		{[]string{"scan", missing, "--shard", "auto/0"}, `--shard "auto/0": want auto/N, N 1 or more`},
		{[]string{"scan", missing, "--shard", "auto/Inf"}, `--shard "auto/Inf": want auto/N, N 1 or more`},
	} {
		code, out, errOut := slimpy(t, c.args...)
		if code != exitUsage || !strings.HasPrefix(errOut, "slimpy: ") || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.want) || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q", c.args, code, out, errOut, c.want)
		}
	}
}

// TestRefreshFlags: the refresh's flags need --refresh, take http(s) URLs
// and a positive TTL, and --refresh makes findings, so not with
// --no-rules; each mistake is one line and exit 2, before any image is
// read. --offline with an empty cache asks nothing and still reports.
func TestRefreshFlags(t *testing.T) {
	demo := "docker-archive:" + fixturePath(t, "demo.tar")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--offline"}, "--offline goes with --refresh"},
		{[]string{"--apt-mirror", "http://m.example"}, "--apt-mirror goes with --refresh"},
		{[]string{"--refresh", "--apt-mirror", "ftp://m.example"}, `--apt-mirror "ftp://m.example": give an http or https URL`},
		{[]string{"--refresh", "--python-index", "pypi"}, `--python-index "pypi": give an http or https URL`},
		{[]string{"--refresh", "--refresh-ttl", "-1h"}, "--refresh-ttl -1h0m0s: give a positive duration"},
		{[]string{"--refresh", "--no-rules"}, "--refresh makes findings: it cannot go with --no-rules"},
	} {
		code, _, stderr := slimpy(t, append([]string{"inspect", "--format", "json", demo}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
	code, stdout, stderr := slimpy(t, "inspect", "--format", "json", "--refresh", "--offline", "--cache-dir", t.TempDir(), demo)
	if code != 0 || !strings.Contains(stdout, `"findings"`) {
		t.Errorf("--refresh --offline: exit %d\n%s", code, stderr)
	}
}
