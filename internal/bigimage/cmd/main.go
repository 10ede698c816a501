// Command bigimage writes slimpy's large benchmark image as an OCI layout.
//
//	go run ./internal/bigimage/cmd -out DIR [-scale 1] [-extra 2200M] [-seed 1] [-stats] [-name] [-docker-archive FILE]
//
// Inspect it with `slimpy inspect oci:DIR`; -docker-archive also writes it
// as the engine's `docker save` writes it (byte for byte what `docker
// load` then `docker save` give back), for dive, which reads no OCI
// layout. -name prints the directory name that identifies the options and
// the generator's version (bigimage.Options.Name). See
// docs/performance.md.
package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

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
	name := flag.Bool("name", false, "print the name that identifies the options and the generator's version")
	flag.Parse()
	n, err := parseSize(*extra)
	if err != nil {
		fail(err)
	}
	o.ExtraBytes = n
	if *name {
		fmt.Println(o.Name())
		return
	}
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

// writeDockerArchive writes the layout's image as `docker save` (engine
// 20.10, the legacy layout) writes it, tagged slimpy/bigimage:bench: per
// layer a directory named by its v1 ID (a hash of its chain ID and its
// parent's v1 ID, as the engine derives it) holding VERSION, json and the
// uncompressed layer.tar; the config as HEX.json; manifest.json and
// repositories; members sorted by name, as docker save tars its
// directory. `docker load` takes the archive, and the engine's `docker
// save` of the loaded image gives the same members back.
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
	type v1Layer struct {
		id   string
		json []byte
		l    v1.Layer
	}
	var v1s []v1Layer
	var chain, parent string
	for i, l := range layers {
		diffID, err := l.DiffID()
		if err != nil {
			return err
		}
		if chain == "" {
			chain = diffID.String()
		} else {
			chain = sha256Hex(chain+" "+diffID.String(), "sha256:")
		}
		var top []byte
		if i == len(layers)-1 {
			top = rawCfg
		}
		id, js, err := v1LayerJSON(chain, parent, top)
		if err != nil {
			return err
		}
		v1s = append(v1s, v1Layer{id, js, l})
		parent = id
	}
	type manifestEntry struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	manifest := []manifestEntry{{Config: cfgName.Hex + ".json", RepoTags: []string{"slimpy/bigimage:bench"}}}
	for _, v := range v1s {
		manifest[0].Layers = append(manifest[0].Layers, v.id+"/layer.tar")
	}
	mj, err := json.Marshal(manifest)
	if err != nil {
		return err
	}
	repos, err := json.Marshal(map[string]map[string]string{"slimpy/bigimage": {"bench": parent}})
	if err != nil {
		return err
	}
	// The engine's json.Encoder ends both with a newline.
	mj, repos = append(mj, '\n'), append(repos, '\n')
	cfg, err := img.ConfigFile()
	if err != nil {
		return err
	}

	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	// The engine dates the image's members by its creation, the other two
	// by the epoch, and keeps the file type bits in the modes.
	mtime := cfg.Created.Time
	add := func(name string, size int64, r io.Reader) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o100644, Size: size, Typeflag: tar.TypeReg, ModTime: mtime,
			Uname: "root", Gname: "root"}); err != nil {
			return err
		}
		_, err := io.Copy(tw, r)
		return err
	}
	// Members in name order: the layers' directories and the config
	// (named by hex digests) interleave; manifest.json and repositories
	// come last.
	sort.Slice(v1s, func(i, j int) bool { return v1s[i].id < v1s[j].id })
	cfgFile := cfgName.Hex + ".json"
	addConfig := func() error { return add(cfgFile, int64(len(rawCfg)), bytes.NewReader(rawCfg)) }
	for _, v := range v1s {
		if cfgFile != "" && cfgFile < v.id {
			if err := addConfig(); err != nil {
				return err
			}
			cfgFile = ""
		}
		if err := tw.WriteHeader(&tar.Header{Name: v.id + "/", Mode: 0o40755, Typeflag: tar.TypeDir, ModTime: mtime,
			Uname: "root", Gname: "root"}); err != nil {
			return err
		}
		if err := add(v.id+"/VERSION", 3, strings.NewReader("1.0")); err != nil {
			return err
		}
		if err := add(v.id+"/json", int64(len(v.json)), bytes.NewReader(v.json)); err != nil {
			return err
		}
		if err := addLayer(add, v.id+"/layer.tar", v.l, filepath.Dir(file)); err != nil {
			return err
		}
	}
	if cfgFile != "" {
		if err := addConfig(); err != nil {
			return err
		}
	}
	mtime = time.Unix(0, 0)
	if err := add("manifest.json", int64(len(mj)), bytes.NewReader(mj)); err != nil {
		return err
	}
	if err := add("repositories", int64(len(repos)), bytes.NewReader(repos)); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// v1Image is the engine's v1 image JSON (moby's image.V1Image) with the
