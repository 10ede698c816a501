package fleet

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

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
