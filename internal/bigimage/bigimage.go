// Package bigimage generates, deterministically, a large Python image for
// slimpy's speed and memory benchmarks: ≥ 800 MB of regular-file bytes in
// ≥ 200k files over 11 layers, with content that compresses like real code
// (~3x) and the usual waste (overwrites, rm -rf, a chown -R layer, opaque
// directories, an apt purge). Each layer holds what `docker build` would
// have recorded for its step, in the order the engine exports it. It
// writes an OCI image layout; nothing it writes is committed.
//
//	go run ./internal/bigimage/cmd -out /tmp/big            # ~0.8 GB
//	go run ./internal/bigimage/cmd -out /tmp/big3 -extra 2200M   # ~3 GB
//
// The benchmarks in internal/inspect generate it once into a cache
// directory (see Ensure).
package bigimage

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/errgroup"
)

// Version changes whenever the generator's output changes, so that a
// cached image from an older generator is not reused. 2: layers shaped as
// the engine exports built layers (sorted, a removed directory one
// whiteout, no path twice).
const Version = 2

// Options shape the image.
type Options struct {
	// Scale multiplies the number of packages, modules and files of the
	// base image (1 → ~0.8 GB, ~205k files).
	Scale float64
	// ExtraBytes adds two layers of large native libraries (as torch and
	// the CUDA wheels do) holding about that many bytes.
	ExtraBytes int64
	// Seed picks the content; the same options give the same image.
	Seed int64
}

// DefaultOptions is the ~0.8 GB benchmark image.
var DefaultOptions = Options{Scale: 1, Seed: 1}

// Info describes a generated image.
type Info struct {
	Version         int     `json:"version"`
	Options         Options `json:"options"`
	Layers          int     `json:"layers"`
	Files           int     `json:"files"`           // regular-file entries, all layers
	Bytes           int64   `json:"bytes"`           // regular-file bytes, all layers
	TarBytes        int64   `json:"tarBytes"`        // uncompressed layer tarballs
	CompressedBytes int64   `json:"compressedBytes"` // gzip blobs
	Seconds         float64 `json:"seconds"`         // time to generate
}

// Name is a directory name that identifies the options.
func (o Options) Name() string {
	return fmt.Sprintf("bigimage-v%d-scale%g-extra%dM-seed%d", Version, o.Scale, o.ExtraBytes>>20, o.Seed)
}

// Ensure returns the OCI layout for o under root, generating it the first
// time.
func Ensure(root string, o Options) (string, Info, error) {
	dir := filepath.Join(root, o.Name())
	if b, err := os.ReadFile(filepath.Join(dir, "bigimage.json")); err == nil {
		var info Info
		if json.Unmarshal(b, &info) == nil && info.Version == Version {
			return dir, info, nil
		}
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", Info{}, err
	}
	tmp, err := os.MkdirTemp(root, ".tmp-"+o.Name()+"-")
	if err != nil {
		return "", Info{}, err
	}
	defer os.RemoveAll(tmp)
	info, err := Generate(tmp, o)
	if err != nil {
		return "", Info{}, err
	}
	os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		return "", Info{}, err
	}
	return dir, info, nil
}

// Stats returns the file and byte counts of the image without writing it.
func Stats(o Options) (Info, []Info) {
	layers := plan(o)
	info := Info{Version: Version, Options: o, Layers: len(layers)}
	per := make([]Info, len(layers))
	for i, l := range layers {
		for _, e := range l.entries {
			if e.typ == tar.TypeReg {
				per[i].Files++
				per[i].Bytes += e.size
			}
		}
		info.Files += per[i].Files
		info.Bytes += per[i].Bytes
	}
	return info, per
}

type blobInfo struct {
	digest, diffID string
	size, tarSize  int64
}

