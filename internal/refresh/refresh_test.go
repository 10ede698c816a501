package refresh

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestResultJSON: the shape a finding's packages[] takes as it is (issue
// 16, item 6): installed, candidate, suite, security; vulnerabilities with
// id, aliases, fixedIn; the sources with their URL and date.
func TestResultJSON(t *testing.T) {
	res := Result{
		OS: []Package{{Name: "apt", Arch: "amd64", Manager: "dpkg", Installed: "2.6.1", Candidate: "2.6.2", Suite: "bookworm-security", Security: true,
			Sources: []Source{{URL: "http://archive.example/debian-security/dists/bookworm-security/InRelease", Fetched: testNow, Verified: true}}}},
		Python: []Package{{Name: "requests", Manager: "python", Installed: "2.25.1", Candidate: "2.32.5",
			Vulnerabilities: []Vulnerability{{ID: "PYSEC-2023-74", Aliases: []string{"CVE-2023-32681"}, FixedIn: []string{"2.31.0"}}},
			Sources:         []Source{{URL: "https://pypi.example/pypi/requests/json", Fetched: testNow, NotVerified: "the index's answers are not signed"}}}},
		Indices: []Index{{Kind: "python", URL: "https://pypi.example/pypi/"}},
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"os":[{"name":"apt","arch":"amd64","manager":"dpkg","installed":"2.6.1","candidate":"2.6.2","suite":"bookworm-security","security":true,` +
		`"sources":[{"url":"http://archive.example/debian-security/dists/bookworm-security/InRelease","fetched":"2026-12-04T12:00:00Z","verified":true}]}],` +
		`"python":[{"name":"requests","manager":"python","installed":"2.25.1","candidate":"2.32.5","security":false,` +
		`"vulnerabilities":[{"id":"PYSEC-2023-74","aliases":["CVE-2023-32681"],"fixedIn":["2.31.0"]}],` +
		`"sources":[{"url":"https://pypi.example/pypi/requests/json","fetched":"2026-12-04T12:00:00Z","verified":false,"notVerified":"the index's answers are not signed"}]}],` +
		`"indices":[{"kind":"python","url":"https://pypi.example/pypi/","cached":false,"verified":false}]}`
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
}

// TestCancel: a cancelled context (Ctrl-C) ends Check at once, with what it
// has and a warning.
func TestCancel(t *testing.T) {
	s := newServer(t)
	s.handle("/pypi/requests/json", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for s.hitsOf("/pypi/requests/json") == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	res := Check(ctx, Image{Python: []Distribution{{"requests", "2.25.1"}}}, Options{PythonIndex: s.URL + "/simple", CacheDir: t.TempDir(), Now: clock})
	last := res.Warnings[len(res.Warnings)-1]
	if len(res.Python) != 0 || !strings.Contains(last, "refresh interrupted") {
		t.Errorf("%+v", res)
	}
}
