// Package verify proves Dockerfile changes on the local Docker engine: it
// builds the original and the changed Dockerfile with `docker build`,
// measures both images with slimpy's own inspection (the docker-daemon:
// transport: size, stored size, the rules' findings), runs a smoke command
// in a container of each with `docker run`, and compares. Nothing here
// writes the user's files; slimpy fix decides from the Report.
//
// It drives the docker CLI (Options.Docker), so DOCKER_HOST, DOCKER_CONTEXT
// and the CLI's configuration apply as they do for the user. Every image
// and container it makes is removed by Close.
package verify

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/rules"
	"github.com/slimpy/slimpy/internal/pipeline"
	"github.com/slimpy/slimpy/internal/textsafe"
)

// Options configure a Verifier.
type Options struct {
	// Context is the build context directory.
	Context string
	// Docker is the docker CLI to run (default "docker" from PATH).
	Docker string
	// Smoke is a shell command (run with /bin/sh -c in place of the
	// image's entrypoint); "" runs the image's own ENTRYPOINT/CMD.
	Smoke string
	// SmokeTimeout bounds each smoke run (default 30s). A container still
	// running then is stopped and counted as running (a server that came
	// up), which the report says.
	SmokeTimeout time.Duration
	// Measure inspects a built image (ref is docker-daemon:ID); nil:
	// source.Open + Analyze + the rules with Rules.
	Measure func(ctx context.Context, ref string) (*Measurement, error)
	// Rules configure the rules of the default Measure.
	Rules inspect.Config
	// CacheDir is the layer cache of the default Measure ("" none).
	CacheDir string
	// Log gets one line per step (nil: none).
	Log io.Writer
	// MaxBuilds bounds the builds of Keep, the original's included
	// (0: DefaultMaxBuilds).
	MaxBuilds int
	// Progress, when set, is told of every step as it starts and as it
	// ends, in the goroutine that called Run or Keep (the interactive
	// view shows them).
	Progress func(Step)
}

// The kinds of Step.
const (
	StepBuild   = "build"   // docker build
	StepSmoke   = "smoke"   // docker run of the smoke command
	StepInspect = "inspect" // slimpy's inspection of the image
)

// Step is one step of a run, as it starts and as it ends.
type Step struct {
	// Name is the candidate: "original", or the suggestions built
	// together ("SG001+SG201").
	Name string
	// Kind is StepBuild, StepSmoke or StepInspect.
	Kind string
	// Builds is how many docker builds the run has started, this step's
	// included.
	Builds int
	// Done: the step ended; OK says whether it passed, Duration how long
	// it took.
	Done     bool
	OK       bool
	Duration time.Duration
	// Detail is, when a smoke run starts, the command it runs; when a step
	// fails, why, and the last line of its output.
	Detail string
	// Image is the tag a build that passed gave its image (Close removes
	// it).
	Image string
}

// Candidate is one Dockerfile to build in the context.
type Candidate struct {
	// Name says what it is: "original", "patched", or a suggestion ID.
	Name string
	// Path is the Dockerfile on disk, built as it is; "" when Dockerfile
	// holds the content (written to a temporary file).
	Path       string
	Dockerfile []byte
	// Files are new files for the build context (.dockerignore); the
	// context is then copied (hardlinks where it can) and they are added
	// to the copy, never to the user's directory.
	Files map[string]string
}

// Outcome is what building, running and measuring a Candidate gave.
type Outcome struct {
	Name    string       `json:"name"`
	Build   BuildResult  `json:"build"`
	Smoke   *SmokeResult `json:"smoke,omitempty"`   // nil: not run (no image)
	Measure *Measurement `json:"measure,omitempty"` // nil: not measured
	// MeasureError says why the image was not measured.
	MeasureError string `json:"measureError,omitempty"`
}

// OK: it built and its smoke run passed.
func (o *Outcome) OK() bool { return o.Build.OK && o.Smoke != nil && o.Smoke.OK() }

