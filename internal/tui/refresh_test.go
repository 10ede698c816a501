package tui

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/rules"
)

// R asks the image's package sources (Input.Refresh) off the Update loop:
// the help line says it is asking, then how many findings the answer
// made and which hosts were not reached; the findings view lists them. A
// failed question says why and R can ask again; without Input.Refresh R
// is not offered.
func TestRefreshKey(t *testing.T) {
	base := demoInput(t)
	refreshed := base.Report
	refreshed.Findings = append([]rules.Finding{{
		Rule: "SP407", Name: "refreshed-os-updates", Category: "stale-packages", Severity: rules.SeverityHigh, Layer: 1,
		Title: "2 packages have a newer version in the image's sources today, 2 from a security suite (gcc-12, libc6) — from deb.example (fetched 2026-12-05)",
		Paths: []string{}, PathBytes: []int64{},
	}}, base.Report.Findings...)
	release := make(chan struct{})
	var calls atomic.Int32
	in := *base
	in.Refresh = func() (inspect.Report, []string, error) {
		if calls.Add(1) == 1 {
			return inspect.Report{}, nil, errors.New("reading layer 0: unexpected EOF")
		}
		<-release
		return refreshed, []string{"pypi.org: no such host"}, nil
	}
	log := &screenLog{}
	tm := teatest.NewTestModel(t, probe{Model: New(Config{Image: "demo", Input: &in}), screen: log}, teatest.WithInitialTermSize(120, 30))
	waitScreen(t, log, "R ask package sources")
	tm.Send(keyp("R"))
	waitScreen(t, log, "Package sources not asked: reading layer 0: unexpected EOF")
	tm.Send(keyp("R"))
	waitScreen(t, log, "Asking the image's package sources what is newer…")
	close(release)
	waitScreen(t, log, "Package sources asked: 1 finding of what is newer today; not reached: pypi.org: no such host")
	tm.Send(keyp("4"))
	waitScreen(t, log, "SP407 refreshed-os-updates   high")
	tm.Send(keyp("1"))
	tm.Send(keyp("R")) // answered: nothing more to ask
	tm.Send(keyp("q"))
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(probe).Model
	if n := calls.Load(); n != 2 {
		t.Errorf("Refresh called %d times, want 2", n)
	}
	if final.in.Refresh != nil {
		t.Error("R is still offered after the answer")
	}

	// Without Input.Refresh, R is not offered and does nothing.
	log = &screenLog{}
	tm = teatest.NewTestModel(t, probe{Model: New(Config{Image: "demo", Input: base}), screen: log}, teatest.WithInitialTermSize(120, 30))
	waitScreen(t, log, "Summary")
	tm.Send(keyp("R"))
	tm.Send(keyp("q"))
	final = tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(probe).Model
	if final.refresh != "" || strings.Contains(plain(final), "ask package sources") {
		t.Errorf("R without Input.Refresh: %q", final.refresh)
	}
}
