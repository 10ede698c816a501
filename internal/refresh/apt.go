package refresh

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/ulikunitz/xz"

	"github.com/slimpy/slimpy/internal/debversion"
)

// aptSuite is what one source's suite offers the installed packages.
type aptSuite struct {
	name     string // the suite as the image's sources write it
	security bool
	priority int
	inRel    Source
	versions map[pkgKey][]aptVersion
}

type pkgKey struct{ name, arch string }

type aptVersion struct {
	version string
	index   Source // the Packages file it is listed in
}

// apt refreshes the dpkg packages from the image's apt sources.
func (r *run) apt(ctx context.Context, img Image) {
	if len(img.Dpkg) == 0 {
		return
	}
	installed := map[string]bool{}
	archSet := map[string]bool{}
	for _, p := range img.Dpkg {
		installed[p.Name] = true
		if p.Arch != "" && p.Arch != "all" {
			archSet[p.Arch] = true
		}
	}
	var arches []string
	for a := range archSet {
		arches = append(arches, a)
	}
	sort.Strings(arches)

	keys := &keyrings{files: img.Files}
	sources := parseAptSources(img.Files)
	suites := make([]*aptSuite, len(sources))
	sem := make(chan struct{}, 2) // decompressing and parsing an index is CPU work
	r.eachSource(len(sources), maxSources, "apt sources", func(i int) {
		suites[i] = r.readSuite(ctx, sources[i], keys, installed, arches, sem)
	})

	var found []Package
	for _, p := range img.Dpkg {
		if pkg, ok := aptCandidate(p, suites); ok {
			found = append(found, pkg)
		}
	}
	r.addPackages(false, found...)
}

