package refresh

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// pypiServer serves the JSON API as PyPI does, from the fixtures.
func pypiServer(t *testing.T) *server {
	s := newServer(t)
	s.put("/pypi/requests/json", readTestdata(t, "pypi/requests.json"))
	s.put("/pypi/requests/2.25.1/json", readTestdata(t, "pypi/requests-2.25.1.json"))
	s.put("/pypi/pyyaml/json", []byte(`{"info": {"name": "PyYAML", "version": "6.0.2"}, "releases": {}, "urls": [], "vulnerabilities": []}`))
	s.put("/pypi/pyyaml/6.0.2/json", []byte(`{"info": {"name": "PyYAML", "version": "6.0.2"}, "urls": [], "vulnerabilities": []}`))
	return s
}

func TestPythonRefresh(t *testing.T) {
	s := pypiServer(t)
	host := strings.TrimPrefix(s.URL, "http://")
	img := Image{
		Env: []string{"PATH=/usr/bin", "PIP_INDEX_URL=http://__token__:secret@" + host + "/simple/"},
		Python: []Distribution{
			{"requests", "2.25.1"},
			{"PyYAML", "6.0.2"},
			{"Slimpy_Cext", "1.0"},
		},
	}
	res := Check(context.Background(), img, Options{Now: clock})
	if len(res.Warnings) != 0 {
		t.Fatalf("warnings %q", res.Warnings)
	}
	if len(res.Python) != 1 {
		t.Fatalf("python: %+v", res.Python)
	}
	p := res.Python[0]
	want := Package{
		Name: "requests", Manager: "python", Installed: "2.25.1", Candidate: "2.32.5",
		Vulnerabilities: []Vulnerability{
			{ID: "PYSEC-2023-74", Aliases: []string{"CVE-2023-32681", "GHSA-j8r2-6x86-q33q"}, FixedIn: []string{"2.31.0"}, Link: "https://osv.dev/vulnerability/PYSEC-2023-74"},
			{ID: "GHSA-9wx4-h78v-vm56", Aliases: []string{"CVE-2024-35195"}, FixedIn: []string{"2.32.0"}, Link: "https://osv.dev/vulnerability/GHSA-9wx4-h78v-vm56"},
		},
	}
	sources := p.Sources
	p.Sources = nil
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got  %+v\nwant %+v", p, want)
	}
	if len(sources) != 2 || sources[0].URL != s.URL+"/pypi/requests/json" || sources[1].URL != s.URL+"/pypi/requests/2.25.1/json" ||
		!sources[0].Fetched.Equal(testNow) || sources[0].Verified ||
		!strings.Contains(sources[0].NotVerified, "plain HTTP") || !strings.Contains(sources[0].NotVerified, "credentials") {
		t.Errorf("sources %+v", sources)
	}
	ix := indexOf(res, "")
	if ix.Kind != "python" || ix.URL != s.URL+"/pypi/" || !reflect.DeepEqual(ix.Missing, []string{"Slimpy_Cext"}) {
		t.Errorf("index %+v", ix)
	}
}

// TestPythonParallel: at most Parallel requests are in flight.
func TestPythonParallel(t *testing.T) {
	s := newServer(t)
	var mu sync.Mutex
	inFlight, most := 0, 0
	var img Image
	for i := 0; i < 24; i++ {
		name := fmt.Sprintf("dist%d", i)
		img.Python = append(img.Python, Distribution{name, "1.0"})
		for _, p := range []string{"/pypi/" + name + "/json", "/pypi/" + name + "/1.0/json"} {
			s.handle(p, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				inFlight++
				most = max(most, inFlight)
				mu.Unlock()
				time.Sleep(2 * time.Millisecond) // let the others pile up
				mu.Lock()
				inFlight--
				mu.Unlock()
				json.NewEncoder(w).Encode(map[string]any{"info": map[string]string{"version": "2.0"}, "vulnerabilities": []any{}})
			})
		}
	}
	res := Check(context.Background(), img, Options{PythonIndex: s.URL + "/simple", Parallel: 3, Now: clock})
	if len(res.Python) != 24 || most > 3 || most == 0 {
		t.Errorf("%d distributions found, %d requests in flight at most", len(res.Python), most)
	}
}

