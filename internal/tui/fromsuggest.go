package tui

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/slimpy/slimpy/internal/suggest"
	"github.com/slimpy/slimpy/internal/textsafe"
	"github.com/slimpy/slimpy/internal/verify"
)

// SaveFunc writes what suggest.Apply made of the Dockerfile at path, whose
// bytes were orig when the suggestions were derived.
type SaveFunc func(path string, orig []byte, r suggest.Result) (Written, error)

// FixesFrom adapts internal/suggest's suggestions for the Dockerfile at
// path (src are its bytes, as Suggest read them) to the suggestions view.
// Write applies the accepted ones with suggest.Apply, which composes any
// subset, and saves the result with save (nil: SaveAtomic). An empty path
// (a Dockerfile reconstructed from the image's history) makes the view
// read-only.
func FixesFrom(path string, src []byte, ss []suggest.Suggestion, opts suggest.Options, save SaveFunc) Fixes {
	fx := Fixes{Dockerfile: path}
	for _, s := range ss {
		fx.Suggestions = append(fx.Suggestions, Suggestion{
			ID: s.ID, Title: s.Title, Savings: s.Savings.Bytes, Measured: s.Savings.Measured,
			Note: s.Savings.Note, Evidence: s.Evidence, Diff: s.Diff,
		})
	}
	if len(ss) == 0 {
		fx.Note = "No suggestions: slimpy has nothing to change in " + path + "."
	}
	if path == "" {
		fx.Dockerfile = "Dockerfile reconstructed from the history"
		fx.Note = "Reconstructed from the image's history: give --dockerfile PATH to write yours."
		if len(ss) == 0 {
			fx.Note = "No suggestions for the Dockerfile reconstructed from the image's history."
		}
		return fx
	}
	if save == nil {
		save = SaveAtomic
	}
	fx.Write = func(accepted []string) (Written, error) {
		r, err := suggest.Apply(src, accepted, opts)
		if err != nil {
			return Written{}, err
		}
		w, err := save(path, src, r)
		w.Applied, w.Skipped = r.Applied, r.Skipped
		return w, err
	}
	fx.Plan = func(accepted []string) (Plan, error) {
		r, err := suggest.Apply(src, accepted, opts)
		if err != nil {
			return Plan{}, err
		}
		p := Plan{Applied: r.Applied, Skipped: r.Skipped}
		if r.Dockerfile != string(src) {
			p.Files = append(p.Files, PlannedFile{Path: path})
		}
		for _, n := range slices.Sorted(maps.Keys(r.Files)) {
			p.Files = append(p.Files, PlannedFile{Path: filepath.Join(filepath.Dir(path), filepath.FromSlash(n)), New: true})
		}
		return p, nil
	}
	return fx
}

// WithVerify offers, in the write dialog of fx (FixesFrom's, for the
// Dockerfile whose bytes are src, composed with opts), to verify before
// writing, the way slimpy fix --verify does it, through internal/verify:
// the original built, inspected and run (vo.Smoke, or the image's own
// command), then verify.Keep of verify.SuggestionPlan of the accepted
// suggestions — all of them together, and when that fails each alone and
// the largest set that builds and runs, within verify.DefaultMaxBuilds
// (vo.MaxBuilds is not used). vo.Context "" is the Dockerfile's
// directory; vo.Progress is the view's. The run also stops when ctx (the
// program's) is done. A read-only fx (no Write) is returned as it is.
func WithVerify(ctx context.Context, fx Fixes, src []byte, opts suggest.Options, vo verify.Options) Fixes {
	if fx.Write == nil {
		return fx
	}
	if vo.Context == "" {
		vo.Context = filepath.Dir(fx.Dockerfile)
	}
	if st, err := os.Stat(vo.Context); err != nil || !st.IsDir() {
		fx.VerifyNote = "the build context " + textsafe.Term(vo.Context) + " is not a directory"
		return fx
	}
	vo.MaxBuilds = 0
	fx.VerifyReady = func(rctx context.Context) error { return verify.CheckEngine(rctx, vo.Docker) }
	fx.Verify = func(vctx context.Context, accepted []string, progress func(verify.Step)) (res Verified, err error) {
		vctx, cancel := context.WithCancel(vctx)
		defer cancel()
		defer context.AfterFunc(ctx, cancel)()
		plan, err := verify.SuggestionPlan(src, accepted, opts)
		if err != nil {
			return res, err
		}
		o := vo
		o.Progress = progress
		v, err := verify.New(vctx, o)
		if err != nil {
			return res, err
		}
		defer func() {
			if cerr := v.Close(); cerr != nil {
				res.Cleanup = cerr.Error()
			}
		}()
		before := v.Run(vctx, verify.Candidate{Name: "original", Dockerfile: src})
		if err := vctx.Err(); err != nil {
			return res, err
		}
		if !before.Build.OK {
			res.Report = &verify.Report{Before: before}
			return res, fmt.Errorf("the original %s does not build (%s): fix it first", filepath.Base(fx.Dockerfile), before.Build.Error)
		}
		res.Report = v.Keep(vctx, before, plan)
		return res, vctx.Err()
	}
	return fx
}

// SaveAtomic writes the patched Dockerfile over path and the new files
// (such as .dockerignore) beside it with suggest.WriteFile, as slimpy fix
// does: it refuses when the Dockerfile is no longer orig (changed since it
// was read) or a new file exists, keeps the original as PATH.bak
// (PATH.bak.1, .2 … when taken), writes through a synced temporary file
// renamed over the target, keeps the file's mode, and never replaces an
// existing file with a new one.
func SaveAtomic(path string, orig []byte, r suggest.Result) (Written, error) {
	sw, err := suggest.WriteFile(path, orig, r, suggest.WriteOptions{})
	var w Written
	if sw.Dockerfile != "" {
		name := filepath.Base(path)
		w.Files = append(w.Files, WrittenFile{Path: path, Backup: sw.Backup, Content: r.Dockerfile,
			Diff: suggest.UnifiedDiff("a/"+name, "b/"+name, string(orig), r.Dockerfile)})
	}
	dir := filepath.Dir(path)
	for _, n := range slices.Sorted(maps.Keys(r.Files)) {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if !slices.Contains(sw.Files, p) {
			continue
		}
		w.Files = append(w.Files, WrittenFile{Path: p, Content: r.Files[n],
			Diff: suggest.UnifiedDiff("/dev/null", "b/"+n, "", r.Files[n])})
	}
	return w, err
}