// Generate writes the image as an OCI layout into dir (which must exist).
func Generate(dir string, o Options) (Info, error) {
	start := time.Now()
	if o.Scale <= 0 {
		o.Scale = 1
	}
	layers := plan(o)
	pl := newPools(o.Seed)
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return Info{}, err
	}
	info := Info{Version: Version, Options: o, Layers: len(layers)}
	out := make([]blobInfo, len(layers))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range layers {
		i := i
		g.Go(func() error {
			b, err := writeLayer(blobs, pl, layers[i].entries)
			out[i] = b
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return Info{}, err
	}
	for i, l := range layers {
		for _, e := range l.entries {
			if e.typ == tar.TypeReg {
				info.Files++
				info.Bytes += e.size
			}
		}
		info.TarBytes += out[i].tarSize
		info.CompressedBytes += out[i].size
	}
	if err := writeMetadata(dir, layers, out); err != nil {
		return Info{}, err
	}
	info.Seconds = time.Since(start).Seconds()
	b, _ := json.MarshalIndent(info, "", "  ")
	return info, os.WriteFile(filepath.Join(dir, "bigimage.json"), append(b, '\n'), 0o644)
}

// writeLayer streams one layer: tar → sha256 (diffID) → gzip → sha256
// (digest) → a blob file.
func writeLayer(blobs string, pl *pools, entries []entry) (blobInfo, error) {
	f, err := os.CreateTemp(blobs, ".layer-")
	if err != nil {
		return blobInfo{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	zd := &hashCounter{h: sha256.New(), w: f}
	zw, err := gzip.NewWriterLevel(zd, gzip.DefaultCompression)
	if err != nil {
		return blobInfo{}, err
	}
	td := &hashCounter{h: sha256.New(), w: zw}
	tw := tar.NewWriter(td)
	mtime := time.Unix(1700000000, 0)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Uid: e.uid, Gid: e.gid, Linkname: e.link,
			ModTime: mtime}
		if e.typ == tar.TypeReg {
			h.Size = e.size
		}
		if err := tw.WriteHeader(h); err != nil {
			return blobInfo{}, fmt.Errorf("%s: %w", e.name, err)
		}
		if e.typ != tar.TypeReg {
			continue
		}
		if e.data != nil {
			_, err = tw.Write(e.data)
		} else {
			err = pl.window(e.pool, e.off, e.size, func(b []byte) error { _, err := tw.Write(b); return err })
		}
		if err != nil {
			return blobInfo{}, err
		}
	}
	if err := tw.Close(); err != nil {
		return blobInfo{}, err
	}
	if err := zw.Close(); err != nil {
		return blobInfo{}, err
	}
	b := blobInfo{
		digest: "sha256:" + hex.EncodeToString(zd.h.Sum(nil)), size: zd.n,
		diffID: "sha256:" + hex.EncodeToString(td.h.Sum(nil)), tarSize: td.n,
	}
	if err := f.Close(); err != nil {
		return blobInfo{}, err
	}
	return b, os.Rename(f.Name(), filepath.Join(blobs, b.digest[len("sha256:"):]))
}

type hashCounter struct {
	h hash.Hash
	w io.Writer
	n int64
}

func (c *hashCounter) Write(p []byte) (int, error) {
	c.h.Write(p)
	c.n += int64(len(p))
	return c.w.Write(p)
}

func writeMetadata(dir string, layers []layerPlan, blobs []blobInfo) error {
	type desc struct {
		MediaType   string            `json:"mediaType"`
		Digest      string            `json:"digest"`
		Size        int64             `json:"size"`
		Annotations map[string]string `json:"annotations,omitempty"`
		Platform    map[string]string `json:"platform,omitempty"`
	}
	type history struct {
		Created   string `json:"created"`
		CreatedBy string `json:"created_by"`
	}
	created := "2026-11-01T00:00:00Z"
	cfg := map[string]any{
		"created":      created,
		"architecture": "amd64",
		"os":           "linux",
		"config": map[string]any{
			"User": "app", "WorkingDir": "/app", "Cmd": []string{"python3", "-m", "app"},
			"Env": []string{"PATH=/usr/local/bin:/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE=1"},
		},
	}
	var diffIDs []string
	var hist []history
	var layerDescs []desc
	for i, l := range layers {
		diffIDs = append(diffIDs, blobs[i].diffID)
		hist = append(hist, history{Created: created, CreatedBy: l.createdBy})
		layerDescs = append(layerDescs, desc{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Digest: blobs[i].digest, Size: blobs[i].size})
	}
	cfg["rootfs"] = map[string]any{"type": "layers", "diff_ids": diffIDs}
	cfg["history"] = hist
	cfgDesc, err := writeJSONBlob(dir, "application/vnd.oci.image.config.v1+json", cfg)
	if err != nil {
		return err
	}
	manifest := map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        cfgDesc,
		"layers":        layerDescs,
	}
	mDesc, err := writeJSONBlob(dir, "application/vnd.oci.image.manifest.v1+json", manifest)
	if err != nil {
		return err
	}
	index := map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.index.v1+json",
		"manifests": []desc{{MediaType: mDesc.MediaType, Digest: mDesc.Digest, Size: mDesc.Size,
			Annotations: map[string]string{"org.opencontainers.image.ref.name": "latest"},
			Platform:    map[string]string{"architecture": "amd64", "os": "linux"}}},
	}
	b, _ := json.Marshal(index)
	if err := os.WriteFile(filepath.Join(dir, "index.json"), b, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
}

type jsonDesc struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

func writeJSONBlob(dir, mediaType string, v any) (jsonDesc, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return jsonDesc{}, err
	}
	sum := sha256.Sum256(b)
	d := jsonDesc{MediaType: mediaType, Digest: "sha256:" + hex.EncodeToString(sum[:]), Size: int64(len(b))}
	return d, os.WriteFile(filepath.Join(dir, "blobs", "sha256", hex.EncodeToString(sum[:])), b, 0o644)
}
