//go:build linux

package safefile

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func write(t *testing.T, p, s string, mode fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // past the umask, with set-id bits
		t.Fatal(err)
	}
}

func content(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func absent(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s exists", p)
		}
	}
}

// noTemps: no temporary file of a Txn is left in dir.
func noTemps(t *testing.T, dir string) {
	t.Helper()
	left, _ := filepath.Glob(filepath.Join(dir, ".*.slimpy-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestReadRegular(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "Dockerfile")
	write(t, reg, "FROM scratch\n", 0o644)
	link := filepath.Join(dir, "link")
	os.Symlink("Dockerfile", link)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{reg, link} {
		if b, err := ReadRegular(p, 13); err != nil || string(b) != "FROM scratch\n" {
			t.Errorf("%s: %q %v", p, b, err)
		}
	}
	for _, c := range []struct{ path, want string }{
		{fifo, "is a named pipe, not a regular file"}, // would block until a writer opens it
		{"/dev/zero", "is a device, not a regular file"},
		{dir, "is a directory, not a regular file"},
	} {
		if _, err := ReadRegular(c.path, 1<<20); !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), c.path+" "+c.want) {
			t.Errorf("%s: %v", c.path, err)
		}
	}
	if _, err := ReadRegular(reg, 12); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "the limit is 12 B") {
		t.Errorf("too large: %v", err)
	}
}

// TestCommitAllOrNothing: a step that fails late (the replaced file
// changed between staging and commit) undoes the new file and the backup
// committed before it.
func TestCommitAllOrNothing(t *testing.T) {
	tx, dir, df, bak := stageFix(t)
	write(t, df, "FROM edited\n", 0o644) // an editor saves in place
	if err := tx.Commit(context.Background()); !errors.Is(err, ErrChanged) {
		t.Fatalf("commit: %v", err)
	}
	if got := content(t, df); got != "FROM edited\n" {
		t.Errorf("the edit was lost: %q", got)
	}
	absent(t, filepath.Join(dir, ".dockerignore"), df+".bak")
	if bak.Path() != "" {
		t.Errorf("backup path %q after an undone commit", bak.Path())
	}
	noTemps(t, dir)
}

