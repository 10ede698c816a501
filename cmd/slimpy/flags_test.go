package main

import (
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
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"inspect", missing, "--format", "text", "--top", "-1"}, "--top -1: give a number of rows, 1 or more"},
		{[]string{"inspect", missing, "--format", "text", "--top", "0"}, "--top 0: give a number of rows, 1 or more"},
		{[]string{"inspect", missing, "--top", "99999999999999999999"}, `invalid argument "99999999999999999999" for "--top" flag`},
		{[]string{"inspect", missing, "--top", "NaN"}, `invalid argument "NaN" for "--top" flag`},
		{[]string{"inspect", missing, "--top", "Inf"}, `invalid argument "Inf" for "--top" flag`},
		{[]string{"fix", "--dockerfile", df, "--all", "--verify", "--smoke-timeout", "-1s"}, "--smoke-timeout -1s: give a duration above zero"},
		{[]string{"fix", "--dockerfile", df, "--all", "--verify", "--smoke-timeout", "0"}, "--smoke-timeout 0s: give a duration above zero"},
		{[]string{"fix", "--dockerfile", df, "--all", "--verify", "--smoke-timeout", "9999999999h"}, `invalid argument "9999999999h" for "--smoke-timeout" flag`},
		{[]string{"fix", "--dockerfile", df, "--all", "--verify", "--smoke-timeout", "NaNs"}, `invalid argument "NaNs" for "--smoke-timeout" flag`},
	} {
		code, out, errOut := slimpy(t, c.args...)
		if code != exitUsage || !strings.HasPrefix(errOut, "slimpy: ") || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.want) || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q", c.args, code, out, errOut, c.want)
		}
	}
}
