package main

import "testing"

// TestUsageErrors: a command line cobra refuses is explained as cobra
// explains it (its suggestions on lines of their own, not folded onto
// one), a missing argument is named with the usage line; exit 2.
func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"inspec", "x"}, "slimpy: unknown command \"inspec\" for \"slimpy\"\n\nDid you mean this?\n\tinspect\n\nRun 'slimpy --help' for usage.\n"},
		{[]string{"inspect"}, "slimpy: missing argument IMAGE\nUsage: slimpy inspect IMAGE [flags]\nRun 'slimpy inspect --help' for usage.\n"},
		{[]string{"ci", "--max-size", "1MB"}, "slimpy: missing argument IMAGE\nUsage: slimpy ci IMAGE [flags]\nRun 'slimpy ci --help' for usage.\n"},
		{[]string{"inspect", "--formt", "json", "x"}, "slimpy: unknown flag: --formt\nUsage: slimpy inspect IMAGE [flags]\nRun 'slimpy inspect --help' for usage.\n"},
		{[]string{"suggest", "a", "b"}, "slimpy: accepts at most 1 arg(s), received 2\nUsage: slimpy suggest [IMAGE] [flags]\nRun 'slimpy suggest --help' for usage.\n"},
		{[]string{"inspec\x1b[2J"}, "slimpy: unknown command \"inspec\\x1b[2J\" for \"slimpy\"\nRun 'slimpy --help' for usage.\n"},
	} {
		code, out, errOut := slimpy(t, c.args...)
		if code != exitUsage || out != "" || errOut != c.want {
			t.Errorf("%q: exit %d, stdout %q, stderr\n%s\nwant\n%s", c.args, code, out, errOut, c.want)
		}
	}
}