// BuildResult is one `docker build`.
type BuildResult struct {
	OK       bool          `json:"ok"`
	ImageID  string        `json:"imageID,omitempty"`
	Tag      string        `json:"tag,omitempty"` // slimpy-verify:RUN-N, removed by Close
	Duration time.Duration `json:"duration"`
	// Error and Tail (the last lines of the build output) when it failed.
	Error string   `json:"error,omitempty"`
	Tail  []string `json:"tail,omitempty"`
}

// SmokeResult is one `docker run` of the smoke command.
type SmokeResult struct {
	// Command is what ran: the image's entrypoint and command, or
	// /bin/sh -c SMOKE.
	Command  []string      `json:"command"`
	ExitCode int           `json:"exitCode"`
	Duration time.Duration `json:"duration"`
	// StillRunning: the container had not exited after the timeout and
	// was stopped (counted as running).
	StillRunning bool `json:"stillRunning,omitempty"`
	// Error: the container could not be run at all (docker run's own
	// failure, exit 125).
	Error string   `json:"error,omitempty"`
	Tail  []string `json:"tail"` // the last lines of its output
}

// OK: exit code 0, or still running at the timeout.
func (s *SmokeResult) OK() bool { return s.Error == "" && (s.ExitCode == 0 || s.StillRunning) }

// Measurement is slimpy's inspection of a built image.
type Measurement struct {
	Totals inspect.Totals `json:"totals"`
	// Findings are the rules' findings (in JSON: their rule, category,
	// bytes and files only).
	Findings []rules.Finding `json:"-"`
}

// RuleFigure is a finding as the JSON report carries it.
type RuleFigure struct {
	Rule     string `json:"rule"`
	Name     string `json:"name"`
	Category string `json:"category"`
	Bytes    int64  `json:"bytes"`
	Files    int    `json:"files"`
	// Packages the finding is about ("NAME VERSION"), e.g. the packaging
	// tools a venv carries.
	Packages []string `json:"packages,omitempty"`
}

// MarshalJSON writes the totals and the findings without their paths.
func (m *Measurement) MarshalJSON() ([]byte, error) {
	fs := make([]RuleFigure, 0, len(m.Findings))
	for _, f := range m.Findings {
		rf := RuleFigure{Rule: f.Rule, Name: f.Name, Category: f.Category, Bytes: f.Bytes, Files: f.Files}
		for _, p := range f.Packages {
			rf.Packages = append(rf.Packages, p.Name+" "+p.Version)
		}
		fs = append(fs, rf)
	}
	return json.Marshal(struct {
		Totals   inspect.Totals `json:"totals"`
		Findings []RuleFigure   `json:"findings"`
	}{m.Totals, fs})
}

// RuleBytes are the findings' bytes by rule ID.
func (m *Measurement) RuleBytes() map[string]int64 {
	out := map[string]int64{}
	for _, f := range m.Findings {
		out[f.Rule] += f.Bytes
	}
	return out
}

const tailLines = 12

// Verifier builds, runs and measures candidates; Close removes what it made.
type Verifier struct {
	opts   Options
	run    string // this run's ID, in every tag and container name
	n      int
	builds int // docker builds started
	tmp    string
	mu     sync.Mutex
	images []string // image IDs to remove, in order
	tags   []string // the run's tags, removed first
	legacy bool     // the classic builder (no buildx, or DOCKER_BUILDKIT=0)
	// existing are the full IDs (hex) of the images the engine held
	// before the run: never removed.
	existing map[string]bool
	// cacheFrom are the images the classic builder may take its cache
	// from besides the run's own: those tagged before the run, but not by
	// another verify run (see build).
	cacheFrom []string
}

