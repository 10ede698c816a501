package fsview

import (
	"context"
	"io"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/slimpy/slimpy/internal/fixtures"
	"github.com/slimpy/slimpy/internal/inspect/layer"
)

// noCaptures: the merge reads no file content.
var noCaptures = layer.Compile(nil)

// walkLayer walks a test layer, checked against wantDiffID when given.
func walkLayer(r io.Reader, wantDiffID string) (*layer.Data, error) {
	return layer.Walk(context.Background(), r, wantDiffID, noCaptures, new(layer.ImageBudget).Layer())
}

// fixtureImage names one image of a committed fixture.
type fixtureImage struct{ name, platform string }

// fixtureImages lists every image of the committed fixtures: each platform
// of an image index.
func fixtureImages() []fixtureImage {
	var out []fixtureImage
	for _, s := range fixtures.All() {
		if len(s.Platforms) == 0 {
			out = append(out, fixtureImage{s.Name, ""})
		}
		for _, im := range s.Platforms {
			out = append(out, fixtureImage{s.Name, im.Platform().String()})
		}
	}
	return out
}

// walkFixture walks the layers of a committed fixture's image for
// platform ("" for the first).
func walkFixture(t *testing.T, name, platform string) []*layer.Data {
	t.Helper()
	img, err := fixtures.Open(name, platform)
	if err != nil {
		t.Fatal(err)
	}
	return walkImage(t, img)
}

// walkImage walks every layer of img, checked against its diffID.
func walkImage(t *testing.T, img v1.Image) []*layer.Data {
	t.Helper()
	layers, err := img.Layers()
	var out []*layer.Data
	for i := 0; err == nil && i < len(layers); i++ {
		var ld *layer.Data
		ld, err = walkV1Layer(layers[i])
		out = append(out, ld)
	}
	if err != nil {
		t.Fatalf("layer %d: %v", len(out)-1, err)
	}
	return out
}

// walkV1Layer walks a layer as go-containerregistry decompresses it.
func walkV1Layer(l v1.Layer) (*layer.Data, error) {
	diffID, err := l.DiffID()
	if err != nil {
		return nil, err
	}
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return walkLayer(rc, diffID.String())
}
