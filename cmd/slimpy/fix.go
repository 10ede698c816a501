package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/slimpy/slimpy/internal/pipeline"
	"github.com/slimpy/slimpy/internal/suggest"
	"github.com/slimpy/slimpy/internal/textsafe"
	"github.com/slimpy/slimpy/internal/verify"
	"github.com/spf13/cobra"
)

type fixFlags struct {
	suggestFlags
	accept       []string
	all          bool
	output       string
	verify       bool
	smoke        string
	smokeTimeout time.Duration
}

func newFixCmd() *cobra.Command {
	f := &fixFlags{}
	cmd := &cobra.Command{
		Use:   "fix [IMAGE] --dockerfile PATH (--accept ID,... | --all) [-o FILE] [--verify [--smoke CMD] [--context DIR]]",
		Short: "Apply accepted suggestions to the Dockerfile",
		Long: `Fix applies the accepted suggestions (IDs or names from 'slimpy suggest', or
--all, the same as --accept all: every kind) one after the other, each
derived again on the result of the ones before, again until a pass changes
nothing (so a second fix --all has nothing to do), and writes the result
atomically (a temporary file renamed over the target). A change whose
result would fail slimpy's safety check is not applied: fix says which and
why.

Without -o (or with -o naming the Dockerfile itself) the Dockerfile is
replaced and the original kept beside it as PATH.bak (PATH.bak.1, .2 ...
when that exists); with -o FILE the result goes to FILE and the Dockerfile
stays as it is. A symbolic link is followed: its target is written, the
link stays. Owner, mode and hard links are kept. Fix refuses to write when
the Dockerfile changed on disk since it was read, also when it changes
during the write. New files a suggestion creates (.dockerignore) are
written to the build context (--context, default the Dockerfile's
directory) and never replace an existing file. Every file is written, or
none; nothing once fix is interrupted.

Without a Dockerfile, IMAGE's history is reconstructed into one and -o is
required.

--verify proves the change on the local Docker engine (DOCKER_HOST and the
docker CLI's context apply) before anything is written: it builds the
original and the patched Dockerfile in the build context (--context, default
the Dockerfile's directory; new files go into a copy of it), inspects both
images as 'slimpy inspect' does, and runs the image's command (or --smoke
CMD, run with /bin/sh -c) in a container of each, without network. It
prints the measured size before and after, the findings removed, reduced
and added, and the app's output. Without IMAGE the suggestions are measured
on the original's build. When the patched Dockerfile does not build or its
smoke run fails, each accepted suggestion is built and run alone, those that
fail are dropped, the others are tried together (and bisected when they fail
together), and the largest set that builds and runs is written; the report
says what was dropped and why, and how many builds were made (at most 2n+2
for n suggestions). When no set passes, nothing is written and fix exits 1.
A container still running after --smoke-timeout (a server) counts as
running. The images and containers it makes are removed.

Exit codes: 0 written (and verified, perhaps without some suggestions); 1
verification failed, nothing written; 2 usage or input error (including an
original that does not build).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFix(cmd, f, args)
		},
	}
	fl := cmd.Flags()
	f.register(fl)
	fl.StringSliceVar(&f.accept, "accept", nil, "suggestion IDs or names to apply, comma-separated")
	fl.BoolVar(&f.all, "all", false, "apply every kind of suggestion, until nothing is left to change (the same as --accept all)")
	fl.StringVarP(&f.output, "output", "o", "", "write the result to FILE instead of replacing the Dockerfile")
	fl.StringVar(&f.format, "format", "text", "output format: text or json (what was applied, written and, with --verify, the verification)")
	fl.BoolVar(&f.verify, "verify", false, "build, inspect and run the original and the patched Dockerfile on the local Docker engine; write only when the patched one builds and runs")
	fl.StringVar(&f.smoke, "smoke", "", "with --verify: the command that proves the app runs (/bin/sh -c CMD in a container; default: the image's own command)")
	fl.DurationVar(&f.smokeTimeout, "smoke-timeout", 30*time.Second, "with --verify: how long a smoke run may take; still running then counts as running")
	return cmd
}

func runFix(cmd *cobra.Command, f *fixFlags, args []string) error {
	if f.all == (len(f.accept) > 0) {
		return errors.New("give --accept ID,... or --all (one of them)")
	}
	for _, a := range f.accept {
		if _, ok := suggest.KnownID(a); !ok {
			return fmt.Errorf("--accept %s: no such suggestion (see 'slimpy suggest' or docs/suggestions.md)", a)
		}
	}
	if !f.verify && (f.smoke != "" || cmd.Flags().Changed("smoke-timeout")) {
		return errors.New("--smoke and --smoke-timeout go with --verify")
	}
	if f.smokeTimeout <= 0 {
		return fmt.Errorf("--smoke-timeout %s: give a duration above zero, e.g. 30s", f.smokeTimeout)
	}
	if f.format != "text" && f.format != "json" {
		return fmt.Errorf("--format %q: use text or json", f.format)
	}
	if f.output != "" {
		// The Dockerfile itself is allowed: an in-place write with its backup.
		inputs := append([]inputFile{configInput(f.config)}, imageInputs(args...)...)
		if err := checkNotAnInput("-o "+f.output, f.output, inputs); err != nil {
			return fmt.Errorf("%s: nothing written", err)
		}
	}
	fo := &fixOutput{Applied: []string{}, Skipped: []string{}, Refused: []suggest.Refusal{}, Written: []string{}}
	var err error
	if f.verify {
		err = runFixVerify(cmd, f, args, fo)
	} else {
		err = runFixPlain(cmd, f, args, fo)
	}
	if fo.started && cmd.Context().Err() == nil { // interrupted: nothing to report
		if werr := fo.print(cmd.OutOrStdout(), f.format); werr != nil && err == nil {
			err = werr
		}
	}
	if fo.Verification != nil && !fo.Verification.OK() {
		fmt.Fprintln(cmd.ErrOrStderr(), "slimpy: verification failed: "+textsafe.OneLine(fo.Verification.Failure()))
	}
	return err
}

// fixOutput is what fix says it did: printed as text or JSON at the end
// (also after a failed write or verification, for what happened before).
type fixOutput struct {
	started    bool
	Dockerfile string `json:"dockerfile"`
	Image      string `json:"image,omitempty"`
	// ImageMismatch says why IMAGE was not used to measure (the
	// Dockerfile did not build it).
	ImageMismatch string   `json:"imageMismatch,omitempty"`
	Nothing       string   `json:"nothing,omitempty"` // why nothing was applied
	Applied       []string `json:"applied"`
	Skipped       []string `json:"skipped"` // nothing left to do once the others were applied
	// Refused are the accepted suggestions whose change would fail the
	// safety check, with what it would break.
	Refused      []suggest.Refusal `json:"refused"`
	Verification *verify.Report    `json:"verification,omitempty"`
	Written      []string          `json:"written"`
	Backup       string            `json:"backup,omitempty"`
	Hint         string            `json:"hint,omitempty"`
}

func (fo *fixOutput) print(out io.Writer, format string) error {
	if format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(fo)
	}
	if fo.Nothing != "" {
		fmt.Fprintln(out, fo.Nothing)
	}
	if len(fo.Applied) > 0 {
		fmt.Fprintf(out, "Applied %s.\n", strings.Join(fo.Applied, ", "))
	}
	if len(fo.Skipped) > 0 {
		fmt.Fprintf(out, "Nothing left to do for %s once the others were applied.\n", strings.Join(fo.Skipped, ", "))
	}
	for _, r := range fo.Refused {
		fmt.Fprintf(out, "Not applied: %s, because its result would fail the safety check:\n", r.ID)
		for _, why := range r.Reasons {
			fmt.Fprintln(out, "  - "+textsafe.OneLine(why))
		}
	}
	if fo.Verification != nil {
		fmt.Fprintln(out)
		fo.Verification.WriteText(out)
		fmt.Fprintln(out)
		if !fo.Verification.OK() {
			fmt.Fprintln(out, "Nothing written.")
		}
	}
	if fo.Hint != "" {
		fmt.Fprintln(out, textsafe.OneLine(fo.Hint))
	}
	for _, p := range fo.Written {
		fmt.Fprintf(out, "Wrote %s\n", textsafe.Term(p))
	}
	if fo.Backup != "" {
		fmt.Fprintf(out, "The original is kept as %s\n", textsafe.Term(fo.Backup))
	}
	return nil
}

func runFixPlain(cmd *cobra.Command, f *fixFlags, args []string, fo *fixOutput) error {
	w, err := f.load(cmd.Context(), cmd.ErrOrStderr(), newProgress(cmd), args)
	if err != nil {
		return err
	}
	if w.Reconstructed && f.output == "" {
		return errors.New("no Dockerfile: give -o FILE for the rewritten reconstruction")
	}
	fo.started, fo.Dockerfile, fo.Image, fo.ImageMismatch = true, w.Path, w.Image, w.Mismatch
	res, ok, err := f.apply(w, fo)
	if err != nil || !ok {
		return err
	}
	return f.write(cmd.Context(), fo, w, res)
}

// apply works out the accepted suggestions' result: --all (or --accept
// all) is every kind, applied until a pass changes nothing, so that a
// second fix --all has nothing left to do. ok is false when --all applies
// nothing.
func (f *fixFlags) apply(w *pipeline.Workspace, fo *fixOutput) (suggest.Result, bool, error) {
	ids := f.accept
	if f.all {
		ids = []string{suggest.AllKinds}
	}
	res, err := suggest.Apply(w.Src, ids, w.Opts)
	if err != nil {
		return res, false, err
	}
	fo.Applied = append(fo.Applied, res.Applied...)
	fo.Skipped = append(fo.Skipped, res.Skipped...)
	fo.Refused = append(fo.Refused, res.Refused...)
	if len(res.Applied) == 0 && slices.ContainsFunc(ids, isAllKinds) {
		fo.Nothing = "Nothing to apply: no suggestion has a fix."
		if len(res.Refused) > 0 {
			fo.Nothing = "Nothing to apply: no suggestion has a fix that passes the safety check."
		}
		return res, false, nil
	}
	return res, true, nil
}

func isAllKinds(id string) bool {
	k, _ := suggest.KnownID(id)
	return k == suggest.AllKinds
}

// write saves the result with suggest.WriteFile: every file or none,
// nothing once the run is cancelled.
func (f *fixFlags) write(ctx context.Context, fo *fixOutput, w *pipeline.Workspace, res suggest.Result) error {
	if res.Dockerfile == string(w.Src) && len(res.Files) == 0 && f.output == "" {
		return nil
	}
	if w.Reconstructed && f.context == "" && len(res.Files) > 0 {
		// The build context of a reconstruction is unknown: never guess
		// it (beside -o is not it).
		return fmt.Errorf("the fix creates %s in the build context: give --context DIR, or leave that suggestion out; nothing written", strings.Join(slices.Sorted(maps.Keys(res.Files)), ", "))
	}
	written, err := suggest.WriteFileContext(ctx, w.Path, w.Src, res, suggest.WriteOptions{Output: f.output, Dir: f.context})
	if err != nil {
		return err
	}
	if written.Dockerfile != "" {
		fo.Written = append(fo.Written, written.Dockerfile)
	}
	fo.Written = append(fo.Written, written.Files...)
	fo.Backup = written.Backup
	return nil
}

// runFixVerify is fix --verify: the original is built (and, without IMAGE,
// is the image the suggestions are measured on), the result is built, both
// are inspected and run, and the result is written only when it built and
// ran.
func runFixVerify(cmd *cobra.Command, f *fixFlags, args []string, fo *fixOutput) error {
	ctx := cmd.Context()
	stderr := cmd.ErrOrStderr()
	f.dockerfile = pipeline.DockerfilePath(f.dockerfile)
	if f.dockerfile == "" {
		return errors.New("--verify builds the Dockerfile: give --dockerfile PATH")
	}
	src, err := pipeline.ReadDockerfile(f.dockerfile)
	if err != nil {
		return err
	}
	if _, err := suggest.Parse(src); err != nil {
		return fmt.Errorf("%s: %w", f.dockerfile, err)
	}
	ctxDir := f.context
	if ctxDir == "" {
		ctxDir = filepath.Dir(f.dockerfile)
	}
	cfg, err := loadRulesConfig(f.config)
	if err != nil {
		return err
	}
	cacheDir := f.cacheDir
	if f.noCache {
		cacheDir = ""
	}
	// What the engine gets from the run is removed before slimpy exits,
	// interrupted or not.
	release := holdCleanup(ctx)
	v, err := verify.New(ctx, verify.Options{
		Context: ctxDir, Smoke: f.smoke, SmokeTimeout: f.smokeTimeout,
		Rules: cfg, CacheDir: cacheDir, Log: stderr,
	})
	if err != nil {
		release()
		return err
	}
	defer func() {
		defer release()
		if err := v.Close(); err != nil {
			fmt.Fprintf(stderr, "slimpy: warning: cleaning up after --verify: %s\n", textsafe.OneLine(err.Error()))
		}
	}()

	before := v.Run(ctx, verify.Candidate{Name: "original", Dockerfile: src})
	if !before.Build.OK {
		for _, l := range before.Build.Tail {
			fmt.Fprintln(stderr, "  | "+textsafe.Code(l))
		}
		return fmt.Errorf("the original %s does not build (%s): fix it first; nothing written", f.dockerfile, before.Build.Error)
	}
	if len(args) == 0 {
		args = []string{"docker-daemon:" + before.Build.Tag}
		fmt.Fprintf(stderr, "verify: no IMAGE given: the suggestions are measured on the original's build\n")
	}
	w, err := f.load(ctx, stderr, newProgress(cmd), args)
	if err != nil {
		return err
	}
	if !bytes.Equal(w.Src, src) {
		return fmt.Errorf("%s changed while the original was built: nothing written; run slimpy fix again", f.dockerfile)
	}
	fo.started, fo.Dockerfile, fo.Image, fo.ImageMismatch = true, w.Path, w.Image, w.Mismatch
	res, ok, err := f.apply(w, fo)
	if err != nil || !ok {
		return err
	}
	if res.Dockerfile == string(w.Src) && len(res.Files) == 0 {
		fo.Nothing = "The Dockerfile does not change: nothing to verify."
		return nil
	}
	// Every accepted suggestion together; when that fails, the largest set
	// that builds and runs (internal/verify's Keep).
	plan, err := verify.SuggestionPlan(w.Src, append(res.Applied, res.Skipped...), w.Opts)
	if err != nil {
		return err
	}
	rep := v.Keep(ctx, before, plan)
	if err := ctx.Err(); err != nil {
		return err
	}
	fo.Verification = rep
	if !rep.OK() {
		return &checkError{msg: "verification failed"}
	}
	if len(rep.Dropped) > 0 {
		if res, err = suggest.Apply(w.Src, rep.Kept, w.Opts); err != nil {
			return err
		}
		fo.Applied, fo.Skipped = append([]string{}, res.Applied...), append([]string{}, res.Skipped...)
		fmt.Fprintf(stderr, "slimpy: verify dropped %d of the accepted suggestions; writing %s\n", len(rep.Dropped), strings.Join(rep.Kept, ", "))
	}
	return f.write(ctx, fo, w, res)
}
