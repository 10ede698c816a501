package tui

import (
	"context"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/verify"
)

// Input is everything the views show once the analysis has ended.
type Input struct {
	Report inspect.Report
	// Tree, when set, builds the merged file system (BuildTree) after the
	// first screen shows: the summary does not need it, and on an image of
	// 200,000 files it takes a tenth of the analysis. Until it returns,
	// the files view says it is working; nil leaves the view empty.
	Tree  func() *TreeNode
	Fixes Fixes
	// Index, when set, works out what each layer changed
	// (inspect.NewLayerIndex) after the first screen shows; until it
	// returns, a layer's view of the files says it is working.
	Index func() (*fsview.LayerIndex, error)
	// Pending, when set, works out Fixes after the first screen shows
	// (deriving suggestions may read layers again); until it returns, the
	// suggestions view says it is working.
	Pending func() Fixes
	// Refresh, when set, is what R does: the report again with the
	// findings of today's answers of the image's package sources
	// (the rules marked Refreshed, slimpy inspect --refresh), and the warnings of the
	// hosts not reached. nil: R is not offered.
	Refresh func() (inspect.Report, []string, error)
}

// Suggestion is one proposed change to the Dockerfile.
type Suggestion struct {
	ID    string
	Title string
	// Savings are the bytes the change saves, measured from the image;
	// meaningful only when Measured.
	Savings  int64
	Measured bool
	// Note says what was measured, or why nothing was.
	Note string
	// Evidence are the facts the suggestion rests on, one a line.
	Evidence []string
	// Diff is the change as a unified diff of the Dockerfile (then of any
	// new file, such as .dockerignore); "" for advice with no automatic
	// change, which cannot be accepted.
	Diff string
}

// Fixes are the suggestions for one Dockerfile and the way to write them.
type Fixes struct {
	// Dockerfile is the file the suggestions patch, as the user named it.
	Dockerfile  string
	Suggestions []Suggestion
	// Note says why there are no suggestions (e.g. no Dockerfile given).
	Note string
	// LeftOut says which Dockerfile was not used, and why (it did not
	// build the image); the Summary shows it.
	LeftOut string
	// Write applies the accepted suggestions (their IDs, in list order),
	// writes the result atomically and keeps a backup of the original.
	// Nil makes the view read-only.
	Write func(accepted []string) (Written, error)
	// Plan, when set, tells what writing the accepted suggestions would
	// do, without writing: the write dialog shows it.
	Plan func(accepted []string) (Plan, error)
	// Verify, when set, is the write dialog's other choice: prove the
	// accepted suggestions on the Docker engine first, as slimpy fix
	// --verify does (WithVerify), telling progress of every step; the
	// view then writes the kept set with Write. It returns once what it
	// made on the engine is removed, also when ctx is cancelled (then
	// with ctx's error).
	Verify func(ctx context.Context, accepted []string, progress func(verify.Step)) (Verified, error)
	// VerifyReady, when set, is asked as the dialog opens whether Verify
	// can run now: its error says why not (no Docker engine answers).
	VerifyReady func(ctx context.Context) error
	// VerifyNote says why the dialog does not offer to verify (Verify is
	// nil), e.g. no build context.
	VerifyNote string
}

// Verified is what Fixes.Verify found.
type Verified struct {
	// Report is internal/verify's: the original and the set kept, built,
	// measured and run; what was dropped and why. Nil when the run stopped
	// before the original was built.
	Report *verify.Report
	// Cleanup says what the run could not remove from the engine after
	// it ("": everything it made is gone).
	Cleanup string
}

// Plan is what writing some accepted suggestions would do.
type Plan struct {
	Files []PlannedFile
	// Applied are the suggestions that would change something; Skipped
	// those with nothing left to do once the others are in.
	Applied, Skipped []string
}

// PlannedFile is a file a write would replace or create.
type PlannedFile struct {
	Path string
	New  bool // created, never replacing a file
}

// Written is what Fixes.Write wrote.
type Written struct {
	Files []WrittenFile
	// Applied are the suggestions that changed something, Skipped those
	// that had nothing left to do once the others were applied (as
	// slimpy fix reports them).
	Applied, Skipped []string
}

// WrittenFile is one file Fixes.Write replaced or created.
type WrittenFile struct {
	Path    string
	Backup  string // where the original was kept; "" for a new file
	Content string // what was written
	Diff    string // from the original to Content
}

// Loaded is the end of an analysis: the input of the views or the error
// that stopped it.
type Loaded struct {
	Input *Input
	Err   error
}
