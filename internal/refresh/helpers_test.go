package refresh

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/klauspost/compress/gzip"
	"github.com/ulikunitz/xz"
)

// The tests serve real-format files (Debian's Packages stanzas, InRelease
// files signed by a key made here, an APKINDEX.tar.gz signed as abuild
// signs it, PyPI's JSON answers) from an httptest server, and point Check
// at it with the mirror options: the image's sources keep their own
// host names, which never resolve.

// testNow is the clock of the tests: the fixtures' archive dates are
// before it, their keys valid at it.
var testNow = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// server serves files by path and counts every request.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	files    map[string][]byte
	handlers map[string]http.HandlerFunc
	hits     map[string]int
	total    int
}

func newServer(t *testing.T) *server {
	s := &server{files: map[string][]byte{}, handlers: map[string]http.HandlerFunc{}, hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	s.total++
	h := s.handlers[r.URL.Path]
	data, ok := s.files[r.URL.Path]
	s.mu.Unlock()
	if r.Header.Get("Authorization") != "" {
		http.Error(w, "credentials were sent", http.StatusTeapot)
		return
	}
	switch {
	case h != nil:
		h(w, r)
	case ok:
		w.Write(data)
	default:
		http.NotFound(w, r)
	}
}

func (s *server) put(path string, data []byte) {
	s.mu.Lock()
	s.files[path] = data
	s.mu.Unlock()
}

func (s *server) handle(path string, h http.HandlerFunc) {
	s.mu.Lock()
	s.handlers[path] = h
	s.mu.Unlock()
}

func (s *server) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

func (s *server) hitsOf(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

var (
	keysMu   sync.Mutex
	testKeys = map[string]*openpgp.Entity{}
)

// newKey makes an archive signing key, once per name and test binary.
func newKey(t *testing.T, name string) *openpgp.Entity {
	t.Helper()
	keysMu.Lock()
	defer keysMu.Unlock()
	if e := testKeys[name]; e != nil {
		return e
	}
	cfg := &packet.Config{Time: func() time.Time { return testNow.AddDate(-1, 0, 0) }}
	e, err := openpgp.NewEntity(name, "", strings.ReplaceAll(name, " ", "-")+"@example.org", cfg)
	if err != nil {
		t.Fatal(err)
	}
	testKeys[name] = e
	return e
}

// publicKey is e's public key as apt keeps it: armored (.asc) or binary
// (.gpg).
func publicKey(t *testing.T, e *openpgp.Entity, armored bool) []byte {
	t.Helper()
	var b bytes.Buffer
	if !armored {
		if err := e.Serialize(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	w, err := armor.Encode(&b, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return b.Bytes()
}

func clearsigned(t *testing.T, e *openpgp.Entity, text string) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := clearsign.Encode(&b, e.PrivateKey, &packet.Config{Time: func() time.Time { return testNow.AddDate(0, 0, -2) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return b.Bytes()
}

func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func xzc(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := xz.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// suite is a suite to publish: its files below dists/SUITE/.
type suite struct {
	name, codename, label string
	files                 map[string][]byte // main/binary-amd64/Packages.gz → content
	byHash                bool
	extra                 string // more Release fields
}

// releaseText is a Release file for the suite, as Debian writes one.
func releaseText(s suite) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Origin: Debian\nLabel: %s\nSuite: %s\nVersion: 12\nCodename: %s\n", s.label, s.name, s.codename)
	fmt.Fprintf(&b, "Date: %s\nValid-Until: %s\n", testNow.AddDate(0, 0, -2).Format(time.RFC1123), testNow.AddDate(0, 0, 5).Format(time.RFC1123))
	if s.byHash {
		b.WriteString("Acquire-By-Hash: yes\n")
	}
	b.WriteString(s.extra)
	b.WriteString("Architectures: amd64 arm64\nComponents: main\nDescription: Debian 12 (test fixture)\nSHA256:\n")
	var names []string
	for n := range s.files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		h := sha256.Sum256(s.files[n])
		fmt.Fprintf(&b, " %s %8d %s\n", hex.EncodeToString(h[:]), len(s.files[n]), n)
	}
	return b.String()
}

// publish puts the suite below base on the server, its InRelease signed
// by key (unsigned when key is nil), and returns the Release text.
func (s *server) publish(t *testing.T, base string, st suite, key *openpgp.Entity) string {
	t.Helper()
	text := releaseText(st)
	dir := base + "/dists/" + st.name + "/"
	if key != nil {
		s.put(dir+"InRelease", clearsigned(t, key, text))
	} else {
		s.put(dir+"InRelease", []byte(text))
	}
	for n, data := range st.files {
		if st.byHash {
			h := sha256.Sum256(data)
			s.put(dir+filepath.Dir(n)+"/by-hash/SHA256/"+hex.EncodeToString(h[:]), data)
		} else {
			s.put(dir+n, data)
		}
	}
	return text
}

// counted is a test server that counts the requests it is asked and the
// most it had in flight at once, each answered by h.
type counted struct {
	*httptest.Server
	asked, most atomic.Int64
}

func countedServer(t *testing.T, h http.HandlerFunc) *counted {
	c := &counted{}
	var inFlight atomic.Int64
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		c.asked.Add(1)
		for m := c.most.Load(); n > m && !c.most.CompareAndSwap(m, n); m = c.most.Load() {
		}
		h(w, r)
	}))
	t.Cleanup(c.Close)
	return c
}

// pipImage holds n pip-installed distributions and names index as its
// PIP_INDEX_URL.
func pipImage(index string, n int) Image {
	img := Image{Env: []string{"PIP_INDEX_URL=" + index + "/simple"}}
	for i := range n {
		img.Python = append(img.Python, Distribution{fmt.Sprintf("dist%d", i), "1.0"})
	}
	return img
}
