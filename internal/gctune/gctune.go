// Package gctune holds the process-wide garbage-collector choices that
// cmd/slimpy makes around an analysis: giving the walk's free memory back
// to the OS, and a tighter GOGC while the inventories, the rules and the
// report make garbage in proportion to the live heap. They belong to the
// command, not to the library: internal/inspect only calls the hooks it is
// given (inspect.Options.Memory).
package gctune

import (
	"runtime/debug"
	"sync"
)

// Release collects now and gives the free memory back to the OS: the next
// heap goal is set from what the analysis keeps, not from the walk's
// high-water mark, and the pages of the walk's garbage do not add to the
// resident set of what follows (inventories, report); ~50 ms.
func Release() { debug.FreeOSMemory() }

// Tighten50 is Tighten(50): with GOGC at 50 while the inventories, the
// report and the rules run, the heap tops out at ~1.5x what the analysis
// keeps instead of 2x, for a few more collections (~50 ms).
func Tighten50() (restore func()) { return Tighten(50) }

var tight struct {
	sync.Mutex
	n   int
	old int
}

// Tighten lowers GOGC to percent (never raises it) until the returned
// function is called; concurrent analyses share one setting.
func Tighten(percent int) (restore func()) {
	tight.Lock()
	defer tight.Unlock()
	if tight.n == 0 {
		tight.old = debug.SetGCPercent(percent)
		if tight.old >= 0 && tight.old < percent {
			debug.SetGCPercent(tight.old) // already tighter (or off): leave it
		} else if tight.old < 0 {
			debug.SetGCPercent(tight.old)
		}
	}
	tight.n++
	var once sync.Once
	return func() {
		once.Do(func() {
			tight.Lock()
			defer tight.Unlock()
			if tight.n--; tight.n == 0 {
				debug.SetGCPercent(tight.old)
			}
		})
	}
}
