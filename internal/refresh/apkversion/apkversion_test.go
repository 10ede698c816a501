package apkversion

import (
	"strings"
	"testing"
)

// TestCompare: orderings apk itself gives (apk version -t), among them
// real Alpine package versions.
func TestCompare(t *testing.T) {
	for _, line := range []string{
		// revisions, suffixes, letters
		"1.0.4-r3 < 1.0.4-r4",
		"1.2.2-r1 > 1.2.2",
		"2.1.15-r3 > 1.2.11",
		"1.1 > 1.1_alpha1",
		"1.3_alpha2 < 1.3_alpha3",
		"0.8_beta1 < 0.8_beta2",
		"1.0_p10-r0 > 1.0_p9-r0",
		"3.1_p16 < 3.1_p17",
		"1.8.5 < 1.8.5_p2",
		"0.10.0 < 0.10.1_rc1",
		"2.0.0_rc3-r1 > 1.5",
		"1.3_pre1-r1 < 1.3.2",
		"0.1.0_alpha_pre2 < 0.1.0_alpha",
		"2.5.1-r8 < 2.5.1a-r1",
		"1.7 < 1.7b",
		"0.9.8c-r1 < 0.9.8d",
		"2.3.0b-r1 < 2.3.0b-r2",
		// numbers and leading zeros
		"1.2 < 1.10",
		"1.2.1 > 1.2",
		"1.2.12.1 < 1.2.13",
		"0.01 < 0.06",
		"4.01 < 4.20",
		"1.02 < 1.03-r1",
		"1.06-r6 < 006",
		"013 < 014-r1",
		"0.9.28.1 < 087-r1",
		"7.0.17 < 7.0.174",
		"2.6.16.20060323 < 2.6.19.20061214",
		"20050718-r1 < 20050718-r2",
		"1.0 > 0.99.3.20040818",
		"1.2.3 = 1.2.3",
		"1.2.3-r0 = 1.2.3-r0",
		"99999999999999999999.1 > 99999999999999999998.2",
		// Alpine packages
		"3.1.4-r5 < 3.1.4-r6",
		"3.3.2-r0 > 3.1.7-r2",
		"1.36.1-r15 < 1.36.1-r19",
		"2.4.12-r1 < 2.4.13-r0",
		"3.11.10-r0 < 3.11.11-r0",
		"1.2.4_git20230717-r4 < 1.2.4_git20230717-r5",
		"1.2.4_git20230717-r4 > 1.2.4-r4",
		// invalid versions still order
		"1.0 < 1.0bc",
	} {
		f := strings.Fields(line)
		want := map[string]int{"<": -1, "=": 0, ">": 1}[f[1]]
		if got := Compare(f[0], f[2]); got != want {
			t.Errorf("Compare(%q, %q) = %d, want %d", f[0], f[2], got, want)
		}
		if got := Compare(f[2], f[0]); got != -want {
			t.Errorf("Compare(%q, %q) = %d, want %d", f[2], f[0], got, -want)
		}
	}
}
