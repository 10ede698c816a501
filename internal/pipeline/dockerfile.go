package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/rules"
	"github.com/slimpy/slimpy/internal/safefile"
	"github.com/slimpy/slimpy/internal/suggest"
)

// MaxContextFileBytes bounds a build-context file read for the
// suggestions (.dockerignore); the Dockerfile's is
// suggest.MaxDockerfileSize.
const MaxContextFileBytes = 1 << 20

// DockerfilePath is the Dockerfile flag's value, else ./Dockerfile when one
// is there, else "".
func DockerfilePath(flag string) string {
	if flag == "" {
		if _, err := os.Lstat("Dockerfile"); err == nil {
			return "Dockerfile"
		}
	}
	return flag
}

// ReadDockerfile reads a Dockerfile: a regular file, bounded.
func ReadDockerfile(path string) ([]byte, error) {
	b, err := safefile.ReadRegular(path, suggest.MaxDockerfileSize)
	if err != nil {
		return nil, fmt.Errorf("reading the Dockerfile: %w", err)
	}
	return b, nil
}

// ContextFiles reads the build context's files for the suggestions. One
// that exists but cannot be read (a pipe, too large) counts as present and
// empty: the suggestions must not propose to create it.
func ContextFiles(dir string) func(name string) (string, bool) {
	return func(name string) (string, bool) {
		b, err := safefile.ReadRegular(filepath.Join(dir, name), MaxContextFileBytes)
		if err != nil {
			_, lerr := os.Lstat(filepath.Join(dir, name))
			return "", lerr == nil
		}
		return string(b), true
	}
}

// Workspace is what the suggestions work on: the Dockerfile (read once)
// and, once Measure ran, the image it is measured on.
type Workspace struct {
	Path          string // the Dockerfile's path; "" when reconstructed
	Src           []byte // nil until a Dockerfile is read or reconstructed
	Reconstructed bool
	Opts          suggest.Options
	Image         string // the image reference, "" without one
	// Mismatch says why the Dockerfile did not build the image (its
	// savings are then not measured); "" when it did, or without an
	// image.
	Mismatch string
}

// Load reads the Dockerfile at path (DockerfilePath's choice; "" reads
// none, for a reconstruction) and checks that it parses; contextDir (""
// means the Dockerfile's directory) is where the suggestions look for
// .dockerignore.
func Load(path, contextDir string, now time.Time) (*Workspace, error) {
	w := &Workspace{Opts: suggest.Options{Now: now}}
	if path != "" {
		src, err := ReadDockerfile(path)
		if err != nil {
			return nil, err
		}
		if _, err := suggest.Parse(src); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		w.Path, w.Src = path, src
		w.Opts.Name = filepath.Base(path)
		if contextDir == "" {
			contextDir = filepath.Dir(path)
		}
	}
	if contextDir != "" {
		w.Opts.ContextFile = ContextFiles(contextDir)
	}
	return w, nil
}

// OnMismatch is what Measure does with a Dockerfile that did not build
// the image.
type OnMismatch int

const (
	// KeepUnmeasured keeps the Dockerfile; its suggestions are derived
	// without the image (savings not measured). The CLI: the user named
	// the file to rewrite.
	KeepUnmeasured OnMismatch = iota
	// Reconstruct rewrites the Dockerfile reconstructed from the history
	// instead. The TUI: it shows the image's own suggestions.
	Reconstruct
)

// Measure ties the workspace to an analysed image: without a Dockerfile,
// one reconstructed from the history; the Dockerfile's lines paired with
// the image's layers, so the suggestions' savings are measured on them.
func (w *Workspace) Measure(img *Image, facts *suggest.Facts, on OnMismatch) error {
	w.Image = img.Ref
	a, findings := img.Analysis, img.Findings
	if w.Src == nil {
		w.reconstruct(a, findings, img.Ref)
	}
	d, err := suggest.Parse(w.Src)
	if err != nil {
		return fmt.Errorf("the reconstructed Dockerfile does not parse: %w", err)
	}
	w.Opts.Facts = facts
	if !w.Reconstructed {
		if m := suggest.MatchImage(a, d); !m.OK() {
			// Its lines would be paired with another build's layers.
			w.Mismatch = m.Reason()
			if on == KeepUnmeasured {
				return nil
			}
			w.reconstruct(a, findings, img.Ref)
			w.Opts.ContextFile = nil // the reconstruction's context is unknown
			if d, err = suggest.Parse(w.Src); err != nil {
				return fmt.Errorf("the reconstructed Dockerfile does not parse: %w", err)
			}
		}
	}
	si := suggest.NewImage(a, findings, d)
	if si.FirstLayer > 0 {
		facts.BaseLayers = si.FirstLayer
	}
	w.Opts.Image = si
	return nil
}

func (w *Workspace) reconstruct(a *inspect.Analysis, findings []rules.Finding, ref string) {
	w.Path, w.Src, w.Reconstructed = "", []byte(suggest.Reconstruct(a, findings, ref)), true
	w.Opts.Name = "Dockerfile"
}