func TestPythonIndex(t *testing.T) {
	conf := []byte("[global]\nindex-url = https://global.example/simple\n[install]\nindex_url=https://install.example/simple\n")
	for _, c := range []struct {
		img      Image
		override string
		want     string
	}{
		{Image{}, "", DefaultPythonIndex},
		{Image{}, "https://flag.example/simple", "https://flag.example/simple"},
		{Image{Env: []string{"PIP_INDEX_URL=https://a.example/simple", "PIP_INDEX_URL=https://b.example/simple"}}, "", "https://b.example/simple"},
		{Image{Files: map[string][]byte{"/etc/pip.conf": conf}}, "", "https://install.example/simple"},
		{Image{Files: map[string][]byte{"/etc/pip.conf": []byte("[global]\nindex-url=https://global.example/simple\n")}}, "", "https://global.example/simple"},
		{Image{Env: []string{"PIP_INDEX_URL=https://env.example/simple"}, Files: map[string][]byte{"/etc/pip.conf": conf}}, "", "https://env.example/simple"},
	} {
		if got := pythonIndex(c.img, c.override); got != c.want {
			t.Errorf("%+v %q: %q, want %q", c.img, c.override, got, c.want)
		}
	}
	for in, want := range map[string]string{
		"https://pypi.example/simple":                        "https://pypi.example/pypi/",
		"https://pypi.example/simple/":                       "https://pypi.example/pypi/",
		"https://repo.example/api/pypi/pypi-remote/simple":   "https://repo.example/api/pypi/pypi-remote/pypi/",
		"https://repo.example/repository/pypi-proxy/simple/": "https://repo.example/repository/pypi-proxy/pypi/",
	} {
		u, _, _ := cleanURL(in)
		if got := jsonAPIBase(u); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
	if n := normalizeName("Foo.Bar__baz-Qux"); n != "foo-bar-baz-qux" {
		t.Errorf("normalized %q", n)
	}
}

// An image of 100,000 pip-installed distributions made 200,000 requests
// to the index it names. Now the first maxPythonDists are asked, 8 at a
// time, and a warning names how many were not.
func TestHostileManyPythonDistributions(t *testing.T) {
	srv := countedServer(t, http.NotFound)
	asked, most := &srv.asked, &srv.most
	start := time.Now()
	res := Check(context.Background(), pipImage(srv.URL, 100_000), Options{Now: clock})
	t.Logf("%d requests in %s", asked.Load(), time.Since(start))
	if n := asked.Load(); n != maxPythonDists {
		t.Errorf("%d requests for 100,000 distributions, want %d (one 404 each)", n, maxPythonDists)
	}
	if m := most.Load(); m > 8 {
		t.Errorf("%d requests at once", m)
	}
	want := "the image lists 100000 Python distributions: the first 2000 were asked, 98000 not"
	if !slices.Contains(res.Warnings, want) {
		t.Errorf("no warning %q in %q", want, res.Warnings)
	}
	if ix := indexOf(res, ""); len(ix.Missing) != maxPythonDists {
		t.Errorf("%d missing, want %d", len(ix.Missing), maxPythonDists)
	}
}

// Each answer of the Python index is bounded in size and time; an index
// whose answers are over the size limit is asked nothing more, and the
// same failure of many distributions is one warning line.
func TestHostilePythonAnswers(t *testing.T) {
	endless := func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"info": {"version": "`))
		chunk := []byte(strings.Repeat("9", 64<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
	for _, c := range []struct {
		name    string
		handler http.HandlerFunc
		limits  Limits
		want    []string // each in one warning
		most    int64    // requests at most
	}{
		{"an endless answer", endless, Limits{},
			[]string{"response is over the limit of 33554432 bytes", "answered more than the 33554432-byte limit of a JSON answer: "},
			8},
		{"an answer declaring 1 TiB", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(int64(1)<<40))
			w.WriteHeader(http.StatusOK)
		}, Limits{}, []string{"response is over the limit: it declares 1099511627776 bytes, the limit is 33554432", "distributions were not asked"}, 8},
		{"a stalled answer", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"info": `))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, Limits{Request: 300 * time.Millisecond}, []string{"deadline exceeded (1000 requests)"}, 8},
		{"a redirect loop", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path, http.StatusFound)
		}, Limits{}, []string{"more than 5 redirects (1000 requests)"}, 6 * 1000},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("<html>"))
		}, Limits{}, []string{"not a JSON API answer (1000 requests)"}, 1000},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := countedServer(t, c.handler)
			asked := &srv.asked
			start := time.Now()
			res := Check(context.Background(), pipImage(srv.URL, 1000), Options{Now: clock, Limits: c.limits})
			t.Logf("%d requests in %s: %q", asked.Load(), time.Since(start), res.Warnings)
			if n := asked.Load(); n > c.most {
				t.Errorf("%d requests, want at most %d", n, c.most)
			}
			if len(res.Warnings) > 2 {
				t.Errorf("%d warnings, want one line per problem: %q", len(res.Warnings), res.Warnings)
			}
			for _, want := range c.want {
				if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, want) }) {
					t.Errorf("no warning with %q in %q", want, res.Warnings)
				}
			}
		})
	}
}
