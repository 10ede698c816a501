package suggest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// WriteOptions say where WriteFile puts what Apply made.
type WriteOptions struct {
	// Output, when set, receives the Dockerfile instead of path: path
	// stays as it is, no backup is kept, and an existing Output is
	// replaced (atomically).
	Output string
	// Dir is where new files (.dockerignore) go; default: the directory
	// of the Dockerfile written.
	Dir string
}

// Written says what WriteFile wrote.
type Written struct {
	Dockerfile string   // the Dockerfile path written; "" when nothing changed
	Backup     string   // where the original was kept; "" with Output
	Files      []string // the new files, in name order
}

// WriteFile writes r (Apply's result for the Dockerfile at path, whose
// bytes were orig when the suggestions were derived) as slimpy fix and the
// interactive view do:
//
//   - it refuses, writing nothing, when path no longer holds orig (it
//     changed since it was read; checked first and again right before the
//     rename) or when a new file already exists;
//   - replacing path keeps the original as PATH.bak, or PATH.bak.N for the
//     first free N (a backup is never overwritten);
//   - every file goes through a synced temporary file in its directory,
//     renamed over the target (a reader sees the old or the new file, never
//     a part); the Dockerfile keeps its mode;
//   - new files are linked into place, so one that appeared meanwhile is
//     never replaced.
func WriteFile(path string, orig []byte, r Result, o WriteOptions) (Written, error) {
	var w Written
	target := path
	if o.Output != "" {
		target = o.Output
	}
	changed := func() error {
		cur, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("reading %s again: %w", path, err)
		}
		if !bytes.Equal(cur, orig) {
			return fmt.Errorf("%s changed since it was read: nothing written; run slimpy fix again", path)
		}
		return nil
	}
	if o.Output == "" {
		if err := changed(); err != nil {
			return w, err
		}
	}
	dir := o.Dir
	if dir == "" {
		dir = filepath.Dir(target)
	}
	names := make([]string, 0, len(r.Files))
	for n := range r.Files {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if _, err := os.Lstat(p); err == nil {
			return w, fmt.Errorf("%s exists: not replaced, nothing written", p)
		}
		names = append(names, n)
	}
	slices.Sort(names)

	if r.Dockerfile != string(orig) || o.Output != "" {
		mode := os.FileMode(0o644)
		if st, err := os.Stat(target); err == nil {
			mode = st.Mode().Perm()
		}
		var check func() error
		if o.Output == "" {
			w.Backup = freeBackupName(path)
			if err := replaceFile(w.Backup, orig, mode, nil); err != nil {
				return Written{}, fmt.Errorf("keeping the original: %w", err)
			}
			check = changed
		}
		if err := replaceFile(target, []byte(r.Dockerfile), mode, check); err != nil {
			return w, err
		}
		w.Dockerfile = target
	}
	for _, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := createFile(p, []byte(r.Files[n])); err != nil {
			return w, err
		}
		w.Files = append(w.Files, p)
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

// tempFile writes data with mode to a synced temporary file beside p.
func tempFile(p string, data []byte, mode os.FileMode) (string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".slimpy-*")
	if err != nil {
		return "", err
	}
	fail := func(err error) (string, error) {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", err
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Chmod(mode); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}

// replaceFile replaces p with data through a temporary file renamed over
// it once check (if any) still passes.
func replaceFile(p string, data []byte, mode os.FileMode, check func() error) error {
	tmp, err := tempFile(p, data, mode)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // after the rename there is nothing left to remove
	if check != nil {
		if err := check(); err != nil { // as close to the rename as it gets
			return err
		}
	}
	return os.Rename(tmp, p)
}

// createFile creates p with data, atomically, and never replaces an
// existing file: the link fails when p appeared meanwhile.
func createFile(p string, data []byte) error {
	tmp, err := tempFile(p, data, 0o644)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, p); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s exists: not replaced", p)
		}
		return fmt.Errorf("writing %s: %w", p, err)
	}
	return nil
}