// New checks that the engine answers and prepares a run.
func New(ctx context.Context, opts Options) (*Verifier, error) {
	if opts.Docker == "" {
		opts.Docker = "docker"
	}
	if opts.SmokeTimeout <= 0 {
		opts.SmokeTimeout = 30 * time.Second
	}
	if opts.Context == "" {
		return nil, errors.New("verify: no build context")
	}
	if st, err := os.Stat(opts.Context); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("the build context %s is not a directory", opts.Context)
	}
	v := &Verifier{opts: opts}
	if err := CheckEngine(ctx, opts.Docker); err != nil {
		return nil, fmt.Errorf("--verify needs a Docker engine: %w", err)
	}
	b := make([]byte, 4)
	rand.Read(b)
	v.run = hex.EncodeToString(b)
	tmp, err := os.MkdirTemp("", "slimpy-verify-")
	if err != nil {
		return nil, err
	}
	v.tmp = tmp
	// What the engine holds already is never removed, whatever a build's
	// output seems to say.
	out, err := v.docker(ctx, "image", "ls", "--all", "--quiet", "--no-trunc")
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("docker image ls: %s", errLine(out, err))
	}
	v.existing = map[string]bool{}
	for _, id := range strings.Fields(string(out)) {
		v.existing[strings.TrimPrefix(id, "sha256:")] = true
	}
	out, err = v.docker(ctx, "image", "ls", "--no-trunc", "--format", "{{.ID}} {{.Repository}}")
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("docker image ls: %s", errLine(out, err))
	}
	for _, l := range strings.Split(string(out), "\n") {
		if id, repo, ok := strings.Cut(strings.TrimSpace(l), " "); ok && repo != "<none>" && repo != "slimpy-verify" && !slices.Contains(v.cacheFrom, id) {
			v.cacheFrom = append(v.cacheFrom, id)
		}
	}
	v.legacy = os.Getenv("DOCKER_BUILDKIT") == "0"
	if !v.legacy {
		if _, err := v.docker(ctx, "buildx", "version"); err != nil {
			v.legacy = true // docker build falls back to the classic builder
		}
	}
	return v, nil
}

// CheckEngine says why verifying cannot run when the Docker engine does
// not answer the docker CLI (docker: "docker" from PATH), in the words of
// docker version: the check New makes first.
func CheckEngine(ctx context.Context, docker string) error {
	if docker == "" {
		docker = "docker"
	}
	v := &Verifier{opts: Options{Docker: docker}}
	if out, err := v.docker(ctx, "version", "--format", "{{.Server.Version}}"); err != nil {
		return fmt.Errorf("docker version: %s", errLine(out, err))
	}
	return nil
}

// RunID is the hex ID in this run's container names (slimpy-verify-RUNID-N).
func (v *Verifier) RunID() string { return v.run }

// step tells Options.Progress of a step.
func (v *Verifier) step(s Step) {
	if v.opts.Progress != nil {
		v.opts.Progress(s)
	}
}

// logf writes one line to Options.Log, escaped (textsafe.Term): it names
// the image's own command, which the base image's config gives.
func (v *Verifier) logf(format string, a ...any) {
	if v.opts.Log != nil {
		fmt.Fprintln(v.opts.Log, "verify: "+textsafe.Term(fmt.Sprintf(format, a...)))
	}
}

// docker runs the docker CLI for what it says about the engine (its
// version, image lists and IDs, removals), with its output whole. A build
// or a container prints what the Dockerfile and the image make it print:
// command with an output.
func (v *Verifier) docker(ctx context.Context, args ...string) ([]byte, error) {
	var out bytes.Buffer
	err := v.command(ctx, &out, args...).Run()
	return out.Bytes(), err
}

// command is the docker CLI with args, its stdout and stderr both to w
// (one pipe: w sees them in order).
func (v *Verifier) command(ctx context.Context, w io.Writer, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, v.opts.Docker, args...)
	cmd.Stdout, cmd.Stderr = w, w
	return cmd
}

