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
// (such as .dockerignore) beside it, as slimpy fix does: it refuses when
// the Dockerfile is no longer orig (changed since it was read), keeps the
// original as PATH.bak (PATH.bak.1, .2 … when taken), writes through a
// synced temporary file renamed over the target (a reader sees the old
// file or the new one, never a part), keeps the file's mode, and never
// replaces an existing file with a new one.
func SaveAtomic(path string, orig []byte, r suggest.Result) (Written, error) {
	changed := func() error {
		cur, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !bytes.Equal(cur, orig) {
			return fmt.Errorf("%s changed since it was read: nothing written", path)
		}
		return nil
	}
	if err := changed(); err != nil {
		return Written{}, err
	}
	dir := filepath.Dir(path)
	names := make([]string, 0, len(r.Files))
	for n := range r.Files {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if _, err := os.Lstat(p); err == nil {
			return Written{}, fmt.Errorf("%s exists: not replaced, nothing written", p)
		}
		names = append(names, n)
	}
	slices.Sort(names)
	var w Written
	if r.Dockerfile != string(orig) {
		mode := os.FileMode(0o644)
		if st, err := os.Stat(path); err == nil {
			mode = st.Mode().Perm()
		}
		backup := freeBackupName(path)
		if err := writeAtomic(backup, orig, mode, nil); err != nil {
			return w, fmt.Errorf("keeping the original: %w", err)
		}
		if err := writeAtomic(path, []byte(r.Dockerfile), mode, changed); err != nil {
			return w, err
		}
		name := filepath.Base(path)
		w.Files = append(w.Files, WrittenFile{Path: path, Backup: backup, Content: r.Dockerfile,
			Diff: udiff.Unified("a/"+name, "b/"+name, string(orig), r.Dockerfile)})
	}
	for _, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		exists := func() error {
			if _, err := os.Lstat(p); err == nil {
				return fmt.Errorf("%s exists: not replaced", p)
			}
			return nil
		}
		if err := writeAtomic(p, []byte(r.Files[n]), 0o644, exists); err != nil {
			return w, err
		}
		w.Files = append(w.Files, WrittenFile{Path: p, Content: r.Files[n],
			Diff: udiff.Unified("/dev/null", "b/"+n, "", r.Files[n])})
	}
	return w, nil
}

// freeBackupName is PATH.bak, or PATH.bak.N for the first N free.
func freeBackupName(p string) string {
	b := p + ".bak"
	for n := 1; ; n++ {
		if _, err := os.Lstat(b); errors.Is(err, os.ErrNotExist) {
			return b
		}
		b = fmt.Sprintf("%s.bak.%d", p, n)
	}
}

// writeAtomic replaces path with data through a synced temporary file in
// the same directory, renamed over it once check (if any) still passes.
func writeAtomic(path string, data []byte, mode os.FileMode, check func() error) error {
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
	if check != nil {
		if err := check(); err != nil { // as close to the rename as it gets
			return err
		}
	}
	return os.Rename(tmp.Name(), path)
}
