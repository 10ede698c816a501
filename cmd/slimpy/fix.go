package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/slimpy/slimpy/internal/suggest"
	"github.com/spf13/cobra"
)

type fixFlags struct {
	suggestFlags
	accept []string
	all    bool
	output string
}

func newFixCmd() *cobra.Command {
	f := &fixFlags{}
	cmd := &cobra.Command{
		Use:   "fix [IMAGE] --dockerfile PATH (--accept ID,... | --all) [-o FILE]",
		Short: "Apply accepted suggestions to the Dockerfile",
		Long: `Fix applies the accepted suggestions (IDs or names from 'slimpy suggest', or
--all) one after the other, each derived again on the result of the ones
before, and writes the result atomically (a temporary file renamed over the
target).

Without -o the Dockerfile itself is replaced and the original kept beside it
as PATH.bak (PATH.bak.1, .2 ... when that exists); with -o FILE the result
goes to FILE and the Dockerfile stays as it is. Fix refuses to write when
the Dockerfile changed on disk since it was read. New files a suggestion
creates (.dockerignore) are written to the build context and never replace
an existing file.

Without a Dockerfile, IMAGE's history is reconstructed into one and -o is
required.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFix(cmd, f, args)
		},
	}
	fl := cmd.Flags()
	f.register(fl)
	fl.StringSliceVar(&f.accept, "accept", nil, "suggestion IDs or names to apply, comma-separated")
	fl.BoolVar(&f.all, "all", false, "apply every suggestion that has a fix")
	fl.StringVarP(&f.output, "output", "o", "", "write the result to FILE instead of replacing the Dockerfile")
	return cmd
}

func runFix(cmd *cobra.Command, f *fixFlags, args []string) error {
	if f.all == (len(f.accept) > 0) {
		return errors.New("give --accept ID,... or --all (one of them)")
	}
	for _, a := range f.accept {
		if _, ok := suggest.KnownID(a); !ok {
			return fmt.Errorf("--accept %s: no such suggestion (see 'slimpy suggest' or docs/suggestions.md)", a)
		}
	}
	w, err := f.load(cmd.Context(), cmd.ErrOrStderr(), args)
	if err != nil {
		return err
	}
	if w.reconstructed && f.output == "" {
		return errors.New("no Dockerfile: give -o FILE for the rewritten reconstruction")
	}
	ids := f.accept
	if f.all {
		ss, err := suggest.Suggest(w.src, w.opts)
		if err != nil {
			return err
		}
		ids = nil
		for _, s := range ss {
			if s.Fixable() {
				ids = append(ids, s.ID)
			}
		}
	}
	out := cmd.OutOrStdout()
	if len(ids) == 0 {
		fmt.Fprintln(out, "Nothing to apply: no suggestion has a fix.")
		return nil
	}
	res, err := suggest.Apply(w.src, ids, w.opts)
	if err != nil {
		return err
	}
	target := f.output
	if target == "" {
		target = w.path
	}
	var written []string
	backup := ""
	if res.Dockerfile != string(w.src) || f.output != "" {
		backup, err = writeDockerfileAtomic(target, w, f.output != "", []byte(res.Dockerfile))
		if err != nil {
			return err
		}
		written = append(written, target)
	}
	dir := f.context
	if dir == "" {
		dir = filepath.Dir(target)
	}
	for _, name := range sortedNames(res.Files) {
		p := filepath.Join(dir, name)
		if err := writeNewFile(p, []byte(res.Files[name])); err != nil {
			return err
		}
		written = append(written, p)
	}
	if len(res.Applied) > 0 {
		fmt.Fprintf(out, "Applied %s.\n", strings.Join(res.Applied, ", "))
	}
	if len(res.Skipped) > 0 {
		fmt.Fprintf(out, "Nothing left to do for %s once the others were applied.\n", strings.Join(res.Skipped, ", "))
	}
	for _, p := range written {
		fmt.Fprintf(out, "Wrote %s\n", p)
	}
	if backup != "" {
		fmt.Fprintf(out, "The original is kept as %s\n", backup)
	}
	return nil
}

// writeDockerfile writes content to target atomically. Replacing the
// Dockerfile itself keeps the original as a backup and refuses when the
// file changed since it was read.
func writeDockerfileAtomic(target string, w *workspace, toOutput bool, content []byte) (string, error) {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(target); err == nil {
		mode = st.Mode().Perm()
	}
	backup := ""
	if !toOutput {
		now, err := os.ReadFile(target)
		if err != nil {
			return "", fmt.Errorf("reading %s again: %w", target, err)
		}
		if !bytes.Equal(now, w.src) {
			return "", fmt.Errorf("%s changed since it was read: nothing written; run slimpy fix again", target)
		}
		backup = freeBackupName(target)
		if err := atomicWrite(backup, now, mode); err != nil {
			return "", fmt.Errorf("keeping the original: %w", err)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".slimpy-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if !toOutput {
		// last check, as close to the rename as it gets
		now, err := os.ReadFile(target)
		if err != nil || !bytes.Equal(now, w.src) {
			return "", fmt.Errorf("%s changed since it was read: nothing written; run slimpy fix again", target)
		}
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return "", err
	}
	return backup, nil
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

func atomicWrite(p string, content []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".slimpy-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, bytes.NewReader(content)); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

// writeNewFile creates p (atomically) and never replaces an existing file.
func writeNewFile(p string, content []byte) error {
	if _, err := os.Lstat(p); err == nil {
		return fmt.Errorf("%s exists: not replaced", p)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".slimpy-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// Link fails when p appeared meanwhile: no replacement, ever.
	if err := os.Link(tmp.Name(), p); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	return nil
}

func sortedNames(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
