// Command bigimage writes slimpy's large benchmark image as an OCI layout.
//
//	go run ./internal/bigimage/cmd -out DIR [-scale 1] [-extra 2200M] [-seed 1] [-stats] [-docker-archive FILE]
//
// Inspect it with `slimpy inspect oci:DIR`; -docker-archive also writes it
// as a `docker save` archive, for dive, which reads no OCI layout. See
// docs/performance.md.
package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/slimpy/slimpy/internal/bigimage"
)

func main() {
	o := bigimage.DefaultOptions
	out := flag.String("out", "", "directory to write the OCI layout into (created; must not exist)")
	flag.Float64Var(&o.Scale, "scale", o.Scale, "multiplies the files of the base image (1 → ~0.8 GB, ~205k files)")
	extra := flag.String("extra", "0", "bytes of large native libraries added in two more layers, e.g. 2200M")
	flag.Int64Var(&o.Seed, "seed", o.Seed, "content seed")
	stats := flag.Bool("stats", false, "print the per-layer file and byte counts without writing anything")
	archive := flag.String("docker-archive", "", "also write the image as a docker save archive to this file")
	flag.Parse()
	n, err := parseSize(*extra)
	if err != nil {
		fail(err)
	}
	o.ExtraBytes = n
	if *stats {
		info, per := bigimage.Stats(o)
		for i, l := range per {
			fmt.Printf("layer %2d: %7d files %8.1f MB\n", i, l.Files, float64(l.Bytes)/1e6)
		}
		fmt.Printf("total:    %7d files %8.1f MB in %d layers\n", info.Files, float64(info.Bytes)/1e6, info.Layers)
		return
	}
	if *out == "" {
		fail(fmt.Errorf("-out DIR is required"))
	}
	if err := os.Mkdir(*out, 0o755); err != nil {
		fail(err)
	}
	info, err := bigimage.Generate(*out, o)
	if err != nil {
		fail(err)
	}
	if *archive != "" {
		if err := writeDockerArchive(*out, *archive); err != nil {
			fail(err)
		}
	}
	b, _ := json.MarshalIndent(info, "", "  ")
	fmt.Println(string(b))
}

// writeDockerArchive writes the layout's image as docker save writes it
// (uncompressed layer tars, manifest.json), tagged slimpy/bigimage:bench.
// Written here rather than through the engine: docker load refuses the
// image's layers, which hold a path twice on purpose.
func writeDockerArchive(dir, file string) error {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	if len(m.Manifests) != 1 {
		return fmt.Errorf("%s: %d manifests, want 1", dir, len(m.Manifests))
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		return err
	}
	rawCfg, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	cfgName, err := img.ConfigName()
	if err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	add := func(name string, size int64, r io.Reader) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := io.Copy(tw, r)
		return err
	}
	manifest := []map[string]any{{"Config": cfgName.Hex + ".json", "RepoTags": []string{"slimpy/bigimage:bench"}}}
	var names []string
	for _, l := range layers {
		diffID, err := l.DiffID()
		if err != nil {
			return err
		}
		name := diffID.Hex + "/layer.tar"
		names = append(names, name)
		if err := addLayer(add, name, l, filepath.Dir(file)); err != nil {
			return err
		}
	}
	manifest[0]["Layers"] = names
	mj, err := json.Marshal(manifest)
	if err != nil {
		return err
	}
	if err := add(cfgName.Hex+".json", int64(len(rawCfg)), bytes.NewReader(rawCfg)); err != nil {
		return err
	}
	if err := add("manifest.json", int64(len(mj)), bytes.NewReader(mj)); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// addLayer adds the layer's uncompressed tar as the member name. The
// member's size comes first, so the tar goes to a temporary file in dir.
func addLayer(add func(string, int64, io.Reader) error, name string, l v1.Layer, dir string) error {
	tmp, err := os.CreateTemp(dir, ".layer-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	rc, err := l.Uncompressed()
	if err != nil {
		return err
	}
	n, err := io.Copy(tmp, rc)
	rc.Close()
	if err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return add(name, n, tmp)
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n * mult, err
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bigimage:", err)
	os.Exit(2)
}
