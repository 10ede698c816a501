package fleet

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// chain is an image of layers named by letters, each layer 10 bytes.
func chain(ref string, layers ...string) Image {
	im := Image{Reference: ref}
	for _, l := range layers {
		im.Layers = append(im.Layers, Layer{DiffID: "sha256:" + l, Size: 10, CompressedSize: 4, CreatedBy: "layer " + l})
	}
	return im
}

// ociChainID is the image spec's definition, written out for the test.
func ociChainID(diffIDs ...string) string {
	id := diffIDs[0]
	for _, d := range diffIDs[1:] {
		sum := sha256.Sum256([]byte(id + " " + d))
		id = "sha256:" + hex.EncodeToString(sum[:])
	}
	return id
}

func TestBasesAreTheLongestSharedPrefixes(t *testing.T) {
	r := Build([]Image{
		chain("py/app-1", "os", "py", "app1"),
		chain("py/app-2", "os", "py", "app2"),
		chain("py/gcc-1", "os", "py", "gcc", "g1"),
		chain("py/gcc-2", "os", "py", "gcc", "g2"),
		chain("os/tool", "os", "tool"),
		chain("py/base", "os", "py"),           // the base itself, scanned too
		chain("lone/x", "x1", "x2"),            // shares nothing
		chain("twin/a", "t1", "t2"),            // one image under two names:
		chain("twin/b", "t1", "t2"),            // not a base
		chain("deep/a", "d1", "d2", "d3", "a"), // no branch before d3
		chain("deep/b", "d1", "d2", "d3", "b"),
	}, nil)
	byID := map[string]Base{}
	for _, b := range r.Bases {
		byID[b.ChainID] = b
	}
	osID, pyID, gccID := ociChainID("sha256:os"), ociChainID("sha256:os", "sha256:py"), ociChainID("sha256:os", "sha256:py", "sha256:gcc")
	deepID := ociChainID("sha256:d1", "sha256:d2", "sha256:d3")
	if osID != "sha256:os" {
		t.Fatalf("the chain ID of one layer is its diffID")
	}
	want := map[string]struct {
		layers, images int
		parent         string
	}{
		osID:   {1, 6, ""},
		pyID:   {2, 5, osID},
		gccID:  {3, 2, pyID},
		deepID: {3, 2, ""},
	}
	if len(r.Bases) != len(want) {
		t.Fatalf("bases %+v", r.Bases)
	}
	for id, w := range want {
		b, ok := byID[id]
		if !ok {
			t.Fatalf("no base %s", id)
		}
		if b.Layers != w.layers || b.Images != w.images || b.Parent != w.parent || len(b.References) != w.images ||
			b.Size != int64(10*w.layers) || b.CompressedSize != int64(4*w.layers) || b.FleetSize != int64(10*w.layers*w.images) {
			t.Errorf("base %s: %+v", id, b)
		}
	}
	// Most bytes across images first.
	if r.Bases[0].ChainID != pyID || r.Bases[1].ChainID != osID {
		t.Errorf("order %s, %s", r.Bases[0].ChainID, r.Bases[1].ChainID)
	}
	imageBase := map[string]string{}
	for _, im := range r.Images {
		imageBase[im.Reference] = im.Base
	}
	for ref, b := range map[string]string{
		"py/app-1": pyID, "py/gcc-2": gccID, "os/tool": osID, "py/base": pyID,
		"lone/x": "", "twin/a": "", "deep/b": deepID,
	} {
		if imageBase[ref] != b {
			t.Errorf("%s: base %q, want %q", ref, imageBase[ref], b)
		}
	}
	if r.Totals.Layers != 17 || r.Totals.LayersStored != 170 {
		t.Errorf("distinct layers %d storing %d", r.Totals.Layers, r.Totals.LayersStored)
	}
}

func TestEndOfLifeIsGroupedByTheLayerThatInstalledIt(t *testing.T) {
	eol := func(im Image, layer int, title string) Image {
		im.EndOfLife = append(im.EndOfLife, Finding{Rule: "SP401", Severity: "high", Title: title, Layer: layer})
		return im
	}
	r := Build([]Image{
		eol(chain("a/1", "buster", "py38", "a1"), 0, "Debian 10 is past end of life"),
		eol(chain("a/2", "buster", "py38", "a2"), 0, "Debian 10 is past end of life"),
		eol(chain("b/1", "buster", "other", "b1"), 0, "Debian 10 is past end of life"),
		// The same release from another layer: another group.
		eol(chain("c/1", "buster-2", "c1"), 0, "Debian 10 is past end of life"),
	}, nil)
	if len(r.EndOfLife) != 2 {
		t.Fatalf("%+v", r.EndOfLife)
	}
	e := r.EndOfLife[0]
	if e.Images != 3 || e.DiffID != "sha256:buster" || e.Base != "sha256:buster" || e.CreatedBy != "layer buster" {
		t.Errorf("%+v", e)
	}
	if e := r.EndOfLife[1]; e.Images != 1 || e.Base != "" || e.References[0] != "c/1" {
		t.Errorf("%+v", e)
	}
}
