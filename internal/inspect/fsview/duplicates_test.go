package fsview

import (
	"reflect"
	"testing"

	fx "github.com/slimpy/slimpy/internal/fixtures"
)

// Identical contents at several visible paths form one group; hardlinks of
// one file are one member and count once in the visible totals, and a copy
// hidden by a later layer is in no group.
func TestVisibleContents(t *testing.T) {
	_, fsys, _ := mergeSteps(t,
		fx.Layer("base", fx.File("/a/x", "same bytes"), fx.File("/b/x", "same bytes"), fx.File("/c/y", "other"),
			fx.Hardlink("/a/x2", "/a/x"), fx.File("/d/tiny", "s"), fx.File("/e/tiny", "s"), fx.File("/gone", "same bytes")),
		fx.Layer("overwrite", fx.File("/gone", "new")),
	)
	bytes, files, groups := fsys.VisibleContents(2)
	if bytes != 10+10+5+1+1+3 || files != 6 {
		t.Errorf("visible %d bytes in %d files, want 30 in 6", bytes, files)
	}
	want := []DuplicateGroup{{Size: 10, Hash: groups[0].Hash, Paths: []string{"/a/x", "/b/x"}, WastedBytes: 10}}
	if !reflect.DeepEqual(groups, want) {
		t.Errorf("groups %+v, want %+v", groups, want)
	}
	if _, _, groups := fsys.VisibleContents(-1); groups != nil {
		t.Errorf("minSize -1: groups %+v", groups)
	}
}