// Run builds the candidate, measures the image and runs the smoke command
// in a container of it.
func (v *Verifier) Run(ctx context.Context, c Candidate) Outcome {
	o := Outcome{Name: c.Name}
	o.Build = v.build(ctx, c)
	if !o.Build.OK {
		return o
	}
	v.measureOutcome(ctx, &o)
	o.Smoke = v.smoke(ctx, c.Name, o.Build.ImageID)
	return o
}

// runUnmeasured builds the candidate and runs the smoke command; the
// image is measured later, if at all (measureOutcome).
func (v *Verifier) runUnmeasured(ctx context.Context, c Candidate) Outcome {
	o := Outcome{Name: c.Name}
	o.Build = v.build(ctx, c)
	if o.Build.OK {
		o.Smoke = v.smoke(ctx, c.Name, o.Build.ImageID)
	}
	return o
}

// measureOutcome inspects o's image, once.
func (v *Verifier) measureOutcome(ctx context.Context, o *Outcome) {
	if !o.Build.OK || o.Measure != nil || o.MeasureError != "" {
		return
	}
	v.logf("%s: inspecting the image", o.Name)
	v.step(Step{Name: o.Name, Kind: StepInspect, Builds: v.buildCount()})
	start := time.Now()
	m, err := v.measure(ctx, "docker-daemon:"+o.Build.Tag)
	if err != nil {
		o.MeasureError = err.Error()
	} else {
		o.Measure = m
	}
	v.step(Step{Name: o.Name, Kind: StepInspect, Builds: v.buildCount(), Done: true, OK: err == nil,
		Duration: time.Since(start), Detail: o.MeasureError})
}

// buildCount is the number of docker builds the run started.
func (v *Verifier) buildCount() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.builds
}

func (v *Verifier) build(ctx context.Context, c Candidate) BuildResult {
	v.mu.Lock()
	v.n++
	v.builds++
	n, builds := v.n, v.builds
	v.mu.Unlock()
	v.step(Step{Name: c.Name, Kind: StepBuild, Builds: builds})
	start := time.Now()
	res := v.buildImage(ctx, c, n)
	v.step(Step{Name: c.Name, Kind: StepBuild, Builds: builds, Done: true, OK: res.OK,
		Duration: time.Since(start), Detail: withLastLine(res.Error, res.Tail), Image: res.Tag})
	return res
}

