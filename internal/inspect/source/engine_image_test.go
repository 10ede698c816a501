package source

import (
	"io"
	"testing"
)

// TestEngineImageWarmNeverExports: an image of the engine whose config is
// in the config cache gives its config and its layers' diffIDs (all a warm
// analysis reads, its layers being in the layer cache) without exporting
// the image (docker save of a big image takes most of a cold run), and
// they are the same; without a cache the image is exported as before.
func TestEngineImageWarmNeverExports(t *testing.T) {
	trRequireDocker(t)
	tag := trLoadImage(t, "engine-warm", trTestImage(t, "linux/amd64"))
	cache := mapConfigCache{}

	// read opens the image and reads its config and its layers' diffIDs,
	// and with content every layer, as a cold analysis does; it says
	// whether the image was exported.
	read := func(c ConfigCache, content bool) (string, bool) {
		t.Helper()
		src := trMustOpen(t, "docker-daemon:"+tag, OpenOptions{})
		defer src.Close()
		src.UseCache(c)
		raw, err := src.Image.RawConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		ls, err := src.Image.Layers()
		if err != nil {
			t.Fatal(err)
		}
		got := string(raw)
		for _, l := range ls {
			d, err := l.DiffID()
			if err != nil {
				t.Fatal(err)
			}
			got += " " + d.String()
			if content {
				rc, err := l.Uncompressed()
				if err != nil {
					t.Fatal(err)
				}
				_, err = io.Copy(io.Discard, rc)
				rc.Close()
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		saver := src.closers[0].(*tempCapturingClient)
		return got, len(saver.paths) > 0
	}
	cold, exported := read(cache, true)
	if !exported {
		t.Fatal("the first read did not export the image")
	}
	warm, exported := read(cache, false)
	if exported {
		t.Error("the warm read exported the image")
	}
	if warm != cold {
		t.Errorf("the warm read differs:\ncold %s\nwarm %s", cold, warm)
	}
	if _, exported := read(nil, false); !exported {
		t.Error("without a cache the image was not exported")
	}

	// A kept config that lists other layers is a miss, not a wrong answer.
	if len(cache) != 1 {
		t.Fatalf("configs kept: %d", len(cache))
	}
	for id := range cache {
		cache[id] = []byte(`{"rootfs":{"type":"layers","diff_ids":[]}}`)
	}
	again, exported := read(cache, false)
	if !exported {
		t.Error("a config that lists other layers was trusted")
	}
	if again != cold {
		t.Errorf("the read after a damaged config differs")
	}
}

// mapConfigCache is a ConfigCache in memory.
type mapConfigCache map[string][]byte

func (m mapConfigCache) Config(imageID string, limit int64) []byte {
	if int64(len(m[imageID])) > limit {
		return nil
	}
	return m[imageID]
}

func (m mapConfigCache) KeepConfig(imageID string, raw []byte) { m[imageID] = raw }
