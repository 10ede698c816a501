package safefile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
)

// ErrChanged is returned (wrapped, naming the file) when a file to replace
// no longer holds what the caller read.
var ErrChanged = errors.New("changed since it was read")

// errNoExchange: the system or file system cannot swap two files.
var errNoExchange = errors.New("no atomic exchange")

// maxBackups bounds the search for a free backup name.
const maxBackups = 10000

// A Txn writes several files as one change: every file, or none.
//
// Create, Backup and Replace stage a file: they check what can be checked
// (the directory exists, a new file does not, a replaced file still holds
// what was read) and write the content to a synced temporary file in the
// target's directory, with the target's owner (when the process may give
// it) and full mode, set-id and sticky bits included. Nothing the user
// sees changes until Commit. Abort (deferred) removes what is left.
//
// Commit checks the context before every step and does new files first,
// then backups, then replacements: a new file is hard-linked into place
// (a file that appeared meanwhile is never replaced), a backup is linked
// at the first free name, and a replaced file is swapped in. When a step
// fails, the ones done are undone in reverse order.
type Txn struct {
	ops    []*op
	done   []*op
	closed bool
}

type opKind uint8

const (
	opCreate opKind = iota
	opBackup
	opReplace
)

type op struct {
	kind    opKind
	path    string      // the target (a backup's: the file backed up)
	tmp     string      // the staged temporary file
	tmpInfo fs.FileInfo // its inode, to recognise it later
	data    []byte
	expect  []byte // replace: what path must still hold; nil: anything
	inPlace bool   // replace a file with several links in place
	final   string // backup: the name it got
	swapped bool   // replace: tmp holds the file swapped out
	old     []byte // replace in place: the content to restore
	renamed bool   // replace: renamed over the path (no swap)
	oldLink string // and the old file's second name, to undo that
	keep    bool   // leave tmp: it holds a file someone else wrote
}

// Staged is a file of a Txn; Path is the file written (for a backup:
// once committed).
type Staged struct{ op *op }

// Path is where the file is (or will be) written: links followed for a
// replaced file, the name chosen for a backup.
func (s *Staged) Path() string {
	if s.op.kind == opBackup {
		return s.op.final
	}
	return s.op.path
}

// ReplaceOptions tune Replace.
type ReplaceOptions struct {
	// FollowLinks writes the file a symbolic link at the path names; the
	// link stays. Without it a link is replaced by the new file.
	FollowLinks bool
	// Expect, when not nil, is what the file must hold: checked when it is
	// staged and again as it is swapped, so that a change made in between
	// is never lost.
	Expect []byte
	// KeepLinks writes a file with several hard links in place, after the
	// other files (its backup) are committed, so that every link sees the
	// change. Without it the file is replaced by a new one and its other
	// links keep the old content. It needs Expect, and a backup staged in
	// the same Txn: an in-place write is not atomic.
	KeepLinks bool
}

// Create stages a new file at path; it fails now if path exists or its
// directory does not, and at Commit if path appeared meanwhile.
func (t *Txn) Create(path string, data []byte, mode fs.FileMode) (*Staged, error) {
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("%s exists: not replaced", path)
	} else if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
		return nil, err
	}
	o := &op{kind: opCreate, path: path, data: data}
	if err := o.stage(mode, nil); err != nil {
		return nil, err
	}
	return t.add(o), nil
}

// Backup stages a copy of data, with the owner and mode of the file at
// path, to be linked at Commit as PATH.bak, or PATH.bak.N for the first N
// free: a backup never replaces a file.
func (t *Txn) Backup(path string, data []byte) (*Staged, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	o := &op{kind: opBackup, path: path, data: data}
	if err := o.stage(0, st); err != nil {
		return nil, err
	}
	return t.add(o), nil
}