// buildImage is build's docker build, the n-th step of the run.
func (v *Verifier) buildImage(ctx context.Context, c Candidate, n int) BuildResult {
	dir := filepath.Join(v.tmp, fmt.Sprint(n))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return BuildResult{Error: err.Error()}
	}
	dockerfile := c.Path
	if dockerfile == "" {
		dockerfile = filepath.Join(dir, "Dockerfile")
		if err := os.WriteFile(dockerfile, c.Dockerfile, 0o644); err != nil {
			return BuildResult{Error: err.Error()}
		}
	}
	context := v.opts.Context
	if len(c.Files) > 0 {
		context = filepath.Join(dir, "context")
		if err := copyTree(v.opts.Context, context); err != nil {
			return BuildResult{Error: "copying the build context: " + err.Error()}
		}
		for _, name := range slices.Sorted(maps.Keys(c.Files)) {
			p := filepath.Join(context, filepath.FromSlash(name))
			if _, err := os.Lstat(p); err == nil {
				return BuildResult{Error: fmt.Sprintf("%s exists in the context: a new file would replace it", name)}
			}
			if err := os.WriteFile(p, []byte(c.Files[name]), 0o644); err != nil {
				return BuildResult{Error: err.Error()}
			}
		}
	}
	iid := filepath.Join(dir, "iid")
	// Tagged after the build, from the ID --iidfile gives.
	args := []string{"build", "-f", dockerfile, "--iidfile", iid}
	if v.legacy {
		args = append(args, "--force-rm")
		// The classic builder's cache is its images: a step cached from
		// an image another run made (two verify runs on one engine, even
		// two shapes of a test) would leave that image with a child its
		// run cannot remove, and then with no run to remove it. With
		// --cache-from, a cached step must be an ancestor of one of these
		// images (docker's image/cache): the tagged ones the engine held
		// before the run, and the run's own.
		v.mu.Lock()
		for _, id := range slices.Concat(v.cacheFrom, v.images) {
			args = append(args, "--cache-from", id)
		}
		v.mu.Unlock()
	}
	args = append(args, context)
	v.logf("%s: docker build -f %s %s", c.Name, dockerfile, context)
	start := time.Now()
	var made createdImages
	out := &output{onLine: made.line}
	err := v.command(ctx, out, args...).Run()
	out.flush()
	res := BuildResult{Duration: time.Since(start)}
	// Intermediate images this build made (the classic builder keeps one
	// per step, the builder stage's too): removed by Close.
	created := made.ids
	v.mu.Lock()
	v.images = append(v.images, created...)
	v.mu.Unlock()
	if err != nil {
		res.Error = errLine(nil, err)
		if ctx.Err() != nil {
			res.Error = ctx.Err().Error()
		}
		res.Tail = out.Tail(tailLines)
		return res
	}
	id, rerr := os.ReadFile(iid)
	res.ImageID = strings.TrimSpace(string(id))
	if rerr != nil || res.ImageID == "" {
		res.Error = "docker build wrote no image ID"
		res.Tail = out.Tail(tailLines)
		return res
	}
	v.mu.Lock()
	v.images = append(v.images, res.ImageID)
	v.mu.Unlock()
	// A name to read it by (the engine exports an untagged image with no
	// name, which the docker-daemon: transport cannot read), unique to
	// the run and removed by Close.
	res.Tag = fmt.Sprintf("slimpy-verify:%s-%d", v.run, n)
	// Removed by Close whatever docker tag says: a tag call cut short
	// (Ctrl-C) may have tagged in the engine all the same.
	v.mu.Lock()
	v.tags = append(v.tags, res.Tag)
	v.mu.Unlock()
	if out, err := v.docker(ctx, "tag", res.ImageID, res.Tag); err != nil {
		res.Error = "docker tag: " + errLine(out, err)
		res.Tag = ""
		return res
	}
	res.OK = true
	return res
}

// createdImages are the IDs of the images a classic build may have made,
// read line by line from its output: the " ---> ID" after each step that
// is not a FROM (whose ID is the base image's). A step from the cache is
// one of them too: the cache is the engine's images from before the run
// (which Close never removes), the run's own, or an image the cache made
// anew from another's history.
type createdImages struct {
	ids  []string
	skip bool // the step is a FROM
}

func (c *createdImages) line(l string) {
	if m := stepRe.FindStringSubmatch(l); m != nil {
		c.skip = strings.EqualFold(m[1], "FROM")
	}
	if m := idRe.FindStringSubmatch(l); m != nil && !c.skip {
		c.ids = append(c.ids, m[1])
	}
}

var (
	stepRe = regexp.MustCompile(`^Step \d+/\d+ : (\S+)`)
	idRe   = regexp.MustCompile(`^ ---> ([0-9a-f]{12,64})$`)
)

func (v *Verifier) smoke(ctx context.Context, name, image string) *SmokeResult {
	builds := v.buildCount()
	res := v.runSmoke(ctx, name, image, func(command []string) {
		v.step(Step{Name: name, Kind: StepSmoke, Builds: builds, Detail: strings.Join(command, " ")})
	})
	detail := res.Error
	if detail == "" && !res.OK() {
		detail = withLastLine(fmt.Sprintf("exit %d", res.ExitCode), res.Tail)
	}
	v.step(Step{Name: name, Kind: StepSmoke, Builds: builds, Done: true, OK: res.OK(), Duration: res.Duration, Detail: detail})
	return res
}

// withLastLine is a failure followed by the last line of its output.
func withLastLine(failure string, tail []string) string {
	if failure == "" {
		return ""
	}
	return failure + afterColon(tail)
}

