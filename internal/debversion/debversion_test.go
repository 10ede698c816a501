package debversion

import "testing"

func TestCompare(t *testing.T) {
	// Each pair is a < b. The first ones are Debian Policy §5.6.12's own
	// examples; the rest are cases dpkg --compare-versions agrees with.
	less := [][2]string{
		{"~~", "~~a"},
		{"~~a", "~"},
		{"~", ""},
		{"", "a"},
		{"1.0~rc1", "1.0"},
		{"1.0", "1.0a"},
		{"1.0a", "1.0+b1"},
		{"1.0", "1.0.1"},
		{"1.2", "1.10"},
		{"1.0-1", "1.0-2"},
		{"1.0-9", "1.0-10"},
		{"2.36-9+deb12u4", "2.36-9+deb12u7"},
		{"2.36-9", "2.36-9+deb12u1"},
		{"1.0-1~bpo12+1", "1.0-1"},
		{"9.9", "1:0.1"},
		{"1:1.0", "2:0.1"},
		{"7.88.1-10+deb12u5", "7.88.1-10+deb12u8"},
		{"3.0.11-1~deb12u2", "3.0.15-1~deb12u1"},
		{"1.2.3-1", "1.2.3a-1"},
		{"0.9", "1.0~alpha"},
		{"1.0~alpha", "1.0~beta"},
		{"2:6.2.1+dfsg1-1.1", "2:6.2.1+dfsg1-2"},
		{"12.2.0-14", "12.2.0-14+deb12u1"},
		{"252.22-1~deb12u1", "252.26-1~deb12u2"},
	}
	for _, c := range less {
		if got := Compare(c[0], c[1]); got != -1 {
			t.Errorf("compare(%q, %q) = %d, want -1", c[0], c[1], got)
		}
		if got := Compare(c[1], c[0]); got != 1 {
			t.Errorf("compare(%q, %q) = %d, want 1", c[1], c[0], got)
		}
	}
	equal := [][2]string{
		{"1.0", "1.0"},
		{"0:1.0", "1.0"},
		{"1.01", "1.1"},
		{"1.0-0", "1.0"},
		{"1:2.3-4", "1:2.3-4"},
	}
	for _, c := range equal {
		if got := Compare(c[0], c[1]); got != 0 {
			t.Errorf("compare(%q, %q) = %d, want 0", c[0], c[1], got)
		}
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]Version{
		"1:2.3-4":           {1, "2.3", "4"},
		"2.3":               {0, "2.3", ""},
		"1.2-3-4":           {0, "1.2-3", "4"},
		"2:6.2.1+dfsg1-1.1": {2, "6.2.1+dfsg1", "1.1"},
		"a:1.0":             {0, "1.0", ""},
	} {
		if got := Parse(in); got != want {
			t.Errorf("Parse(%q) = %+v, want %+v", in, got, want)
		}
	}
	if s := Parse("1:2.3-4").String(); s != "1:2.3-4" {
		t.Errorf("String() = %q", s)
	}
}
