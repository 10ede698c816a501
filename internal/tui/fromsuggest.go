package tui

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/aymanbagabas/go-udiff"
	"github.com/slimpy/slimpy/internal/suggest"
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
		return save(path, src, r)
	}
	return fx
}

// SaveAtomic writes the patched Dockerfile over path and the new files
// (such as .dockerignore) beside it. It refuses when the Dockerfile is no
// longer orig (changed since it was read); each file that existed is kept
// as NAME.bak, and each is written to a temporary file in its directory,
// synced and renamed over the old one, so a reader sees the old file or
// the new one, never a part.
func SaveAtomic(path string, orig []byte, r suggest.Result) (Written, error) {
	cur, err := os.ReadFile(path)
	if err != nil {
		return Written{}, err
	}
	if !bytes.Equal(cur, orig) {
		return Written{}, fmt.Errorf("%s changed since it was read: nothing written", path)
	}
	type file struct {
		path    string
		content string
	}
	files := []file{{path, r.Dockerfile}}
	names := make([]string, 0, len(r.Files))
	for n := range r.Files {
		names = append(names, n)
	}
	slices.Sort(names)
	dir := filepath.Dir(path)
	for _, n := range names {
		files = append(files, file{filepath.Join(dir, filepath.FromSlash(n)), r.Files[n]})
	}
	var w Written
	for _, f := range files {
		old, err := os.ReadFile(f.path)
		existed := err == nil
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return w, err
		}
		wf := WrittenFile{Path: f.path, Content: f.content,
			Diff: udiff.Unified("a/"+filepath.Base(f.path), "b/"+filepath.Base(f.path), string(old), f.content)}
		if existed {
			wf.Backup = f.path + ".bak"
			if err := writeAtomic(wf.Backup, old); err != nil {
				return w, fmt.Errorf("keeping the original: %w", err)
			}
		}
		if err := writeAtomic(f.path, []byte(f.content)); err != nil {
			return w, err
		}
		w.Files = append(w.Files, wf)
	}
	return w, nil
}

// writeAtomic replaces path with data through a synced temporary file in
// the same directory; an existing file keeps its permissions.
func writeAtomic(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".slimpy-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing left to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
