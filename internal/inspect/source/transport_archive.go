package source

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

const ociRefNameAnnotation = "org.opencontainers.image.ref.name"

// statFile explains a missing or wrong-kind path in a few words.
func statFile(ref, p string, wantDir bool) error {
	if p == "" {
		return refErr(ref, errors.New("no path given"))
	}
	fi, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if wantDir {
			return refErr(ref, errors.New("no such directory"))
		}
		return refErr(ref, errors.New("no such file"))
	case errors.Is(err, fs.ErrPermission):
		return refErr(ref, errors.New("permission denied"))
	case err != nil:
		return refErr(ref, err)
	case wantDir && !fi.IsDir():
		return refErr(ref, errors.New("not a directory (for a tar of an OCI layout use oci-archive:)"))
	case !wantDir && fi.IsDir():
		if isOCILayout(p) {
			return refErr(ref, errors.New("is a directory (an OCI layout: use oci:)"))
		}
		return refErr(ref, errors.New("is a directory, not a tar archive"))
	case !wantDir && !fi.Mode().IsRegular():
		// A FIFO would block the read; a device would never end.
		return refErrf(ref, "a %s, not a regular file", fileKind(fi.Mode()))
	}
	return nil
}

func isOCILayout(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "index.json"))
	return err == nil
}

// openBareArchive opens an existing .tar path: a docker save archive,
// or failing that an OCI archive.
func openBareArchive(ctx context.Context, ref string, opts OpenOptions) (*Source, error) {
	hasManifest, hasIndex, err := tarHas(ref, "manifest.json", "index.json")
	if err != nil {
		return nil, refErrf(ref, "not a readable tar archive: %w", err)
	}
	if !hasManifest && hasIndex {
		return openOCIArchive(ctx, ref, ref, "", opts)
	}
	return openDockerArchive(ref, ref, "", opts)
}

// tarHas reports whether the tar at p holds the top-level files a and b.
func tarHas(p, a, b string) (hasA, hasB bool, err error) {
	f, err := os.Open(p)
	if err != nil {
		return false, false, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return hasA, hasB, nil
		}
		if err != nil {
			return hasA, hasB, err
		}
		switch path.Clean(strings.TrimPrefix(h.Name, "./")) {
		case a:
			hasA = true
		case b:
			hasB = true
		}
		if hasA && hasB {
			return true, true, nil
		}
	}
}

// openDockerArchive opens a docker save tarball; tag ("NAME:TAG") picks
// one of several images.
func openDockerArchive(ref, p, tag string, opts OpenOptions) (*Source, error) {
	want, explicit, err := parsePlatform(opts.Platform)
	if err != nil {
		return nil, refErr(ref, err)
	}
	if err := statFile(ref, p, false); err != nil {
		return nil, err
	}
	members, err := scanArchive(p)
	if err != nil {
		return nil, refErrf(ref, "not a docker save archive (not a readable tar archive: %w)", err)
	}
	if mf, ok := members.get("manifest.json"); ok && mf.size > maxManifestBytes {
		return nil, refErrf(ref, "manifest.json is %s, more than the %s limit", humanize.IBytes(uint64(mf.size)), humanize.IBytes(maxManifestBytes))
	}
	opener := func() (io.ReadCloser, error) { return os.Open(p) }
	m, err := tarball.LoadManifest(opener)
	if err != nil {
		if strings.Contains(err.Error(), "not found in tar") {
			if _, hasIndex, _ := tarHas(p, "manifest.json", "index.json"); hasIndex {
				return nil, refErr(ref, errors.New("no manifest.json: this is an OCI archive, open it with oci-archive:PATH"))
			}
			return nil, refErr(ref, errors.New("not a docker save archive (no manifest.json)"))
		}
		return nil, refErrf(ref, "not a docker save archive: %w", err)
	}
	if len(m) == 0 {
		return nil, refErr(ref, errors.New("the archive holds no images"))
	}

	var (
		tagp    *name.Tag
		display string
	)
	if tag != "" {
		t, err := name.NewTag(tag)
		if err != nil {
			return nil, refErrf(ref, "invalid tag %q: %w", tag, err)
		}
		found := false
		for _, d := range m {
			for _, rt := range d.RepoTags {
				if x, err := name.NewTag(rt); err == nil && x.Name() == t.Name() {
					found = true
				}
			}
		}
		if !found {
			return nil, refErrf(ref, "the archive has no image %s; it has %s", tag, archiveTags(m))
		}
		tagp, display = &t, tag
	} else {
		if len(m) > 1 {
			return nil, refErrf(ref, "the archive holds %d images; pick one with docker-archive:%s:NAME:TAG (it has %s)", len(m), p, archiveTags(m))
		}
		if len(m[0].RepoTags) > 0 {
			display = m[0].RepoTags[0]
		}
	}
	if display == "" {
		display = p
	}

	chosen := chosenDescriptor(m, tagp)
	if err := members.checkImage(chosen); err != nil {
		return nil, refErr(ref, err)
	}
	timg, err := tarball.ImageFromPath(p, tagp)
	if err != nil {
		return nil, refErrf(ref, "reading the archive: %w", err)
	}
	// tarball lists the layers the config names: manifest.json's others
	// went unread, their bytes counted nowhere (docker load refuses such
	// an archive; a config naming more layers, tarball refuses itself).
	if cfg, err := timg.ConfigFile(); err == nil && len(cfg.RootFS.DiffIDs) != len(chosen.Layers) {
		return nil, refErrf(ref, "the image config lists %d layers but manifest.json has %d", len(cfg.RootFS.DiffIDs), len(chosen.Layers))
	}
	img := guardSynthesized(timg)
	plat, err := checkSinglePlatform(ref, img, want, explicit)
	if err != nil {
		return nil, err
	}
	return &Source{
		Reference:     ref,
		Transport:     TransportArchive,
		Name:          display,
		Image:         img,
		Platform:      plat,
		RawCompressed: false, // tarball's Compressed() would re-gzip
		BlobSizes:     members.layerSizes(chosen),
	}, nil
}