// afterColon is ": " and the last line of tail, or "" when it is empty.
func afterColon(tail []string) string {
	if len(tail) == 0 {
		return ""
	}
	return ": " + strings.TrimSpace(tail[len(tail)-1])
}

// runSmoke is smoke's docker run; started is told the command first.
func (v *Verifier) runSmoke(ctx context.Context, name, image string, started func(command []string)) *SmokeResult {
	v.mu.Lock()
	v.n++
	cname := fmt.Sprintf("slimpy-verify-%s-%d", v.run, v.n)
	v.mu.Unlock()
	res := &SmokeResult{}
	args := []string{"run", "--rm", "--name", cname, "--network", "none"}
	if v.opts.Smoke != "" {
		args = append(args, "--entrypoint", "/bin/sh", image, "-c", v.opts.Smoke)
		res.Command = []string{"/bin/sh", "-c", v.opts.Smoke}
	} else {
		args = append(args, image)
		res.Command = v.imageCommand(ctx, image)
	}
	v.logf("%s: docker run %s", name, strings.Join(res.Command, " "))
	started(res.Command)
	rctx, cancel := context.WithTimeout(ctx, v.opts.SmokeTimeout)
	defer cancel()
	out := &output{}
	cmd := v.command(rctx, out, args...)
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	out.flush()
	res.Duration = time.Since(start)
	// The CLI going away does not stop the container.
	if rm, rerr := v.docker(context.WithoutCancel(ctx), "rm", "-f", cname); rerr != nil && !strings.Contains(string(rm), "No such container") {
		v.logf("docker rm -f %s: %s", cname, errLine(rm, rerr))
	}
	res.Tail = out.Tail(tailLines)
	var ee *exec.ExitError
	switch {
	case rctx.Err() == context.DeadlineExceeded && ctx.Err() == nil:
		res.StillRunning = true
	case ctx.Err() != nil:
		res.Error = ctx.Err().Error()
	case err == nil:
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
		if res.ExitCode == 125 { // docker run's own failure
			res.Error = "docker run failed: " + out.LastLine()
		}
	default:
		res.Error = err.Error()
	}
	return res
}

// imageCommand is the image's ENTRYPOINT + CMD, for the report.
func (v *Verifier) imageCommand(ctx context.Context, image string) []string {
	out, err := v.docker(ctx, "image", "inspect", "--format", "{{json .Config.Entrypoint}}\t{{json .Config.Cmd}}", image)
	if err != nil {
		return []string{"(the image's command)"}
	}
	var cmd []string
	for _, part := range strings.Split(strings.TrimSpace(string(out)), "\t") {
		cmd = append(cmd, jsonStrings(part)...)
	}
	if len(cmd) == 0 {
		return []string{"(no command)"}
	}
	return cmd
}

func (v *Verifier) measure(ctx context.Context, ref string) (*Measurement, error) {
	if v.opts.Measure != nil {
		return v.opts.Measure(ctx, ref)
	}
	return Inspect(ctx, ref, v.opts.Rules, v.opts.CacheDir)
}

// Inspect measures an image the way slimpy inspect does
// (internal/pipeline).
func Inspect(ctx context.Context, ref string, cfg inspect.Config, cacheDir string) (*Measurement, error) {
	img, err := pipeline.Analyze(ctx, ref, pipeline.Options{Analyze: inspect.Options{CacheDir: cacheDir}, Rules: cfg})
	if err != nil {
		return nil, err
	}
	defer img.Close()
	r := img.Report()
	return &Measurement{Totals: r.Totals, Findings: r.Findings}, nil
}

