//go:build unix

package suggest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestWriteFileBackupsModeAndNewFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Dockerfile")
	orig := []byte("FROM python:3.11\nRUN pip install flask\n")
	if err := os.WriteFile(path, orig, 0o640); err != nil {
		t.Fatal(err)
	}
	r := Result{Dockerfile: "FROM python:3.11-slim\n", Files: map[string]string{".dockerignore": ".git\n"}}
	w, err := WriteFile(path, orig, r, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if w.Dockerfile != path || w.Backup != path+".bak" || len(w.Files) != 1 || w.Files[0] != filepath.Join(dir, ".dockerignore") {
		t.Fatalf("written %+v", w)
	}
	if b, _ := os.ReadFile(path); string(b) != r.Dockerfile {
		t.Errorf("Dockerfile %q", b)
	}
	if b, _ := os.ReadFile(path + ".bak"); string(b) != string(orig) {
		t.Errorf("backup %q", b)
	}
	for _, p := range []string{path, path + ".bak"} {
		if st, _ := os.Stat(p); st.Mode().Perm() != 0o640 {
			t.Errorf("%s: mode %v, want the original's 0640", p, st.Mode().Perm())
		}
	}
	if st, _ := os.Stat(w.Files[0]); st.Mode().Perm() != 0o644 {
		t.Errorf("new file mode %v", st.Mode().Perm())
	}

	// The second write keeps the first backup and takes the next name.
	cur := []byte(r.Dockerfile)
	w, err = WriteFile(path, cur, Result{Dockerfile: "FROM python:3.12-slim\n"}, WriteOptions{})
	if err != nil || w.Backup != path+".bak.1" {
		t.Fatalf("second write: %+v %v", w, err)
	}
	if b, _ := os.ReadFile(path + ".bak.1"); string(b) != string(cur) {
		t.Errorf("second backup %q", b)
	}
	if b, _ := os.ReadFile(path + ".bak"); string(b) != string(orig) {
		t.Error("the first backup was replaced")
	}

	// Changed since it was read: nothing written.
	if _, err := WriteFile(path, cur, Result{Dockerfile: "FROM scratch\n"}, WriteOptions{}); err == nil || !strings.Contains(err.Error(), "changed since it was read") {
		t.Errorf("changed file: %v", err)
	}
	// An existing new file: refused before anything is written.
	now, _ := os.ReadFile(path)
	if _, err := WriteFile(path, now, Result{Dockerfile: "FROM scratch\n", Files: map[string]string{".dockerignore": "x\n"}}, WriteOptions{}); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("existing .dockerignore: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(now) {
		t.Error("the Dockerfile was written although a new file could not be")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, ".dockerignore")); string(b) != ".git\n" {
		t.Error("the existing .dockerignore was replaced")
	}
	if _, err := os.Stat(path + ".bak.2"); err == nil {
		t.Error("a backup was made for a refused write")
	}

	// Unchanged Dockerfile: nothing written, no backup.
	w, err = WriteFile(path, now, Result{Dockerfile: string(now)}, WriteOptions{})
	if err != nil || w.Dockerfile != "" || w.Backup != "" {
		t.Errorf("unchanged: %+v %v", w, err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*slimpy-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestWriteFileOutput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Dockerfile")
	orig := []byte("FROM python:3.11\n")
	os.WriteFile(path, orig, 0o600)
	ctx := filepath.Join(dir, "ctx")
	os.Mkdir(ctx, 0o755)
	out := filepath.Join(dir, "Dockerfile.new")
	os.WriteFile(out, []byte("old\n"), 0o600)
	// -o: path stays and may even differ from orig; Output is replaced
	// with its own mode kept; new files go to Dir.
	os.WriteFile(path, []byte("edited\n"), 0o600)
	w, err := WriteFile(path, orig, Result{Dockerfile: "FROM python:3.11-slim\n", Files: map[string]string{".dockerignore": ".git\n"}}, WriteOptions{Output: out, Dir: ctx})
	if err != nil {
		t.Fatal(err)
	}
	if w.Dockerfile != out || w.Backup != "" || len(w.Files) != 1 || w.Files[0] != filepath.Join(ctx, ".dockerignore") {
		t.Fatalf("written %+v", w)
	}
	if b, _ := os.ReadFile(out); string(b) != "FROM python:3.11-slim\n" {
		t.Errorf("output %q", b)
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
		t.Errorf("output mode %v", st.Mode().Perm())
	}
	if b, _ := os.ReadFile(path); string(b) != "edited\n" {
		t.Error("-o touched the Dockerfile")
	}
	// A new output file: 0644.
	out2 := filepath.Join(dir, "Dockerfile.other")
	if _, err := WriteFile(path, orig, Result{Dockerfile: string(orig)}, WriteOptions{Output: out2}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(out2); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("new output: %v", err)
	}
}

// TestWriteFileOutputIsTheDockerfile: -o naming the Dockerfile itself, by
// any spelling, is an in-place write, with the backup and the check (it
// replaced the original with no backup).
func TestWriteFileOutputIsTheDockerfile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.Symlink("Dockerfile", "link")
	orig := []byte("FROM python:3.11\n")
	for _, out := range []string{"Dockerfile", "./Dockerfile", filepath.Join(dir, "Dockerfile"), "link"} {
		os.WriteFile("Dockerfile", orig, 0o644)
		os.Remove("Dockerfile.bak")
		w, err := WriteFile("Dockerfile", orig, Result{Dockerfile: "FROM python:3.11-slim\n"}, WriteOptions{Output: out})
		if err != nil || w.Backup != "Dockerfile.bak" || w.Dockerfile != "Dockerfile" {
			t.Fatalf("-o %s: %+v %v", out, w, err)
		}
		if b, _ := os.ReadFile("Dockerfile.bak"); string(b) != string(orig) {
			t.Errorf("-o %s: backup %q", out, b)
		}
		// Changed since read: refused, as without -o.
		if _, err := WriteFile("Dockerfile", orig, Result{Dockerfile: "FROM scratch\n"}, WriteOptions{Output: out}); !errors.Is(err, ErrChanged) {
			t.Errorf("-o %s on a changed file: %v", out, err)
		}
	}
	if st, _ := os.Lstat("link"); st.Mode()&os.ModeSymlink == 0 {
		t.Error("the link became a file")
	}
}