// Replace stages data for path (with FollowLinks, for the file its link
// names; without, a link is replaced by the new file). A path that does
// not exist is created as by Create; one that is not a regular file is
// refused.
func (t *Txn) Replace(path string, data []byte, opts ReplaceOptions) (*Staged, error) {
	target := path
	if opts.FollowLinks {
		var err error
		if target, err = Resolve(path); err != nil {
			return nil, err
		}
	}
	st, err := os.Lstat(target)
	if errors.Is(err, fs.ErrNotExist) {
		if opts.Expect != nil {
			return nil, fmt.Errorf("%s: %w", path, fs.ErrNotExist)
		}
		return t.Create(target, data, 0o644)
	}
	if err != nil {
		return nil, err
	}
	o := &op{kind: opReplace, path: target, data: data, expect: opts.Expect}
	if st.Mode()&fs.ModeSymlink != 0 {
		// Not followed: the link itself is replaced by a new file, as a
		// rename does, with a new file's mode.
		if err := o.stage(0o644, nil); err != nil {
			return nil, err
		}
		return t.add(o), nil
	}
	if err := regular(target, st); err != nil {
		return nil, err
	}
	if err := o.check(target); err != nil {
		return nil, err
	}
	if opts.KeepLinks && opts.Expect != nil && links(st) > 1 {
		// Checked now rather than half-way through the commit.
		f, err := os.OpenFile(target, os.O_WRONLY, 0)
		if err != nil {
			return nil, err
		}
		f.Close()
		o.inPlace = true
		return t.add(o), nil
	}
	if err := o.stage(0, st); err != nil {
		return nil, err
	}
	return t.add(o), nil
}

func (t *Txn) add(o *op) *Staged {
	t.ops = append(t.ops, o)
	return &Staged{op: o}
}

// Commit puts every staged file in place, or none: see Txn.
func (t *Txn) Commit(ctx context.Context) error {
	if t.closed {
		return errors.New("safefile: Commit after Commit or Abort")
	}
	defer t.Abort()
	ops := slices.Clone(t.ops)
	slices.SortStableFunc(ops, func(a, b *op) int { return int(a.kind) - int(b.kind) })
	for _, o := range ops {
		if err := ctx.Err(); err != nil {
			return t.rollback(err)
		}
		if err := o.commit(); err != nil {
			return t.rollback(err)
		}
		t.done = append(t.done, o)
	}
	return nil
}

// rollback undoes the committed steps, newest first, and returns err with
// anything that could not be undone.
func (t *Txn) rollback(err error) error {
	for i := len(t.done) - 1; i >= 0; i-- {
		if uerr := t.done[i].undo(); uerr != nil {
			err = fmt.Errorf("%w; undoing it: %v", err, uerr)
		}
	}
	t.done = nil
	return err
}

// Abort removes the temporary files; after Commit it only tidies up.
func (t *Txn) Abort() {
	t.closed = true
	for _, o := range t.ops {
		if o.tmp != "" && !o.keep {
			os.Remove(o.tmp)
		}
		if o.oldLink != "" {
			os.Remove(o.oldLink)
		}
	}
}

// stage writes o.data to a synced temporary file in the target's
// directory: with like's owner (when permitted) and mode, or with mode.
func (o *op) stage(mode fs.FileMode, like fs.FileInfo) error {
	dir := filepath.Dir(o.path)
	if st, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("the directory %s does not exist", dir)
		}
		return err
	} else if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(o.path)+".slimpy-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, unwrapPath(err))
	}
	o.tmp = f.Name()
	fail := func(err error) error {
		f.Close()
		return fmt.Errorf("writing %s: %w", o.path, unwrapPath(err))
	}
	if _, err := f.Write(o.data); err != nil {
		return fail(err)
	}
	if like != nil {
		mode = like.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
		if uid, gid, ok := owner(like); ok {
			// chown before chmod: chown clears the set-id bits. A file
			// that cannot keep its owner does not keep them either (as
			// cp -p does): they would then grant another user's rights.
			if err := f.Chown(uid, gid); err != nil {
				mode &^= fs.ModeSetuid | fs.ModeSetgid
			}
		}
	}
	if err := f.Chmod(mode); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if o.tmpInfo, err = f.Stat(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", o.path, unwrapPath(err))
	}
	return nil
}

// check compares what is at p with o.expect.
func (o *op) check(p string) error {
	if o.expect == nil {
		return nil
	}
	cur, tooLarge, err := readRegular(p, int64(len(o.expect)))
	if err != nil {
		return err
	}
	if tooLarge || !bytes.Equal(cur, o.expect) {
		return fmt.Errorf("%s %w", o.path, ErrChanged)
	}
	return nil
}

