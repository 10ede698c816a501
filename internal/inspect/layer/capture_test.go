package layer

import (
	"strings"
	"testing"
)

// The filter keeps the fields the parser reads however they are written,
// and nothing else.
func TestFilterPackagesIndex(t *testing.T) {
	in := "Package: a\r\nVERSION: 1.0\r\nDescription: x\r\n continued\r\n\r\n" +
		"package: b\nDescription: " + strings.Repeat("y", 200<<10) + "\nVersion: 2.0\narchitecture: all\n\n\n\n" +
		"Package: c\nVersion: 3.0\n" // no final blank line
	got := string(filterPackagesIndex(strings.NewReader(in), 1<<20))
	want := "Package: a\nVERSION: 1.0\n\npackage: b\nVersion: 2.0\narchitecture: all\n\nPackage: c\nVersion: 3.0\n"
	if got != want {
		t.Errorf("kept\n%q\nwant\n%q", got, want)
	}
	// At the bound, whole stanzas only.
	if got := string(filterPackagesIndex(strings.NewReader(in), 40)); got != "Package: a\nVERSION: 1.0\n\n" {
		t.Errorf("bounded: %q", got)
	}
}