// chosenDescriptor is the manifest entry tarball.ImageFromPath opens: the
// one tagged tag, else the only one.
func chosenDescriptor(m tarball.Manifest, tag *name.Tag) tarball.Descriptor {
	if tag != nil {
		for _, d := range m {
			for _, rt := range d.RepoTags {
				if x, err := name.NewTag(rt); err == nil && x.Name() == tag.Name() {
					return d
				}
			}
		}
	}
	return m[0]
}

func archiveTags(m tarball.Manifest) string {
	var tags []string
	untagged := 0
	for _, d := range m {
		if len(d.RepoTags) == 0 {
			untagged++
		}
		tags = append(tags, d.RepoTags...)
	}
	return listNames(tags, untagged, "no tags")
}

// openOCILayout opens an OCI image layout directory; tag matches the
// org.opencontainers.image.ref.name annotation of an index.json entry.
func openOCILayout(_ context.Context, ref, dir, tag string, opts OpenOptions) (*Source, error) {
	src, err := openLayout(ref, dir, tag, opts)
	if err != nil {
		return nil, err
	}
	src.Transport = TransportOCI
	return src, nil
}

func openLayout(ref, dir, tag string, opts OpenOptions) (*Source, error) {
	if err := statFile(ref, dir, true); err != nil {
		return nil, err
	}
	return openLayoutStore(ref, dirStore{dir: dir}, dir, tag, opts)
}