func (o *op) commit() error {
	switch o.kind {
	case opCreate:
		return o.link(o.path)
	case opBackup:
		for n := 0; n < maxBackups; n++ {
			name := o.path + ".bak"
			if n > 0 {
				name = fmt.Sprintf("%s.bak.%d", o.path, n)
			}
			err := os.Link(o.tmp, name)
			if err == nil {
				o.final = name
				return nil
			}
			if !errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("keeping the original as %s: %w", name, unwrapPath(err))
			}
		}
		return fmt.Errorf("keeping the original: %s.bak to .bak.%d are all taken", o.path, maxBackups-1)
	}
	if o.inPlace {
		return o.rewrite(o.data, o.expect)
	}
	testHookBeforeSwap(o.path)
	err := swapFiles(o.tmp, o.path)
	if err == nil {
		// tmp now holds what was at the path at that instant: compared
		// after the swap, so that no edit can slip in between.
		o.swapped = true
		if err := o.check(o.tmp); err != nil {
			if uerr := o.undo(); uerr != nil {
				return fmt.Errorf("%w; undoing it: %v", err, uerr)
			}
			return err
		}
		return nil
	}
	if !errors.Is(err, errNoExchange) {
		return fmt.Errorf("writing %s: %w", o.path, unwrapPath(err))
	}
	// No atomic swap on this system or file system: compare, then rename,
	// as close together as it gets. The old file keeps a second name until
	// the commit is over, to undo the rename.
	if err := o.check(o.path); err != nil {
		return err
	}
	if os.Link(o.path, o.tmp+".old") == nil {
		o.oldLink = o.tmp + ".old"
	}
	if err := os.Rename(o.tmp, o.path); err != nil {
		return fmt.Errorf("writing %s: %w", o.path, unwrapPath(err))
	}
	o.renamed = true
	return nil
}

// link puts the staged file at p, never replacing a file.
func (o *op) link(p string) error {
	if err := os.Link(o.tmp, p); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s appeared meanwhile: not replaced", p)
		}
		return fmt.Errorf("writing %s: %w", p, unwrapPath(err))
	}
	return nil
}

// rewrite writes data over the file in place once it still holds expect
// (nil: anything); what it held is kept in o.old to undo.
func (o *op) rewrite(data, expect []byte) error {
	f, err := os.OpenFile(o.path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if expect != nil {
		cur := make([]byte, len(expect)+1)
		n, err := io.ReadFull(f, cur)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return err
		}
		if !bytes.Equal(cur[:n], expect) {
			return fmt.Errorf("%s %w", o.path, ErrChanged)
		}
		o.old = expect
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		return err
	}
	return f.Sync()
}

// undo reverts a committed step, only where the file is still the one
// this Txn put there.
func (o *op) undo() error {
	switch o.kind {
	case opCreate:
		return o.unlinkOurs(o.path)
	case opBackup:
		err := o.unlinkOurs(o.final)
		o.final = ""
		return err
	}
	if o.inPlace {
		return o.rewrite(o.old, nil)
	}
	if o.swapped {
		if err := swapFiles(o.tmp, o.path); err != nil {
			return err
		}
		if st, err := os.Lstat(o.tmp); err != nil || !os.SameFile(st, o.tmpInfo) {
			// Someone replaced the file after the swap: what they wrote
			// is now at tmp; keep it.
			o.keep = true
			return fmt.Errorf("%s was replaced while slimpy wrote it; that version is kept as %s", o.path, o.tmp)
		}
		return nil
	}
	if o.renamed {
		if o.oldLink == "" {
			return fmt.Errorf("%s cannot be restored: this file system has no hard links", o.path)
		}
		if err := os.Rename(o.oldLink, o.path); err != nil {
			return err
		}
		o.oldLink = ""
	}
	return nil
}

// unlinkOurs removes p when it is the temporary file's inode.
func (o *op) unlinkOurs(p string) error {
	st, err := os.Lstat(p)
	if err != nil || !os.SameFile(st, o.tmpInfo) {
		return nil
	}
	return os.Remove(p)
}

// Resolve follows p's symbolic links (of its last element, up to 40 as the
// kernel does) to the file they name; a name that does not exist is
// returned as it is.
func Resolve(p string) (string, error) {
	orig := p
	for range 40 {
		st, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return p, nil
		}
		if err != nil {
			return "", err
		}
		if st.Mode()&fs.ModeSymlink == 0 {
			return p, nil
		}
		dest, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(dest) {
			// Relative to the link's real directory: ".." from a
			// linked directory is not what Clean would make of it.
			dir, err := filepath.EvalSymlinks(filepath.Dir(p))
			if err != nil {
				return "", err
			}
			dest = filepath.Join(dir, dest)
		}
		p = dest
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", orig)
}

// SameFile reports whether a and b name the same file, links followed.
func SameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}

// unwrapPath drops the *PathError or *LinkError around err: its path is a
// temporary file's, which means nothing to the user.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// swapFiles is exchange; a test takes it away to run the fallback.
var swapFiles = exchange

// testHookBeforeSwap lets a test change a file between its check and the
// swap.
var testHookBeforeSwap = func(string) {}