// fields docker save fills in.
type v1Image struct {
	ID              string           `json:"id,omitempty"`
	Parent          string           `json:"parent,omitempty"`
	Created         string           `json:"created"`
	ContainerConfig containerConfig  `json:"container_config"`
	Config          *containerConfig `json:"config,omitempty"`
	Architecture    string           `json:"architecture,omitempty"`
	OS              string           `json:"os,omitempty"`
}

// containerConfig is the engine's container.Config, its fields in order.
type containerConfig struct {
	Hostname        string
	Domainname      string
	User            string
	AttachStdin     bool
	AttachStdout    bool
	AttachStderr    bool
	ExposedPorts    map[string]struct{} `json:",omitempty"`
	Tty             bool
	OpenStdin       bool
	StdinOnce       bool
	Env             []string
	Cmd             []string
	Healthcheck     json.RawMessage `json:",omitempty"`
	ArgsEscaped     bool            `json:",omitempty"`
	Image           string
	Volumes         map[string]struct{}
	WorkingDir      string
	Entrypoint      []string
	NetworkDisabled bool   `json:",omitempty"`
	MacAddress      string `json:",omitempty"`
	OnBuild         []string
	Labels          map[string]string
	StopSignal      string   `json:",omitempty"`
	StopTimeout     *int     `json:",omitempty"`
	Shell           []string `json:",omitempty"`
}

// v1LayerJSON is the v1 ID and the json file docker save writes for a
// layer: moby's v1.CreateID, the sha256 of the layer's v1 image JSON with
// layer_id (its chain ID) and parent added. A layer below the top has an
// empty v1 image created at the epoch; the top one has the image's config.
func v1LayerJSON(chainID, parent string, top []byte) (string, []byte, error) {
	img := v1Image{Created: "1970-01-01T00:00:00Z"}
	if top != nil {
		var cfg struct {
			Created      string          `json:"created"`
			Architecture string          `json:"architecture"`
			OS           string          `json:"os"`
			Config       containerConfig `json:"config"`
		}
		if err := json.Unmarshal(top, &cfg); err != nil {
			return "", nil, err
		}
		img = v1Image{Created: cfg.Created, Config: &cfg.Config, Architecture: cfg.Architecture, OS: cfg.OS}
	}
	b, err := json.Marshal(img)
	if err != nil {
		return "", nil, err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		return "", nil, err
	}
	doc["layer_id"], _ = json.Marshal(chainID)
	if parent != "" {
		doc["parent"], _ = json.Marshal("sha256:" + parent)
	}
	if b, err = json.Marshal(doc); err != nil {
		return "", nil, err
	}
	img.ID, img.Parent = sha256Hex(string(b), ""), parent
	if img.OS == "" {
		img.OS = "linux"
	}
	js, err := json.Marshal(img)
	return img.ID, js, err
}

func sha256Hex(s, prefix string) string {
	sum := sha256.Sum256([]byte(s))
	return prefix + hex.EncodeToString(sum[:])
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
