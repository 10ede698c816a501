//go:build unix

package inspect

import (
	"syscall"
	"testing"
	"time"
)

// cpuSeconds is the CPU time (user+sys) the process has used so far.
func cpuSeconds(tb testing.TB) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
