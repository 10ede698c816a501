package arena

import (
	"strings"
	"testing"
)

func TestConcat(t *testing.T) {
	var a Arena
	if s := a.Concat("", "", ""); s != "" {
		t.Errorf("empty: %q", s)
	}
	x := a.Concat("/usr", "/", "bin")
	y := a.Concat("/etc", "", "")
	if x != "/usr/bin" || y != "/etc" {
		t.Errorf("got %q %q", x, y)
	}
	long := strings.Repeat("x", blockSize)
	if s := a.Concat(long, "y", ""); s != long+"y" {
		t.Error("a long string is not whole")
	}
	// Filling past one block keeps the earlier strings intact.
	var keep []string
	for i := 0; i < 3*blockSize/100; i++ {
		keep = append(keep, a.Concat(strings.Repeat("p", 99), "", ""))
	}
	if x != "/usr/bin" || keep[0] != strings.Repeat("p", 99) || keep[len(keep)-1] != keep[0] {
		t.Error("a string changed when the arena grew")
	}
}
