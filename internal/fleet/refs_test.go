package fleet

import (
	"slices"
	"strings"
	"testing"
)

func TestReadReferences(t *testing.T) {
	got, err := ReadReferences(strings.NewReader("# the fleet\nregistry.example/a:1\n\n  registry.example/b@sha256:" +
		strings.Repeat("a", 64) + "  \r\n\t# team c\ndocker-archive:/tmp/c.tar\nregistry.example/a:1\n"))
	want := []string{"registry.example/a:1", "registry.example/b@sha256:" + strings.Repeat("a", 64), "docker-archive:/tmp/c.tar", "registry.example/a:1"}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("%q %v", got, err)
	}
	for what, in := range map[string]string{
		"two on a line": "a:1 b:2\n",
		"a long line":   strings.Repeat("x", 5000) + "\n",
		"too many":      strings.Repeat("r:1\n", MaxReferences+1),
	} {
		if _, err := ReadReferences(strings.NewReader(in)); err == nil {
			t.Errorf("%s: accepted", what)
		}
	}
}
