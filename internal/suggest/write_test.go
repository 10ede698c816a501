package suggest

import (
	"os"
	"path/filepath"
	"strings"
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
