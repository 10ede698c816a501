package gctune

import (
	"runtime/debug"
	"testing"
)

func TestTightenNestsAndRestores(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	r1 := Tighten(50)
	r2 := Tighten(50)
	if p := debug.SetGCPercent(50); p != 50 {
		t.Errorf("GOGC %d while tightened, want 50", p)
	}
	r1()
	r1() // twice is once
	if p := debug.SetGCPercent(50); p != 50 {
		t.Errorf("GOGC %d after one of two restores, want 50", p)
	}
	r2()
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("GOGC %d after both restores, want 100", p)
	}
	// A tighter setting is left alone.
	debug.SetGCPercent(20)
	r := Tighten(50)
	if p := debug.SetGCPercent(20); p != 20 {
		t.Errorf("GOGC %d, want the user's 20 kept", p)
	}
	r()
	if p := debug.SetGCPercent(100); p != 20 {
		t.Errorf("GOGC %d after restore, want 20", p)
	}
}