// openLayoutStore opens the layout in store; where is its path, for
// messages and the source's name.
func openLayoutStore(ref string, store ociStore, where, tag string, opts OpenOptions) (*Source, error) {
	want, explicit, err := parsePlatform(opts.Platform)
	if err != nil {
		return nil, refErr(ref, err)
	}
	idx, err := readLayoutIndex(store)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, refErr(ref, errors.New("not an OCI image layout (no index.json)"))
	}
	if err != nil {
		return nil, refErrf(ref, "reading index.json: %w", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, refErrf(ref, "reading index.json: %w", err)
	}
	var descs []v1.Descriptor
	for _, d := range im.Manifests {
		if !isAttestation(d) {
			descs = append(descs, d)
		}
	}
	if len(descs) == 0 {
		return nil, refErr(ref, errors.New("the layout holds no images"))
	}

	var chosen []v1.Descriptor
	if tag != "" {
		chosen = matchRefName(descs, tag)
		if len(chosen) == 0 {
			return nil, refErrf(ref, "the layout has no image tagged %q; it has %s", tag, layoutNames(descs))
		}
	} else {
		chosen = descs
		if len(descs) > 1 && len(distinctRefNames(descs)) > 1 {
			return nil, refErrf(ref, "the layout holds %d images; pick one with %s:TAG (it has %s)", len(descs), strings.SplitN(ref, ":", 2)[0]+":"+where, layoutNames(descs))
		}
	}

	src := &Source{Reference: ref, Name: where, RawCompressed: true}
	if tag != "" {
		src.Name = where + ":" + tag
	}
	if len(chosen) == 1 && chosen[0].MediaType.IsImage() {
		img, err := guardedImage(idx, chosen[0].Digest)
		if err != nil {
			return nil, refErrf(ref, "reading image %s: %w", chosen[0].Digest, err)
		}
		if src.Platform, err = checkSinglePlatform(ref, img, want, explicit); err != nil {
			return nil, err
		}
		src.Image = img
		return src, nil
	}
	// An index, or several entries under one name: choose by platform.
	img, err := pickFromDescriptors(ref, idx, chosen, want)
	if err != nil {
		return nil, err
	}
	cfg, err := configOf(img)
	if err != nil {
		return nil, refErr(ref, err)
	}
	src.Image, src.Platform = img, formatPlatform(configPlatform(cfg))
	return src, nil
}

// matchRefName finds the entries named tag: exactly, or as the tag of a
// full reference ("docker.io/library/app:1" for "1"), or as a full
// reference whose normalised name is tag's.
func matchRefName(descs []v1.Descriptor, tag string) []v1.Descriptor {
	var exact, loose []v1.Descriptor
	var want *name.Tag
	if t, err := name.NewTag(tag); err == nil && strings.ContainsAny(tag, ":/") {
		want = &t
	}
	for _, d := range descs {
		n := d.Annotations[ociRefNameAnnotation]
		if n == "" {
			n = d.Annotations["io.containerd.image.name"]
		}
		if n == "" {
			continue
		}
		if n == tag {
			exact = append(exact, d)
			continue
		}
		if t, err := name.NewTag(n); err == nil && strings.ContainsAny(n, ":/") {
			if t.TagStr() == tag || (want != nil && t.Name() == want.Name()) {
				loose = append(loose, d)
			}
		}
	}
	if len(exact) > 0 {
		return exact
	}
	return loose
}

func refNameOf(d v1.Descriptor) string {
	if n := d.Annotations[ociRefNameAnnotation]; n != "" {
		return n
	}
	return d.Annotations["io.containerd.image.name"]
}

func distinctRefNames(descs []v1.Descriptor) map[string]bool {
	names := map[string]bool{}
	for _, d := range descs {
		if n := refNameOf(d); n != "" {
			names[n] = true
		}
	}
	return names
}

func layoutNames(descs []v1.Descriptor) string {
	var names []string
	untagged := 0
	for n := range distinctRefNames(descs) {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, d := range descs {
		if refNameOf(d) == "" {
			untagged++
		}
	}
	return listNames(names, untagged, "no images")
}

// openOCIArchive opens a tar of an OCI layout in place (openTarStore):
// nothing is extracted, and only what index.json reaches is read.
func openOCIArchive(_ context.Context, ref, p, tag string, opts OpenOptions) (*Source, error) {
	if err := statFile(ref, p, false); err != nil {
		return nil, err
	}
	store, err := openTarStore(p)
	if err != nil {
		return nil, refErr(ref, err)
	}
	rc, _, err := store.open("index.json")
	if err != nil {
		store.Close()
		if hasManifest, _, _ := tarHas(p, "manifest.json", "index.json"); hasManifest {
			return nil, refErr(ref, errors.New("not an OCI archive (no index.json); it looks like a docker save archive: use docker-archive:PATH"))
		}
		return nil, refErr(ref, errors.New("not an OCI archive (no index.json)"))
	}
	rc.Close()
	src, err := openLayoutStore(ref, store, p, tag, opts)
	if err != nil {
		store.Close()
		return nil, err
	}
	src.Transport = TransportOCIArchive
	src.closers = append(src.closers, store)
	return src, nil
}
