package source

import (
	"strings"
	"testing"
)

// A bare NAME:TAG the engine does not have and no registry serves: the
// missing local image is said first, then why the registry failed (a
// refused connection here; a DNS error on a machine without network),
// on one line.
func TestOpenBareSaysTheMissingLocalImageFirst(t *testing.T) {
	trRequireDocker(t)
	ref := "127.0.0.1:1/slimpy-test/absent:1"
	err := trOpenErr(t, ref, OpenOptions{})
	want := ref + ": the Docker engine has no image " + ref + "; the registry: cannot reach the registry 127.0.0.1:1"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %q, want it to start with %q", err, want)
	}
}