// Close removes the run's tags, the images the run made (the builds'
// results and the intermediate images of the classic builder, newest
// first) and its temporary files. An image the engine held before the run
// (a build that only hit the cache), one tagged by someone else, or one
// another image still builds on is left; removing the run's tag of an
// untagged image the engine held before removes that image.
func (v *Verifier) Close() error {
	v.mu.Lock()
	images, tags := slices.Clone(v.images), slices.Clone(v.tags)
	v.images, v.tags = nil, nil
	v.mu.Unlock()
	var errs []string
	// One docker call per step, each with its own time (removing layers of
	// big images is slow on a busy engine).
	call := func(args ...string) ([]byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		return v.docker(ctx, args...)
	}
	rmErrors := func(out []byte) {
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "Error") && !notFound([]byte(l)) && !hasChildren([]byte(l)) {
				errs = append(errs, strings.TrimSpace(l))
			}
		}
	}
	if len(tags) > 0 {
		// Untags; an image goes too when this was its only name and no
		// image builds on it.
		out, _ := call(append([]string{"image", "rm", "--no-prune"}, tags...)...)
		rmErrors(out)
	}
	if len(images) > 0 {
		var ids []string
		seen := map[string]bool{}
		for i := len(images) - 1; i >= 0; i-- { // newest first
			if !seen[images[i]] {
				seen[images[i]] = true
				ids = append(ids, images[i])
			}
		}
		// Those still there, untagged, and not the engine's before the run.
		out, _ := call(append([]string{"image", "inspect", "--format", "{{.Id}} {{len .RepoTags}} {{.Parent}}"}, ids...)...)
		var rm []string
		parent := map[string]string{}
		for _, l := range strings.Split(string(out), "\n") {
			f := strings.Fields(l)
			if len(f) < 2 || !strings.HasPrefix(f[0], "sha256:") {
				continue
			}
			id := strings.TrimPrefix(f[0], "sha256:")
			if f[1] == "0" && !v.existing[id] && !slices.Contains(rm, id) {
				rm = append(rm, id)
				if len(f) > 2 {
					parent[id] = strings.TrimPrefix(f[2], "sha256:")
				}
			}
		}
		if len(rm) > 0 {
			out, _ := call(append([]string{"image", "rm", "--no-prune"}, childrenFirst(rm, parent)...)...)
			rmErrors(out)
		}
	}
	if v.tmp != "" {
		if err := os.RemoveAll(v.tmp); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// childrenFirst orders ids (newest first) so that no image comes after
// its parent: an image with a child cannot be removed. A step one build
// took from another's cache is first seen in the later build, so the
// order of the builds alone is not enough.
func childrenFirst(ids []string, parent map[string]string) []string {
	left := slices.Clone(ids)
	var order []string
	for len(left) > 0 {
		isParent := map[string]bool{}
		for _, id := range left {
			isParent[parent[id]] = true
		}
		var rest []string
		for _, id := range left {
			if isParent[id] {
				rest = append(rest, id)
			} else {
				order = append(order, id)
			}
		}
		if len(rest) == len(left) { // a cycle cannot be; keep the rest as they are
			return append(order, rest...)
		}
		left = rest
	}
	return order
}

func hasChildren(out []byte) bool {
	return strings.Contains(strings.ToLower(string(out)), "dependent child")
}

func notFound(out []byte) bool {
	s := strings.ToLower(string(out))
	return strings.Contains(s, "no such image")
}

// copyTree copies the directory src to dst (which must not exist):
// directories and symlinks recreated, regular files hardlinked when the
// file system allows it, copied otherwise; modes kept.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		case info.Mode()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(l, target)
		case info.Mode().IsRegular():
			if os.Link(p, target) == nil {
				return nil
			}
			return copyFile(p, target, info.Mode().Perm())
		}
		return nil // sockets, devices: not part of a build context
	})
}

func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// lastLine is the last non-empty line of out, trimmed.
func lastLine(out []byte) string {
	var o output
	o.Write(out)
	o.flush()
	return o.LastLine()
}

func errLine(out []byte, err error) string {
	if l := lastLine(out); l != "" {
		return l
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// jsonStrings reads a JSON array of strings ("null" → none) without
// failing on anything else.
func jsonStrings(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" || s == "[]" {
		return nil
	}
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return []string{s}
	}
	return out
}
