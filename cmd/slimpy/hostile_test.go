//go:build unix

package main

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestCIVerdictBeforeReports: a report that fails to be written (a pipe
// nobody reads: an error at once, not a hang) comes after the verdict,
// which is printed, and no temporary file is named.
func TestCIVerdictBeforeReports(t *testing.T) {
	_, bloated := ciImages(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := slimpy(t, "ci", bloated, "--insecure", "--no-cache", "--max-size", "500kB", "--report", "json="+filepath.Join(dir, "r.json"), "--report", "markdown="+fifo)
	if code != exitUsage || !strings.Contains(out, "slimpy ci: FAIL") || !strings.Contains(errOut, "--report markdown") || strings.Contains(errOut, "slimpy-") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}