// aptCandidate picks the version apt would upgrade p to, as apt's policy
// does without pins (apt_preferences(5)): among the versions not older
// than the installed one, the highest priority wins, then the highest
// version; the installed version has priority 100, or its suite's when a
// suite lists it.
func aptCandidate(p InstalledPackage, suites []*aptSuite) (Package, bool) {
	key := pkgKey{p.Name, p.Arch}
	instPrio := 100
	for _, s := range suites {
		if s == nil {
			continue
		}
		for _, v := range s.versions[key] {
			if debversion.Compare(v.version, p.Version) == 0 && s.priority > instPrio {
				instPrio = s.priority
			}
		}
	}
	best, bestPrio := p.Version, instPrio
	for _, s := range suites {
		if s == nil {
			continue
		}
		for _, v := range s.versions[key] {
			if debversion.Compare(v.version, p.Version) <= 0 {
				continue // apt never downgrades without a pin over 1000
			}
			if s.priority > bestPrio || (s.priority == bestPrio && debversion.Compare(v.version, best) > 0) {
				best, bestPrio = v.version, s.priority
			}
		}
	}
	if best == p.Version {
		return Package{}, false
	}
	pkg := Package{Name: p.Name, Arch: p.Arch, Manager: "dpkg", Installed: p.Version, Candidate: best}
	var names []string
	for _, s := range suites {
		if s == nil || s.priority != bestPrio {
			continue
		}
		for _, v := range s.versions[key] {
			if debversion.Compare(v.version, best) != 0 {
				continue
			}
			if !contains(names, s.name) {
				names = append(names, s.name)
			}
			pkg.Security = pkg.Security || s.security
			if pkg.Sources == nil {
				pkg.Sources = []Source{s.inRel, v.index}
			}
		}
	}
	// Security suites first, as apt list shows the suite it takes from.
	sort.SliceStable(names, func(i, j int) bool { return isSecuritySuite(names[i]) && !isSecuritySuite(names[j]) })
	pkg.Suite = strings.Join(names, ",")
	return pkg, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// isSecuritySuite: Debian's and Ubuntu's security suites (bookworm-security,
// noble-security; buster/updates before Debian 11).
func isSecuritySuite(name string) bool {
	return strings.HasSuffix(name, "-security") || strings.HasSuffix(name, "/updates")
}

// readSuite reads one source's suite: its InRelease, then the Packages
// index of each component and architecture. nil when nothing was read.
func (r *run) readSuite(ctx context.Context, src aptSource, keys *keyrings, installed map[string]bool, arches []string, sem chan struct{}) *aptSuite {
	ix := Index{Kind: "apt", Suite: src.suite, URL: redact(src.uri)}
	u, hadUser, err := cleanURL(src.uri)
	if err == nil {
		u, err = withMirror(u, r.opt.AptMirror)
	}
	if err != nil {
		ix.Error = fmt.Sprintf("%s in %s: %v", ix.URL, src.file, err)
		r.addIndex(ix)
		return nil
	}
	base := strings.TrimSuffix(u.String(), "/") + "/"
	// A suite ending in "/" is a flat repository: its InRelease and
	// Packages are in that directory, and it has no components.
	flat := strings.HasSuffix(src.suite, "/")
	if dir := path.Clean(src.suite); flat && dir != "." {
		base += strings.TrimPrefix(dir, "/") + "/"
	} else if !flat {
		base += "dists/" + src.suite + "/"
	}
	ix.URL = base + "InRelease"

	b, err := r.fetch.get(ctx, request{url: ix.URL, max: r.opt.Limits.Document})
	if err != nil {
		if errors.Is(err, errNotFound) {
			ix.Error = "no InRelease (a Release with a detached Release.gpg is not read)"
		} else {
			r.failed(ix.URL, err)
			ix.Error = err.Error()
		}
		r.addIndex(ix)
		return nil
	}
	r.used(b)
	data, err := io.ReadAll(b)
	b.Close()
	ix.Fetched, ix.Cached = b.fetched, b.cached
	if err != nil {
		ix.Error = err.Error()
		r.addIndex(ix)
		return nil
	}
	trustedKeys, noKeys := keys.forSource(src)
	text, verified, why, err := openInRelease(data, trustedKeys, noKeys, src.trusted, r.now())
	if err != nil {
		r.problem("sig "+ix.URL, ix.URL+": "+err.Error()+"; the suite is not read", b.fetched)
		ix.Error = err.Error()
		r.addIndex(ix)
		return nil
	}
	rel, err := parseRelease(text)
	if err != nil {
		ix.Error = err.Error()
		r.addIndex(ix)
		return nil
	}
	if hadUser {
		why = strings.TrimPrefix(why+"; ", "; ") + "the credentials in the source URI were not used"
	}
	inRel := Source{URL: ix.URL, Fetched: b.fetched, Verified: verified, NotVerified: why}
	suite := &aptSuite{
		name:     src.suite,
		security: isSecuritySuite(src.suite) || strings.HasSuffix(rel.suite, "-security") || strings.Contains(rel.label, "Security"),
		priority: rel.priority(),
		inRel:    inRel,
		versions: map[pkgKey][]aptVersion{},
	}

	components := src.components
	if flat {
		components = []string{""}
	}
	want := arches
	if len(src.arches) > 0 {
		want = nil
		for _, a := range arches {
			if contains(src.arches, a) {
				want = append(want, a)
			}
		}
	}
	read := false
	for _, comp := range components {
		for _, arch := range want {
			pix := Index{Kind: "apt", Suite: src.suite, Date: rel.date, ValidUntil: rel.validUntil,
				Verified: verified, NotVerified: why}
			dir := ""
			if !flat {
				dir = comp + "/binary-" + arch + "/"
			}
			name, sum, ok := pickPackagesFile(rel, dir, verified)
			if !ok {
				pix.URL = base + dir + "Packages"
				pix.Error = "the InRelease lists no Packages index here" + xzNote(rel, dir, verified)
				r.addIndex(pix)
				continue
			}
			pix.URL = base + name
			type listed struct {
				key     pkgKey
				version string
			}
			var got []listed
			sem <- struct{}{}
			index, err := r.aptPackages(ctx, base, name, sum, rel.byHash, installed, func(n, v, a string) {
				got = append(got, listed{pkgKey{n, a}, v})
			})
			<-sem
			if err != nil {
				pix.Error = err.Error()
				r.addIndex(pix)
				continue
			}
			// The Packages file is as verified as the InRelease that gave
			// its hash.
			index.Verified, index.NotVerified = verified, why
			for _, l := range got {
				suite.versions[l.key] = append(suite.versions[l.key], aptVersion{l.version, index.Source})
			}
			pix.Fetched, pix.Cached = index.Fetched, index.cached
			r.addIndex(pix)
			read = true
		}
	}
	if !read {
		return nil
	}
	return suite
}

// pickPackagesFile chooses the compressed form of dir's Packages index
// that the InRelease lists: .gz first (its decoder is fast and needs 32
// KiB), .xz only from a verified InRelease (the pure-Go decoder is about
// 30 times slower, and an xz stream sets its own memory needs, so only the
// archive's own, hash-checked file is decoded), the plain file last.
func pickPackagesFile(rel *release, dir string, verified bool) (string, fileSum, bool) {
	for _, ext := range []string{".gz", ".xz", ""} {
		if ext == ".xz" && !verified {
			continue
		}
		if s, ok := rel.sha256[dir+"Packages"+ext]; ok {
			return dir + "Packages" + ext, s, true
		}
	}
	return "", fileSum{}, false
}

func xzNote(rel *release, dir string, verified bool) string {
	if _, ok := rel.sha256[dir+"Packages.xz"]; ok && !verified {
		return " but an .xz one, which is decoded only from a verified InRelease"
	}
	return ""
}

// packagesIndex is a Packages file read.
type packagesIndex struct {
	Source
	cached bool
}

// aptPackages fetches a Packages file by the hash the InRelease gives it
// (through by-hash/ where the archive has it), checks size and SHA256
// before decoding anything, and streams its stanzas to add for the
// installed package names.
func (r *run) aptPackages(ctx context.Context, base, name string, sum fileSum, byHash bool, installed map[string]bool, add func(name, version, arch string)) (packagesIndex, error) {
	if sum.size > r.opt.Limits.Index {
		return packagesIndex{}, fmt.Errorf("%s is %d bytes, over the limit of %d", name, sum.size, r.opt.Limits.Index)
	}
	urls := []string{base + name}
	if byHash {
		dir := name[:strings.LastIndex(name, "/")+1]
		urls = []string{base + dir + "by-hash/SHA256/" + sum.hash, base + name}
	}
	var b *body
	var err error
	for _, u := range urls {
		b, err = r.fetch.get(ctx, request{url: u, max: r.opt.Limits.Index, sha256: sum.hash, size: sum.size})
		if !errors.Is(err, errNotFound) {
			break
		}
	}
	if err != nil {
		if !errors.Is(err, errNotFound) {
			r.failed(urls[len(urls)-1], err)
		}
		return packagesIndex{}, err
	}
	defer b.Close()
	r.used(b)
	var dec io.Reader
	switch {
	case strings.HasSuffix(name, ".gz"):
		z, err := gzip.NewReader(b)
		if err != nil {
			return packagesIndex{}, fmt.Errorf("%s: %v", name, err)
		}
		defer z.Close()
		dec = z
	case strings.HasSuffix(name, ".xz"):
		z, err := xz.NewReader(b)
		if err != nil {
			return packagesIndex{}, fmt.Errorf("%s: %v", name, err)
		}
		dec = z
	default:
		dec = b
	}
	if err := parsePackages(io.LimitReader(dec, r.opt.Limits.Uncompressed+1), r.opt.Limits.Uncompressed, installed, add); err != nil {
		return packagesIndex{}, fmt.Errorf("%s: %v", name, err)
	}
	return packagesIndex{Source: Source{URL: b.url, Fetched: b.fetched}, cached: b.cached}, nil
}

// parsePackages streams a Packages index: stanzas of "Field: value" lines,
// of which Package, Version and Architecture are read for the wanted
// names. Lines of any length are skipped over, never held whole.
func parsePackages(rd io.Reader, max int64, want map[string]bool, add func(name, version, arch string)) error {
	br := bufio.NewReaderSize(rd, 64<<10)
	var n int64
	var name, version, arch string
	flush := func() {
		if want[name] && version != "" && validVersion(version, ".+~:-") {
			add(name, version, arch)
		}
		name, version, arch = "", "", ""
	}
	for {
		line, err := br.ReadSlice('\n')
		n += int64(len(line))
		long := false
		for errors.Is(err, bufio.ErrBufferFull) {
			// A long line (a Description, a Depends list): not a field
			// read here; skip the rest of it.
			var more []byte
			more, err = br.ReadSlice('\n')
			n += int64(len(more))
			long = true
		}
		if n > max {
			return fmt.Errorf("more than %d bytes decompressed", max)
		}
		if err != nil && err != io.EOF {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case long:
		case len(line) == 0:
			if name != "" {
				flush()
			}
		case line[0] == ' ' || line[0] == '\t':
		default:
			k, v, ok := bytes.Cut(line, []byte(":"))
			if ok {
				switch string(k) {
				case "Package":
					name = string(bytes.TrimSpace(v))
				case "Version":
					version = string(bytes.TrimSpace(v))
				case "Architecture":
					arch = string(bytes.TrimSpace(v))
				}
			}
		}
		if err == io.EOF {
			if name != "" {
				flush()
			}
			return nil
		}
	}
}

// validVersion: v is short and made only of letters, digits and the
// punctuation its format allows (Debian ".+~:-", apk "._-~+", PEP 440
// ".!+_-"), so that a server cannot slip anything else into a result.
func validVersion(v, punct string) bool {
	if v == "" || len(v) > 256 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.IndexByte(punct, c) >= 0) {
			return false
		}
	}
	return true
}