// TestWriteFileSymlinkedDockerfile: the link's target is written, the
// link stays; the backup is beside the target; new files go into the
// build context, the link's directory.
func TestWriteFileSymlinkedDockerfile(t *testing.T) {
	dir := t.TempDir()
	shared := filepath.Join(dir, "shared")
	os.Mkdir(shared, 0o755)
	target := filepath.Join(shared, "Dockerfile.python")
	orig := []byte("FROM python:3.11\nCOPY . /app\n")
	os.WriteFile(target, orig, 0o644)
	proj := filepath.Join(dir, "proj")
	os.Mkdir(proj, 0o755)
	link := filepath.Join(proj, "Dockerfile")
	os.Symlink("../shared/Dockerfile.python", link)
	w, err := WriteFile(link, orig, Result{Dockerfile: "FROM python:3.11-slim\nCOPY . /app\n", Files: map[string]string{".dockerignore": ".git\n"}}, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Lstat(link); st.Mode()&os.ModeSymlink == 0 {
		t.Error("the link was replaced by a file")
	}
	if b, _ := os.ReadFile(target); string(b) != "FROM python:3.11-slim\nCOPY . /app\n" {
		t.Errorf("target %q", b)
	}
	if w.Dockerfile != target || w.Backup != target+".bak" || len(w.Files) != 1 || w.Files[0] != filepath.Join(proj, ".dockerignore") {
		t.Errorf("written %+v", w)
	}
}

// TestWriteFileAllOrNothing: whatever fails, nothing is written: no
// Dockerfile change, no backup, no new file.
func TestWriteFileAllOrNothing(t *testing.T) {
	orig := []byte("FROM python:3.11\nCOPY . /app\n")
	res := Result{Dockerfile: "FROM python:3.11-slim\nCOPY . /app\n", Files: map[string]string{".dockerignore": ".git\n"}}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		name string
		opts func(dir string) WriteOptions
		ctx  context.Context
		want string
	}{
		{"missing context", func(dir string) WriteOptions { return WriteOptions{Dir: filepath.Join(dir, "nope")} }, nil, "does not exist: nothing written"},
		{"context is a file", func(dir string) WriteOptions { return WriteOptions{Dir: filepath.Join(dir, "Dockerfile")} }, nil, "is not a directory: nothing written"},
		{"output directory missing", func(dir string) WriteOptions { return WriteOptions{Output: filepath.Join(dir, "out", "Dockerfile")} }, nil, "does not exist: nothing written"},
		{"output is a FIFO", func(dir string) WriteOptions {
			p := filepath.Join(dir, "fifo")
			syscall.Mkfifo(p, 0o644)
			return WriteOptions{Output: p}
		}, nil, "is a named pipe, not a regular file: nothing written"},
		{"cancelled", func(string) WriteOptions { return WriteOptions{} }, cancelled, "context canceled: nothing written"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "Dockerfile")
			os.WriteFile(path, orig, 0o644)
			ctx := c.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			w, err := WriteFileContext(ctx, path, orig, res, c.opts(dir))
			if err == nil || !strings.HasSuffix(err.Error(), c.want) {
				t.Errorf("error %v, want …%s", err, c.want)
			}
			if w.Dockerfile != "" || w.Backup != "" || len(w.Files) > 0 {
				t.Errorf("written %+v", w)
			}
			if b, _ := os.ReadFile(path); string(b) != string(orig) {
				t.Error("the Dockerfile was written")
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name() != "Dockerfile" && e.Name() != "fifo" {
					t.Errorf("left %s", e.Name())
				}
			}
		})
	}
}

