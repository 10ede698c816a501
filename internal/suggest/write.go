package suggest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"

	"github.com/slimpy/slimpy/internal/safefile"
)

// WriteOptions say where WriteFile puts what Apply made.
type WriteOptions struct {
	// Output, when set and not the Dockerfile itself, receives the
	// Dockerfile instead of path: path stays as it is, no backup is kept,
	// and an existing Output is replaced atomically. An Output that is the
	// same file as path (./Dockerfile, its absolute path, a link to it) is
	// the Dockerfile: it is written as without Output.
	Output string
	// Dir is the build context, where new files (.dockerignore) go;
	// default: the directory of path (never Output's).
	Dir string
}

// Written says what WriteFile wrote.
type Written struct {
	Dockerfile string   // the file written, links followed; "" when nothing changed
	Backup     string   // where the original was kept; "" with Output
	Files      []string // the new files, in name order
}

// ErrChanged: the Dockerfile changed on disk since it was read.
var ErrChanged = safefile.ErrChanged

// WriteFile writes r (Apply's result for the Dockerfile at path, whose
// bytes were orig when the suggestions were derived) as slimpy fix and the
// interactive view do: WriteFileContext without a context to cancel it.
func WriteFile(path string, orig []byte, r Result, o WriteOptions) (Written, error) {
	return WriteFileContext(context.Background(), path, orig, r, o)
}

// WriteFileContext writes every file of r, or none (a safefile.Txn):
//
//   - it refuses, writing nothing, when path no longer holds orig (checked
//     first, and again atomically as the new file is swapped in: an edit
//     made meanwhile is kept, never replaced), when a new file exists, or
//     when a directory is missing or not writable;
//   - a symbolic link at path is followed and its target written; the
//     link stays a link;
//   - replacing the Dockerfile keeps the original as TARGET.bak, or
//     TARGET.bak.N for the first free N (a backup is never overwritten),
//     with the original's owner and mode;
//   - the new Dockerfile keeps the original's owner (when the process may
//     give it) and full mode, set-id and sticky bits included;
//   - a Dockerfile with several hard links is rewritten in place once its
//     backup is on disk, so that every link sees the change (a rename
//     would leave the others with the old text); that write is not
//     atomic, which the backup makes up for;
//   - bytes are written as they are: line endings (CRLF) are the result's;
//   - ctx is checked before every step; a cancelled write undoes what it
//     did. path "" means no Dockerfile on disk (a reconstruction): Output
//     is then required, and Dir for new files.
func WriteFileContext(ctx context.Context, path string, orig []byte, r Result, o WriteOptions) (Written, error) {
	inPlace := path != "" && (o.Output == "" || safefile.SameFile(path, o.Output))
	if path == "" && o.Output == "" {
		return Written{}, errors.New("nothing to write to: no Dockerfile and no output file")
	}
	fail := func(err error) (Written, error) {
		if errors.Is(err, ErrChanged) {
			return Written{}, fmt.Errorf("%w: nothing written; run slimpy fix again", err)
		}
		return Written{}, fmt.Errorf("%w: nothing written", err)
	}
	if inPlace {
		if err := unchanged(path, orig); err != nil {
			return fail(err)
		}
	}
	dir := o.Dir
	if dir == "" && len(r.Files) > 0 {
		if path == "" {
			return fail(errors.New("no build context for the new files: give the build context directory"))
		}
		dir = filepath.Dir(path)
	}

	var t safefile.Txn
	defer t.Abort()
	var files []*safefile.Staged
	for _, n := range slices.Sorted(maps.Keys(r.Files)) {
		rel := filepath.FromSlash(n)
		if !filepath.IsLocal(rel) {
			return fail(fmt.Errorf("new file %q is not inside the build context", n))
		}
		s, err := t.Create(filepath.Join(dir, rel), []byte(r.Files[n]), 0o644)
		if err != nil {
			return fail(err)
		}
		files = append(files, s)
	}
	var df, bak *safefile.Staged
	var err error
	switch {
	case !inPlace:
		df, err = t.Replace(o.Output, []byte(r.Dockerfile), safefile.ReplaceOptions{FollowLinks: true})
	case r.Dockerfile != string(orig):
		df, err = t.Replace(path, []byte(r.Dockerfile), safefile.ReplaceOptions{Expect: orig, FollowLinks: true, KeepLinks: true})
		if err == nil {
			bak, err = t.Backup(df.Path(), orig)
		}
	}
	if err != nil {
		return fail(err)
	}
	if err := t.Commit(ctx); err != nil {
		return fail(err)
	}
	var w Written
	if df != nil {
		w.Dockerfile = df.Path()
	}
	if bak != nil {
		w.Backup = bak.Path()
	}
	for _, s := range files {
		w.Files = append(w.Files, s.Path())
	}
	return w, nil
}

// unchanged refuses a Dockerfile that no longer holds orig.
func unchanged(path string, orig []byte) error {
	cur, err := safefile.ReadRegular(path, int64(len(orig)))
	if errors.Is(err, safefile.ErrTooLarge) || err == nil && !bytes.Equal(cur, orig) {
		return fmt.Errorf("%s %w", path, ErrChanged)
	}
	if err != nil {
		return fmt.Errorf("reading %s again: %w", path, err)
	}
	return nil
}