// stageFix stages what a fix writes: a new .dockerignore, the backup and
// the new Dockerfile ("FROM a" becomes "FROM b").
func stageFix(t *testing.T) (tx *Txn, dir, df string, bak *Staged) {
	t.Helper()
	dir = t.TempDir()
	df = filepath.Join(dir, "Dockerfile")
	write(t, df, "FROM a\n", 0o644)
	tx = &Txn{}
	t.Cleanup(tx.Abort)
	if _, err := tx.Create(filepath.Join(dir, ".dockerignore"), []byte(".git\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bak, err := tx.Backup(df, []byte("FROM a\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Replace(df, []byte("FROM b\n"), ReplaceOptions{Expect: []byte("FROM a\n")}); err != nil {
		t.Fatal(err)
	}
	return tx, dir, df, bak
}

// TestEditBetweenCheckAndSwap: an editor's save (a rename over the file,
// as vim and most editors do) after the last check and before the swap is
// kept; without the atomic exchange it was replaced and lost.
func TestEditBetweenCheckAndSwap(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		t.Run(map[bool]string{false: "exchange", true: "fallback"}[fallback], func(t *testing.T) {
			dir := t.TempDir()
			df := filepath.Join(dir, "Dockerfile")
			write(t, df, "FROM a\n", 0o644)
			saved := false
			testHookBeforeSwap = func(p string) {
				if fallback {
					return // compare-then-rename has its window by design
				}
				saved = true
				tmp := filepath.Join(dir, "editor.tmp")
				write(t, tmp, "FROM edited\n", 0o644)
				os.Rename(tmp, p)
			}
			defer func() { testHookBeforeSwap = func(string) {} }()
			if fallback {
				swapFiles = func(string, string) error { return errNoExchange }
				defer func() { swapFiles = exchange }()
			}
			var tx Txn
			defer tx.Abort()
			if _, err := tx.Backup(df, []byte("FROM a\n")); err != nil {
				t.Fatal(err)
			}
			s, err := tx.Replace(df, []byte("FROM b\n"), ReplaceOptions{Expect: []byte("FROM a\n")})
			if err != nil {
				t.Fatal(err)
			}
			err = tx.Commit(context.Background())
			want := "FROM b\n"
			if saved {
				want = "FROM edited\n"
				if !errors.Is(err, ErrChanged) {
					t.Errorf("commit: %v", err)
				}
				absent(t, df+".bak")
			} else if err != nil || content(t, df+".bak") != "FROM a\n" {
				t.Errorf("commit: %v", err)
			}
			if got := content(t, df); got != want || s.Path() != df {
				t.Errorf("Dockerfile %q, want %q", got, want)
			}
			noTemps(t, dir)
		})
	}
}

func TestCommitCancelledWritesNothing(t *testing.T) {
	tx, dir, df, _ := stageFix(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := tx.Commit(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("commit: %v", err)
	}
	if content(t, df) != "FROM a\n" {
		t.Error("written after cancellation")
	}
	absent(t, filepath.Join(dir, ".dockerignore"), df+".bak")
	noTemps(t, dir)
}

func TestStagingChecksFirst(t *testing.T) {
	dir := t.TempDir()
	df := filepath.Join(dir, "Dockerfile")
	write(t, df, "FROM a\n", 0o644)
	var tx Txn
	defer tx.Abort()
	for _, c := range []struct {
		stage func() error
		want  string
	}{
		{func() error { _, err := tx.Create(filepath.Join(dir, "nope", ".dockerignore"), nil, 0o644); return err }, "the directory " + dir + "/nope does not exist"},
		{func() error { _, err := tx.Create(filepath.Join(df, ".dockerignore"), nil, 0o644); return err }, df + " is not a directory"},
		{func() error { _, err := tx.Create(df, nil, 0o644); return err }, df + " exists: not replaced"},
		{func() error {
			_, err := tx.Replace(df, nil, ReplaceOptions{Expect: []byte("FROM other\n")})
			return err
		}, df + " changed since it was read"},
		{func() error { _, err := tx.Replace("/dev/null", nil, ReplaceOptions{}); return err }, "/dev/null is a device, not a regular file"},
	} {
		if err := c.stage(); err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
	// Not writable: refused while staging, with no temporary name in the
	// message (root may write anywhere: a read-only mount stands in).
	if os.Geteuid() != 0 {
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o555)
		if _, err := tx.Create(filepath.Join(ro, "x"), nil, 0o644); err == nil || err.Error() != "cannot write in "+ro+": permission denied" {
			t.Errorf("read-only directory: %v", err)
		}
	} else if _, err := tx.Create("/proc/x", nil, 0o644); err == nil || strings.Contains(err.Error(), "slimpy-") {
		t.Errorf("read-only directory: %v", err)
	}
}

// TestReplaceKeepsLinksOwnerAndMode: a symbolic link stays a link and its
// target is written; owner and mode (set-id and sticky bits too) are kept;
// a file with several hard links is written in place so that every link
// sees the change.
func TestReplaceKeepsLinksOwnerAndMode(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real", "Dockerfile")
	os.Mkdir(filepath.Dir(real), 0o755)
	write(t, real, "FROM a\n", 0o644|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)
	uid, gid := os.Getuid(), os.Getgid()
	if os.Geteuid() == 0 {
		uid, gid = 1234, 5678
		if err := os.Chown(real, uid, gid); err != nil {
			t.Fatal(err)
		}
		os.Chmod(real, 0o644|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) // chown cleared them
	}
	link := filepath.Join(dir, "Dockerfile")
	os.Symlink("real/Dockerfile", link)

	var tx Txn
	defer tx.Abort()
	if _, err := tx.Backup(real, []byte("FROM a\n")); err != nil {
		t.Fatal(err)
	}
	s, err := tx.Replace(link, []byte("FROM b\r\n"), ReplaceOptions{Expect: []byte("FROM a\n"), FollowLinks: true, KeepLinks: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Lstat(link); st.Mode()&fs.ModeSymlink == 0 {
		t.Error("the link was replaced by a file")
	}
	if s.Path() != real || content(t, real) != "FROM b\r\n" {
		t.Errorf("wrote %s: %q", s.Path(), content(t, real))
	}
	for _, p := range []string{real, real + ".bak"} {
		st, _ := os.Stat(p)
		if want := 0o644 | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky; st.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, st.Mode(), want)
		}
		if u, g, _ := owner(st); u != uid || g != gid {
			t.Errorf("%s: owner %d:%d, want %d:%d", p, u, g, uid, gid)
		}
	}

	// Hard links: in place, every name sees it.
	other := filepath.Join(dir, "Dockerfile.prod")
	if err := os.Link(real, other); err != nil {
		t.Fatal(err)
	}
	var tx2 Txn
	defer tx2.Abort()
	if _, err := tx2.Backup(real, []byte("FROM b\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := tx2.Replace(real, []byte("FROM c\n"), ReplaceOptions{Expect: []byte("FROM b\r\n"), KeepLinks: true}); err != nil {
		t.Fatal(err)
	}
	if err := tx2.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if content(t, other) != "FROM c\n" || content(t, real+".bak.1") != "FROM b\r\n" {
		t.Errorf("hard link %q, backup %q", content(t, other), content(t, real+".bak.1"))
	}
	noTemps(t, filepath.Dir(real))
}

// TestUndoReplacement: of two replaced files, the second fails: the first
// is put back (swapped back, or renamed back in the fallback).
func TestUndoReplacement(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		dir := t.TempDir()
		a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
		write(t, a, "old a", 0o600)
		write(t, b, "old b", 0o600)
		if fallback {
			swapFiles = func(string, string) error { return errNoExchange }
		}
		var tx Txn
		tx.Replace(a, []byte("new a"), ReplaceOptions{})
		tx.Replace(b, []byte("new b"), ReplaceOptions{Expect: []byte("old b")})
		write(t, b, "edited b", 0o600)
		err := tx.Commit(context.Background())
		swapFiles = exchange
		if !errors.Is(err, ErrChanged) || content(t, a) != "old a" || content(t, b) != "edited b" {
			t.Errorf("fallback %v: %v; a %q, b %q", fallback, err, content(t, a), content(t, b))
		}
		if st, _ := os.Stat(a); st.Mode().Perm() != 0o600 {
			t.Errorf("mode %v", st.Mode())
		}
		noTemps(t, dir)
		if left, _ := filepath.Glob(filepath.Join(dir, "*.old")); len(left) > 0 {
			t.Errorf("left %v", left)
		}
	}
}

// TestOpenRegularGrowing: a file that grows past the limit while it is
// read fails the read; one at the limit is read whole.
func TestOpenRegularGrowing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "base.json")
	write(t, p, "0123456789", 0o644)
	f, err := OpenRegular(p, 10)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(f); err != nil || string(b) != "0123456789" {
		t.Errorf("%q %v", b, err)
	}
	f.Close()
	f, _ = OpenRegular(p, 10)
	defer f.Close()
	write(t, p, "0123456789+", 0o644)
	if _, err := io.ReadAll(f); !errors.Is(err, ErrTooLarge) {
		t.Errorf("grown: %v", err)
	}
	if _, err := OpenRegular("/dev/zero", 10); !errors.Is(err, ErrNotRegular) {
		t.Errorf("/dev/zero: %v", err)
	}
}

// TestReplaceLinkNotFollowed: without FollowLinks (ci's reports) a link is
// replaced by a new file of mode 0644; what it named is left alone.
func TestReplaceLinkNotFollowed(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "bashrc")
	write(t, victim, "keep me", 0o600)
	link := filepath.Join(dir, "report.md")
	os.Symlink(victim, link)
	var tx Txn
	defer tx.Abort()
	if _, err := tx.Replace(link, []byte("# report"), ReplaceOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Lstat(link)
	if !st.Mode().IsRegular() || st.Mode().Perm() != 0o644 || content(t, link) != "# report" || content(t, victim) != "keep me" {
		t.Errorf("link %v %q, target %q", st.Mode(), content(t, link), content(t, victim))
	}
}
