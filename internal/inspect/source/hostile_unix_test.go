//go:build unix

package source

import (
	"path/filepath"
	"syscall"
	"testing"
)

// A FIFO or a device given as an image is refused before it is opened: a
// FIFO would block the open, /dev/zero would never end.
func TestHostileFIFOsAreNotImages(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "image.tar")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	trOpenErr(t, fifo, OpenOptions{}, "not an image: a named pipe")
	trOpenErr(t, "docker-archive:"+fifo, OpenOptions{}, "a named pipe, not a regular file")
	trOpenErr(t, "oci-archive:"+fifo, OpenOptions{}, "a named pipe, not a regular file")
	trOpenErr(t, "docker-archive:/dev/zero", OpenOptions{}, "a character device, not a regular file")
}
