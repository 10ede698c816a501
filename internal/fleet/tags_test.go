package fleet

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/slimpy/slimpy/internal/fleet/fleettest"
	"github.com/slimpy/slimpy/internal/remotecache/registrytest"
)

func TestListTagsReadsEveryPage(t *testing.T) {
	reg := registrytest.New(t)
	reg.LinkTags()
	repo := reg.Host + "/team/app"
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	hexDigest := strings.TrimPrefix(d.String(), "sha256:")
	var want []string
	tags := []string{"sha256-" + hexDigest + ".sig", "sha256-" + hexDigest, "sha256-" + hexDigest + ".slimpy-2.3"}
	for i := 0; i < 250; i++ {
		tag := fmt.Sprintf("v1.%03d", i)
		tags = append(tags, tag)
		want = append(want, repo+":"+tag)
	}
	for _, tag := range tags {
		fleettest.Push(t, repo+":"+tag, img)
	}
	reg.Take()
	opts := TagOptions{Insecure: true, Keychain: authn.NewMultiKeychain(), PageSize: 100}
	got, err := ListTags(context.Background(), repo, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %d tags (%v…), want %d", len(got), got[:min(3, len(got))], len(want))
	}
	if pages := reg.Take("GET ", "/tags/list"); len(pages) != 3 {
		t.Errorf("%d pages read, want 3 of 100 for 253 tags: %v", len(pages), pages)
	}

	opts.MaxTags = 200
	if _, err := ListTags(context.Background(), repo, opts); err == nil || !strings.Contains(err.Error(), "more than 200 tags") {
		t.Errorf("past MaxTags: %v", err)
	}
	if _, err := ListTags(context.Background(), reg.Host+"/team/none", TagOptions{Insecure: true, Keychain: authn.NewMultiKeychain()}); err == nil {
		t.Error("a repository that does not exist listed")
	}
	if _, err := ListTags(context.Background(), repo+":v1", opts); err == nil {
		t.Error("a reference with a tag taken for a repository")
	}
}

// A hostile registry's tag list: an empty page linking to itself was asked
// forever; one endless page was read whole (10 GB in a minute). Both are
// errors now, the page read no further than its 16 MiB limit.
func TestHostileTagLists(t *testing.T) {
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v2/":
		case r.URL.Path == "/v2/loop/tags/list":
			w.Header().Set("Link", `</v2/loop/tags/list?n=100&last=a>; rel="next"`)
			io.WriteString(w, `{"name":"loop","tags":[]}`)
		case r.URL.Path == "/v2/endless/tags/list":
			io.WriteString(w, `{"name":"endless","tags":["`)
			chunk := []byte(strings.Repeat("a", 1<<20))
			for range 256 { // 256 MiB unless the client stops
				n, err := w.Write(chunk)
				sent.Add(int64(n))
				if err != nil {
					return
				}
			}
			io.WriteString(w, `"]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	defer srv.CloseClientConnections() // the endless handler, stopped mid-write
	host := strings.TrimPrefix(srv.URL, "http://")
	opts := TagOptions{Insecure: true, Keychain: authn.NewMultiKeychain()}
	for repo, want := range map[string]string{
		"loop":    "the registry gave a page of no tags that links to another",
		"endless": "the registry's page of tags is more than the 16 MiB limit",
	} {
		start := time.Now()
		_, err := ListTags(context.Background(), host+"/"+repo, opts)
		if err == nil || !strings.Contains(err.Error(), want) || time.Since(start) > 10*time.Second {
			t.Errorf("%s: %v after %s, want %q", repo, err, time.Since(start), want)
		}
	}
	if n := sent.Load(); n > 64<<20 {
		t.Errorf("the endless page was read to %d MiB", n>>20)
	}
}
