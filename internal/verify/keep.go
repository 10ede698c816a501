package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Plan is what Keep verifies: the accepted suggestions and how to put any
// subset of them on the original Dockerfile.
type Plan struct {
	// IDs in priority order: when two fail together, the earlier is kept.
	IDs []string
	// Compose is the Dockerfile (and new files) of a subset, given in
	// IDs' order; Compose(nil) is the original.
	Compose func(ids []string) (Candidate, error)
}

// Trial is one set of suggestions built and run on the original.
type Trial struct {
	IDs     []string `json:"ids"`
	Outcome Outcome  `json:"outcome"`
}

// Drop is an accepted suggestion the written set leaves out.
type Drop struct {
	ID string `json:"id"`
	// With are the suggestions it fails together with (none: it fails
	// alone, or it was not tried).
	With []string `json:"with,omitempty"`
	// Untried: the build limit was reached (or the run stopped) before
	// it was tried.
	Untried bool `json:"untried,omitempty"`
	// Failure says how the set that proved it failed (its build or its
	// smoke run), or why it was not tried.
	Failure string `json:"failure,omitempty"`
	// Tail are the last lines of the failing step's output (the build's
	// or the smoke run's), as the engine wrote them: sanitize before
	// showing (textsafe).
	Tail []string `json:"tail,omitempty"`
}

// Reason says in one line why the suggestion was dropped.
func (d Drop) Reason() string {
	switch {
	case d.Untried:
		return "not tried: " + d.Failure
	case len(d.With) == 0:
		return "fails alone: " + d.Failure
	}
	return "fails together with " + strings.Join(d.With, ", ") + ": " + d.Failure
}

// DefaultMaxBuilds bounds the builds of a Keep with n accepted suggestions,
// the original's included: the original, all together, each alone, and
// room to bisect a conflict among those that pass alone.
func DefaultMaxBuilds(n int) int { return 2*n + 2 }

// Keep builds and runs every accepted suggestion together on the original
// (before: the original's Outcome, from Run); when that fails, it finds the
// largest set that builds and runs and reports the others as dropped:
//
//  1. each suggestion alone: those that fail are dropped;
//  2. those that pass alone, together;
//  3. if that fails, a bisection over them in priority order: the longest
//     passing prefix is kept, the suggestion after it is dropped (it fails
//     together with the prefix), and the rest is tried on top.
//
// Sets that make the same Dockerfile are built once. Every set kept was
// built and run as it is written. Only the original (measured by Run) and
// After are inspected. The builds, the original's included,
// stop at Options.MaxBuilds (default DefaultMaxBuilds); what is left
// untried then is dropped and said to be. When the original's own smoke
// run fails, no search is made: every set would inherit the failure.
func (v *Verifier) Keep(ctx context.Context, before Outcome, p Plan) *Report {
	s := &search{v: v, plan: p, ctx: ctx, r: &Report{Run: v.run, Before: before}, seen: map[string]*Outcome{}}
	s.r.MaxBuilds = v.opts.MaxBuilds
	if s.r.MaxBuilds <= 0 {
		s.r.MaxBuilds = DefaultMaxBuilds(len(p.IDs))
	}
	if orig, err := p.Compose(nil); err == nil {
		s.original = candidateKey(orig)
		s.seen[s.original] = &s.r.Before
	}
	s.run()
	// Only the set written (or, when none passes, all of them) is
	// measured: inspecting every image tried would cost as much again.
	v.measureOutcome(ctx, &s.r.After)
	s.r.Builds = v.buildCount()
	v.mu.Lock()
	s.r.Images = slices.Compact(slices.Sorted(slices.Values(v.images)))
	v.mu.Unlock()
	return s.r
}

type search struct {
	v        *Verifier
	plan     Plan
	ctx      context.Context
	r        *Report
	seen     map[string]*Outcome // by candidateKey
	original string
}