// TestWriteFileDockerignoreGoesToTheContext: with -o elsewhere, new files
// go into the build context (the Dockerfile's directory), not beside -o.
func TestWriteFileDockerignoreGoesToTheContext(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Dockerfile")
	orig := []byte("FROM python:3.11\nCOPY . /app\n")
	os.WriteFile(path, orig, 0o644)
	outDir := t.TempDir()
	w, err := WriteFile(path, orig, Result{Dockerfile: "FROM python:3.11-slim\n", Files: map[string]string{".dockerignore": ".git\n"}}, WriteOptions{Output: filepath.Join(outDir, "Dockerfile.new")})
	if err != nil || len(w.Files) != 1 || w.Files[0] != filepath.Join(dir, ".dockerignore") {
		t.Fatalf("%+v %v", w, err)
	}
	if _, err := os.Stat(filepath.Join(outDir, ".dockerignore")); err == nil {
		t.Error(".dockerignore beside -o")
	}
}

// TestWriteFileCRLF: the writer never changes line endings: a CRLF file
// and its result go through byte for byte, backup included.
func TestWriteFileCRLF(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Dockerfile")
	orig := []byte("FROM python:3.11\r\nRUN pip install flask\r\n")
	os.WriteFile(path, orig, 0o644)
	res := Result{Dockerfile: "FROM python:3.11-slim\r\nRUN pip install --no-cache-dir flask\r\n", Files: map[string]string{".dockerignore": ".git\r\n"}}
	w, err := WriteFile(path, orig, res, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{path: res.Dockerfile, w.Backup: string(orig), w.Files[0]: ".git\r\n"} {
		if b, _ := os.ReadFile(p); string(b) != want {
			t.Errorf("%s: %q, want %q", p, b, want)
		}
	}
}

// TestWriteFileHardlinks: a Dockerfile with a second hard link is written
// in place after its backup, so both names see the change.
func TestWriteFileHardlinks(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Dockerfile")
	orig := []byte("FROM python:3.11\n")
	os.WriteFile(path, orig, 0o644)
	os.Link(path, filepath.Join(dir, "Dockerfile.prod"))
	if _, err := WriteFile(path, orig, Result{Dockerfile: "FROM python:3.11-slim\n"}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, filepath.Join(dir, "Dockerfile.prod")} {
		if b, _ := os.ReadFile(p); string(b) != "FROM python:3.11-slim\n" {
			t.Errorf("%s: %q", p, b)
		}
	}
	if b, _ := os.ReadFile(path + ".bak"); string(b) != string(orig) {
		t.Errorf("backup %q", b)
	}
}
