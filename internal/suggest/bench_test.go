package suggest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// generated is a Dockerfile of about n lines in the shapes of the corpus:
// apt installs, pip installs, COPYs, ENVs, chowns, a final CMD.
func generated(n int) []byte {
	var b strings.Builder
	b.WriteString("FROM python:3.11\nWORKDIR /app\n")
	for i := 0; b.Len() < n*40; i++ {
		fmt.Fprintf(&b, "# step %d\n", i)
		fmt.Fprintf(&b, "RUN apt-get update && apt-get install -y gcc libpq-dev pkg%d \\\n    && pip install mod%d requests==2.%d\n", i, i, i%30)
		fmt.Fprintf(&b, "COPY f%d /app/f%d\n", i, i)
		fmt.Fprintf(&b, "ENV V%d=x%d PATH=/opt/t%d/bin:$PATH\n", i, i, i)
		fmt.Fprintf(&b, "RUN useradd u%d && chown -R u%d /app/f%d\n", i, i, i)
		fmt.Fprintf(&b, "RUN mkdir -p /data/d%d && wget -q https://example.invalid/%d.tgz && rm -rf /tmp/x%d\n", i, i, i)
		fmt.Fprintf(&b, "COPY --chown=u%d w%d.whl /wheels/\nRUN pip install /wheels/w%d.whl || true\n", i, i, i)
		if i%50 == 0 {
			fmt.Fprintf(&b, "VOLUME /data/d%d\nWORKDIR /app/w%d\n", i, i)
		}
	}
	b.WriteString("CMD python app.py\n")
	return []byte(b.String())
}

// BenchmarkSuggest shows how the engine scales with the file: the time
// (better read as CPU time on a busy machine) and the bytes per op must
// grow as the lines do, not faster (issue 13 item 9):
//
//	go test ./internal/suggest -run '^$' -bench Suggest -benchmem
func BenchmarkSuggest(b *testing.B) {
	for _, lines := range []int{250, 1000, 4000, 16000} {
		src := generated(lines)
		b.Run(fmt.Sprintf("lines=%d", lines), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for i := 0; i < b.N; i++ {
				if _, err := Suggest(src, Options{Now: corpusNow}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// consecutiveRuns is a Dockerfile of n one-line RUNs in a row, which fix
// --all merges into one RUN of n segments.
func consecutiveRuns(n int) []byte {
	var b strings.Builder
	b.WriteString("FROM python:3.11\n")
	for i := range n {
		fmt.Fprintf(&b, "RUN pip install x%d && apt-get install -y gcc\n", i)
	}
	return []byte(b.String())
}

// BenchmarkApplyAll is fix --all on the same files, and on consecutive
// RUNs (a merged RUN of thousands of segments took time growing with
// their square).
func BenchmarkApplyAll(b *testing.B) {
	for _, lines := range []int{250, 1000, 4000} {
		for name, src := range map[string][]byte{"lines": generated(lines), "runs": consecutiveRuns(lines)} {
			b.Run(fmt.Sprintf("%s=%d", name, lines), func(b *testing.B) {
				b.SetBytes(int64(len(src)))
				for i := 0; i < b.N; i++ {
					if _, err := Apply(src, []string{AllKinds}, Options{Now: corpusNow}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// The engine refuses a file over MaxDockerfileSize with a clear error (it
// is linear below it, BenchmarkSuggest), and stops when its context is
// cancelled, between kinds and between Apply's steps.
func TestLimitsAndCancellation(t *testing.T) {
	big := append([]byte("FROM python:3.12\n"), []byte(strings.Repeat("RUN true\n", MaxDockerfileSize/9+1))...)
	for what, err := range map[string]error{
		"Parse":   func() error { _, err := Parse(big); return err }(),
		"Suggest": func() error { _, err := Suggest(big, Options{}); return err }(),
		"Apply":   func() error { _, err := Apply(big, []string{AllKinds}, Options{}); return err }(),
	} {
		if err == nil || !strings.Contains(err.Error(), "more than the 262144 (256 KiB) slimpy reads") {
			t.Errorf("%s of %d bytes: %v", what, len(big), err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	src := generated(100)
	if _, err := Suggest(src, Options{Now: corpusNow, Context: ctx}); !errors.Is(err, context.Canceled) {
		t.Errorf("Suggest after cancel: %v", err)
	}
	if _, err := Apply(src, []string{AllKinds}, Options{Now: corpusNow, Context: ctx}); !errors.Is(err, context.Canceled) {
		t.Errorf("Apply after cancel: %v", err)
	}
}