func (s *search) run() {
	all := s.plan.IDs
	full, tried := s.try(all)
	if !tried {
		s.r.After = Outcome{Name: strings.Join(all, "+"), Build: BuildResult{Error: "not built: " + s.stopped()}}
		s.dropUntried(all)
		return
	}
	s.r.After = *full
	if full.OK() {
		s.keep(all, full)
		return
	}
	if len(all) == 1 {
		s.drop(Drop{ID: all[0], Failure: outcomeFailure(full), Tail: outcomeTail(full)})
		return
	}
	if !s.r.Before.OK() || s.ctx.Err() != nil {
		return // the app fails in the original too, or the run was stopped
	}
	var pass []string
	for _, id := range all {
		o, tried := s.try([]string{id})
		switch {
		case !tried:
			s.dropUntried([]string{id})
		case o.OK():
			pass = append(pass, id)
		default:
			s.drop(Drop{ID: id, Failure: outcomeFailure(o), Tail: outcomeTail(o)})
		}
	}
	if len(pass) == 0 {
		return
	}
	good, rest := pass[:1], pass[1:]
	goodOutcome, _ := s.try(good)
	for len(rest) > 0 {
		o, tried := s.try(join(good, rest))
		if !tried {
			s.dropUntried(rest)
			break
		}
		if o.OK() {
			good, goodOutcome, rest = join(good, rest), o, nil
			break
		}
		// The longest passing prefix: good+rest[:lo] passes, good+rest[:hi]
		// fails.
		lo, hi, failing := 0, len(rest), o
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			o, tried := s.try(join(good, rest[:mid]))
			if !tried {
				break
			}
			if o.OK() {
				lo, goodOutcome = mid, o
			} else {
				hi, failing = mid, o
			}
		}
		if hi-lo > 1 { // stopped by the build limit
			good = join(good, rest[:lo])
			s.dropUntried(rest[lo:])
			break
		}
		with := join(good, rest[:lo])
		s.drop(Drop{ID: rest[lo], With: with, Failure: outcomeFailure(failing), Tail: outcomeTail(failing)})
		good, rest = with, rest[hi:]
	}
	s.keep(good, goodOutcome)
}

// keep makes ids, whose build is o, the written set, unless it is the
// original itself.
func (s *search) keep(ids []string, o *Outcome) {
	if c, err := s.plan.Compose(ids); err == nil && candidateKey(c) == s.original {
		return
	}
	s.r.After, s.r.Kept = *o, slices.Clone(ids)
}

func (s *search) stopped() string {
	if err := s.ctx.Err(); err != nil {
		return err.Error()
	}
	return fmt.Sprintf("the limit of %d builds was reached", s.r.MaxBuilds)
}

func (s *search) drop(d Drop) { s.r.Dropped = append(s.r.Dropped, d) }

func (s *search) dropUntried(ids []string) {
	for _, id := range ids {
		s.drop(Drop{ID: id, Untried: true, Failure: s.stopped()})
	}
}

// try builds and runs the set ids, once per distinct Dockerfile; tried is
// false when the build limit stopped it (o is nil then).
func (s *search) try(ids []string) (o *Outcome, tried bool) {
	name := strings.Join(ids, "+")
	c, err := s.plan.Compose(ids)
	if err != nil {
		o := &Outcome{Name: name, Build: BuildResult{Error: "the suggestions do not compose: " + err.Error()}}
		s.r.Trials = append(s.r.Trials, Trial{IDs: slices.Clone(ids), Outcome: *o})
		return o, true
	}
	key := candidateKey(c)
	if o := s.seen[key]; o != nil {
		return o, true
	}
	if s.v.buildCount() >= s.r.MaxBuilds || s.ctx.Err() != nil {
		return nil, false
	}
	c.Name = name
	out := s.v.runUnmeasured(s.ctx, c)
	s.r.Trials = append(s.r.Trials, Trial{IDs: slices.Clone(ids), Outcome: out})
	s.seen[key] = &out
	return &out, true
}

// candidateKey identifies what a candidate builds: its Dockerfile and new
// files.
func candidateKey(c Candidate) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d\n%s", len(c.Dockerfile), c.Dockerfile)
	for _, name := range slices.Sorted(maps.Keys(c.Files)) {
		fmt.Fprintf(h, "%d %s\n%d\n%s", len(name), name, len(c.Files[name]), c.Files[name])
	}
	return hex.EncodeToString(h.Sum(nil))
}

func join(a, b []string) []string { return append(slices.Clone(a), b...) }
