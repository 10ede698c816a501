package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"unicode/utf8"

	"github.com/google/go-containerregistry/pkg/v1/random"
)

// onTerminal makes run's stderr count as a terminal of the given width,
// as a person's would.
func onTerminal(t *testing.T, width int) {
	t.Helper()
	old := terminalWidth
	terminalWidth = func(w io.Writer) (int, bool) {
		_, isBuf := w.(*syncBuffer)
		return width, isBuf
	}
	t.Cleanup(func() { terminalWidth = old })
}

// syncBuffer is a bytes.Buffer safe to write from the command and read
// from the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// statusLines are the lines drawn in place on stderr, in order, and what
// follows the last erase.
func statusLines(stderr string) (lines []string, after string) {
	parts := strings.Split(stderr, eraseLine)
	if len(parts) < 2 {
		return nil, stderr
	}
	return parts[1 : len(parts)-1], parts[len(parts)-1]
}

var layersRead = regexp.MustCompile(`(\d+) of (\d+) layers · ([^·]+) read$`)

// TestProgressOnATerminal: the progress of a long run is drawn on stderr
// when it is a terminal: per layer, of the image's layer count from the
// first line on, of its bytes where the source knows them (an OCI layout),
// and erased at the end, stdout untouched. Not with --quiet, not when
// stderr is not a terminal.
func TestProgressOnATerminal(t *testing.T) {
	oci := "oci:" + fixturePath(t, "zstd-oci")
	demo := "docker-archive:" + fixturePath(t, "demo.tar")
	_, dockerfile := writeDockerfile(t, demoImageDockerfile)
	for _, c := range []struct {
		name     string
		args     []string
		layers   string
		wantLast string
	}{
		{"inspect --format json, OCI", []string{"inspect", oci, "--format", "json"}, "2", ""},
		{"inspect --format text, archive", []string{"inspect", demo, "--format", "text"}, "", ""},
		{"ci", []string{"ci", demo, "--baseline-image", oci}, "", "Running the rules…"},
		{"suggest", []string{"suggest", demo, "--dockerfile", dockerfile}, "", "Reading the libraries the extension modules link…"},
	} {
		t.Run(c.name, func(t *testing.T) {
			onTerminal(t, 100)
			var out bytes.Buffer
			var errOut syncBuffer
			args := append(c.args, "--no-cache")
			code := run(context.Background(), args, &out, &errOut)
			if code > 1 {
				t.Fatalf("exit %d: %q", code, errOut.String())
			}
			lines, after := statusLines(errOut.String())
			if len(lines) < 3 || after != "" {
				t.Fatalf("stderr %q: want status lines, the last one erased", errOut.String())
			}
			if !strings.HasSuffix(lines[0], ": opening the image…") {
				t.Errorf("first line %q", lines[0])
			}
			counts := map[string]map[string]bool{} // per image read: its layer counts
			for _, l := range lines {
				if utf8.RuneCountInString(l) > 99 || strings.ContainsAny(l, "\n\r") {
					t.Errorf("line %q: longer than the terminal or not one line", l)
				}
				m := layersRead.FindStringSubmatch(l)
				if m == nil {
					continue
				}
				what, _, _ := strings.Cut(l, ": ")
				if counts[what] == nil {
					counts[what] = map[string]bool{}
				}
				counts[what][m[2]] = true
				// An OCI layout's blob sizes are the bytes read; an archive's
				// layers stream as tars of unknown length.
				if got, want := strings.Contains(m[3], " of "), strings.HasPrefix(l, "Reading oci:"); got != want {
					t.Errorf("line %q: bytes of a total %v, want %v", l, got, want)
				}
			}
			if len(counts) == 0 {
				t.Errorf("no layer counts in %q", lines)
			}
			for what, n := range counts {
				if len(n) != 1 || c.layers != "" && !n[c.layers] {
					t.Errorf("%s: layer counts %v, want one (%s)", what, n, c.layers)
				}
			}
			if c.wantLast != "" && lines[len(lines)-1] != c.wantLast {
				t.Errorf("last status %q, want %q", lines[len(lines)-1], c.wantLast)
			}
			if strings.Contains(out.String(), "\x1b") || strings.Contains(out.String(), "layers read") {
				t.Errorf("progress reached stdout: %q", out.String())
			}
		})
	}
	t.Run("--quiet", func(t *testing.T) {
		onTerminal(t, 100)
		var out bytes.Buffer
		var errOut syncBuffer
		if code := run(context.Background(), []string{"inspect", oci, "--format", "json", "--no-cache", "--quiet"}, &out, &errOut); code != 0 || errOut.String() != "" {
			t.Errorf("exit %d, stderr %q", code, errOut.String())
		}
	})
	t.Run("not a terminal", func(t *testing.T) {
		code, _, errOut := slimpy(t, "inspect", oci, "--format", "json", "--no-cache")
		if code != 0 || errOut != "" {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
}

// TestProgressErasedOnErrorAndInterrupt: the message of a failed or
// interrupted run starts on a line of its own, never after a partial
// progress line.
func TestProgressErasedOnErrorAndInterrupt(t *testing.T) {
	onTerminal(t, 80)
	t.Run("error", func(t *testing.T) {
		var out bytes.Buffer
		var errOut syncBuffer
		code := run(context.Background(), []string{"inspect", "oci:" + corruptLayout(t), "--format", "json", "--no-cache"}, &out, &errOut)
		lines, after := statusLines(errOut.String())
		if code != exitUsage || len(lines) == 0 || !strings.HasPrefix(after, "slimpy: ") || strings.Count(after, "\n") != 1 {
			t.Errorf("exit %d, stderr %q", code, errOut.String())
		}
	})
	t.Run("interrupt", func(t *testing.T) {
		img, err := random.Image(4096, 2)
		if err != nil {
			t.Fatal(err)
		}
		hang := newHangingBlobs(t)
		host := startRegistry(t, func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !hang.serve(w, r) {
					h.ServeHTTP(w, r)
				}
			})
		})
		ref := push(t, host, "app:1", img)
		ctx, cancel := context.WithCancelCause(context.Background())
		var out bytes.Buffer
		var errOut syncBuffer
		done := make(chan int)
		go func() {
			done <- run(ctx, []string{"inspect", ref, "--insecure", "--format", "json", "--no-cache"}, &out, &errOut)
		}()
		<-hang.asked
		cancel(interrupted{syscall.SIGINT})
		code := <-done
		lines, after := statusLines(errOut.String())
		if code != 130 || len(lines) == 0 || after != "slimpy: interrupted\n" || out.Len() != 0 {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
		}
	})
}

// hangingBlobs answers a registry's blob requests with a layer that never
// comes (until the request or the test ends), and says on asked that one
// was asked, for tests that interrupt a read.
type hangingBlobs struct {
	asked   chan struct{}
	release chan struct{}
}

func newHangingBlobs(t *testing.T) *hangingBlobs {
	h := &hangingBlobs{asked: make(chan struct{}, 1), release: make(chan struct{})}
	t.Cleanup(func() { close(h.release) })
	return h
}

// serve answers r when it asks for a blob; false for other requests.
func (h *hangingBlobs) serve(_ http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/") {
		return false
	}
	select {
	case h.asked <- struct{}{}:
	default:
	}
	select {
	case <-r.Context().Done():
	case <-h.release:
	}
	return true
}
