package inspect

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"math/rand"
	"strconv"
	"sync"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
	"github.com/zeebo/xxh3"
)

var benchLayer struct {
	once       sync.Once
	tar, gz    []byte
	diffID     string
	files      int
	totalBytes int64
}

// benchData is a 64 MB layer shaped like a Python install: many small
// files and a few large ones, with compressible content.
func benchData(b *testing.B) ([]byte, []byte) {
	benchLayer.once.Do(func() {
		rng := rand.New(rand.NewSource(1))
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		words := []byte("import numpy as np\ndef f(x):\n    return x * 2\n# comment line\n")
		for i := 0; buf.Len() < 64<<20; i++ {
			size := rng.Intn(8 << 10)
			if i%200 == 0 {
				size = 1<<20 + rng.Intn(1<<20)
			}
			content := make([]byte, size)
			for j := range content {
				if j%97 == 0 {
					content[j] = byte(rng.Intn(256))
				} else {
					content[j] = words[j%len(words)]
				}
			}
			name := "usr/lib/python3/dist-packages/pkg" + strconv.Itoa(i%300) + "/mod" + strconv.Itoa(i) + ".py"
			tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(size)})
			tw.Write(content)
			benchLayer.files++
		}
		tw.Close()
		benchLayer.tar = buf.Bytes()
		benchLayer.diffID = tartest.DiffID(benchLayer.tar)
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.DefaultCompression)
		zw.Write(benchLayer.tar)
		zw.Close()
		benchLayer.gz = gz.Bytes()
	})
	return benchLayer.tar, benchLayer.gz
}

// BenchmarkWalkLayer is slimpy's full per-layer work: gunzip, tar, xxh3 of
// every file, sha256 of the stream (diffID check) and the captured files.
func BenchmarkWalkLayer(b *testing.B) {
	tb, gz := benchData(b)
	b.SetBytes(int64(len(tb)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r, err := layer.Decompress(bytes.NewReader(gz))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := walkLayer(r, benchLayer.diffID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorGunzipTarHash is the floor: gunzip, read the tar headers
// and hash every file's content, nothing else.
func BenchmarkFloorGunzipTarHash(b *testing.B) {
	tb, gz := benchData(b)
	b.SetBytes(int64(len(tb)))
	buf := make([]byte, 256<<10)
	for i := 0; i < b.N; i++ {
		zr, _ := gzip.NewReader(bytes.NewReader(gz))
		tr := tar.NewReader(zr)
		h := xxh3.New()
		for {
			_, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			h.Reset()
			io.CopyBuffer(h, tr, buf)
		}
	}
}

// BenchmarkMerge measures applying one analysed layer to the tree.
func BenchmarkMerge(b *testing.B) {
	tb, _ := benchData(b)
	ld, err := walkLayer(bytes.NewReader(tb), "")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := fsview.Merge([]*layer.Data{ld}); err != nil {
			b.Fatal(err)
		}
	}
}
