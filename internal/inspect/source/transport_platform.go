package source

import (
	"fmt"
	"runtime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/slimpy/slimpy/internal/textsafe"
)

// parsePlatform reads "os/arch[/variant]". Empty means the host's
// architecture on linux (images for darwin or windows hosts are, in
// practice, linux images run in a VM), and explicit reports false.
func parsePlatform(s string) (p v1.Platform, explicit bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		os := runtime.GOOS
		if os != "windows" {
			os = "linux"
		}
		return v1.Platform{OS: os, Architecture: normArch(runtime.GOARCH)}, false, nil
	}
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" || (len(parts) == 3 && parts[2] == "") {
		return v1.Platform{}, true, fmt.Errorf("invalid platform %q: want os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8", s)
	}
	p = v1.Platform{OS: strings.ToLower(parts[0]), Architecture: normArch(strings.ToLower(parts[1]))}
	if len(parts) == 3 {
		p.Variant = strings.ToLower(parts[2])
	}
	return p, true, nil
}

func normArch(a string) string {
	switch a {
	case "x86_64", "x86-64":
		return "amd64"
	case "aarch64":
		return "arm64"
	case "i386", "i686":
		return "386"
	}
	return a
}

// normVariant fills in the variant an architecture implies when none is
// written (arm64 is v8, arm is v7), so linux/arm64 and linux/arm64/v8 match.
func normVariant(arch, v string) string {
	if v != "" {
		return v
	}
	switch arch {
	case "arm64":
		return "v8"
	case "arm":
		return "v7"
	}
	return ""
}

// platformMatches reports whether have satisfies want; an empty wanted
// variant accepts any variant.
func platformMatches(want, have v1.Platform) bool {
	if !strings.EqualFold(want.OS, have.OS) || normArch(want.Architecture) != normArch(strings.ToLower(have.Architecture)) {
		return false
	}
	if want.Variant == "" {
		return true
	}
	arch := normArch(want.Architecture)
	return normVariant(arch, want.Variant) == normVariant(arch, strings.ToLower(have.Variant))
}

// formatPlatform writes os/arch[/variant]; "" when the image does not say.
func formatPlatform(p v1.Platform) string {
	if p.OS == "" && p.Architecture == "" {
		return ""
	}
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

func configPlatform(cfg *v1.ConfigFile) v1.Platform {
	if cfg == nil {
		return v1.Platform{}
	}
	return v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant, OSVersion: cfg.OSVersion}
}

// isAttestation tells the attestation manifests buildkit puts in indexes
// ("unknown/unknown") from real images.
func isAttestation(d v1.Descriptor) bool {
	if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
		return true
	}
	return d.Platform != nil && d.Platform.OS == "unknown" && d.Platform.Architecture == "unknown"
}

// noPlatformError is the message for an index (or a single image) that
// has no image for the wanted platform.
func noPlatformError(ref string, want v1.Platform, have []string) error {
	if len(have) == 0 {
		return fmt.Errorf("image %s has no %s image; it has no images with a known platform", textsafe.OneLine(ref), formatPlatform(want))
	}
	return fmt.Errorf("image %s has no %s image; it has %s", textsafe.OneLine(ref), formatPlatform(want), listSome(have))
}

// indexCandidate is one image of a (possibly nested) index.
type indexCandidate struct {
	platform v1.Platform
	image    func() (v1.Image, error)
}

// pickFromIndex chooses the image of idx for the wanted platform, looking
// into nested indexes; images without a platform in their descriptor are
// identified by their config.
func pickFromIndex(ref string, idx v1.ImageIndex, want v1.Platform) (v1.Image, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, refErrf(ref, "reading the image index: %w", err)
	}
	return pickFromDescriptors(ref, idx, im.Manifests, want)
}

// pickFromDescriptors is pickFromIndex over some entries of idx.
func pickFromDescriptors(ref string, idx v1.ImageIndex, descs []v1.Descriptor, want v1.Platform) (v1.Image, error) {
	var cands []indexCandidate
	if err := collectCandidates(idx, descs, &cands, 0); err != nil {
		return nil, refErr(ref, err)
	}
	var have []string
	seen := map[string]bool{}
	for _, c := range cands {
		if platformMatches(want, c.platform) {
			img, err := c.image()
			if err != nil {
				return nil, refErrf(ref, "reading the %s image: %w", formatPlatform(c.platform), err)
			}
			return img, nil
		}
		s := formatPlatform(c.platform)
		if s == "" {
			s = "an image of unknown platform"
		}
		if !seen[s] {
			seen[s] = true
			have = append(have, s)
		}
	}
	return nil, noPlatformError(ref, want, have)
}

func collectCandidates(idx v1.ImageIndex, descs []v1.Descriptor, out *[]indexCandidate, depth int) error {
	if depth > 4 {
		return fmt.Errorf("image indexes nested too deeply")
	}
	for _, d := range descs {
		if isAttestation(d) {
			continue
		}
		d := d
		switch {
		case d.MediaType.IsIndex():
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return fmt.Errorf("reading the nested index %s: %w", d.Digest, err)
			}
			im, err := child.IndexManifest()
			if err != nil {
				return fmt.Errorf("reading the nested index %s: %w", d.Digest, err)
			}
			if err := collectCandidates(child, im.Manifests, out, depth+1); err != nil {
				return err
			}
		case d.MediaType.IsImage():
			c := indexCandidate{image: func() (v1.Image, error) { return guardedImage(idx, d.Digest) }}
			if d.Platform != nil && d.Platform.OS != "" {
				c.platform = *d.Platform
			} else {
				img, err := guardedImage(idx, d.Digest)
				if err != nil {
					return fmt.Errorf("reading image %s: %w", d.Digest, err)
				}
				cfg, err := configOf(img)
				if err != nil {
					return fmt.Errorf("image %s: %w", d.Digest, err)
				}
				c.platform = configPlatform(cfg)
				c.image = func() (v1.Image, error) { return img, nil }
			}
			*out = append(*out, c)
		}
	}
	return nil
}

// checkSinglePlatform accepts a single-platform image unless the user
// asked for another platform explicitly. It returns the image's platform.
func checkSinglePlatform(ref string, img v1.Image, want v1.Platform, explicit bool) (string, error) {
	cfg, err := configOf(img)
	if err != nil {
		return "", refErr(ref, err)
	}
	have := configPlatform(cfg)
	if explicit && !platformMatches(want, have) {
		s := formatPlatform(have)
		if s == "" {
			s = "only an image of unknown platform"
		} else {
			s = "only " + s
		}
		return "", noPlatformError(ref, want, []string{s})
	}
	return formatPlatform(have), nil
}

// configOf reads img's manifest, then its config, so that an error says
// which of the two could not be read.
func configOf(img v1.Image) (*v1.ConfigFile, error) {
	if err := ManifestError(img); err != nil {
		return nil, fmt.Errorf("reading the image manifest: %w", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading the image config: %w", err)
	}
	return cfg, nil
}
