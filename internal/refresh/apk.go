package refresh

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"

	"github.com/slimpy/slimpy/internal/refresh/apkversion"
)

// apkRepo is one repository line of /etc/apk/repositories.
type apkRepo struct {
	url  string // as written
	name string // its last two path elements: v3.19/main
}

// parseApkRepositories reads /etc/apk/repositories: one URL or path a
// line, "#" comments. Tagged lines ("@edge URL") serve only the packages
// pinned to the tag, which the installed database does not record: they
// are left out.
func parseApkRepositories(text string) []apkRepo {
	var out []apkRepo
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "@") {
			continue
		}
		f := strings.Fields(line)
		u := strings.TrimSuffix(f[len(f)-1], "/")
		parts := strings.Split(u, "/")
		name := parts[len(parts)-1]
		if len(parts) > 1 {
			name = parts[len(parts)-2] + "/" + name
		}
		out = append(out, apkRepo{url: u, name: name})
	}
	return out
}

// apkArch is the image's apk architecture: /etc/apk/arch, else the most
// common one of its installed packages.
func apkArch(img Image) string {
	if a := strings.TrimSpace(string(img.Files["/etc/apk/arch"])); a != "" {
		return a
	}
	count := map[string]int{}
	for _, p := range img.Apk {
		if p.Arch != "" && p.Arch != "noarch" {
			count[p.Arch]++
		}
	}
	best := ""
	for a, n := range count {
		if n > count[best] || (n == count[best] && a < best) {
			best = a
		}
	}
	return best
}

type apkCandidate struct {
	version string
	repo    string
	source  Source
}

// apk refreshes the apk packages from the image's repositories.
func (r *run) apk(ctx context.Context, img Image) {
	if len(img.Apk) == 0 {
		return
	}
	repos := parseApkRepositories(string(img.Files["/etc/apk/repositories"]))
	arch := apkArch(img)
	installed := map[string]bool{}
	for _, p := range img.Apk {
		installed[p.Name] = true
	}
	var mu sync.Mutex
	best := map[string]apkCandidate{}
	r.eachSource(len(repos), maxSources, "apk repositories", func(i int) {
		repo := repos[i]
		src, got := r.apkRepo(ctx, img, repo, arch, installed)
		mu.Lock()
		defer mu.Unlock()
		for name, v := range got {
			if c, ok := best[name]; !ok || apkversion.Compare(v, c.version) > 0 {
				best[name] = apkCandidate{v, repo.name, src}
			}
		}
	})

	var found []Package
	for _, p := range img.Apk {
		c, ok := best[p.Name]
		if !ok || apkversion.Compare(c.version, p.Version) <= 0 {
			continue
		}
		found = append(found, Package{
			Name: p.Name, Arch: p.Arch, Manager: "apk",
			Installed: p.Version, Candidate: c.version, Suite: c.repo,
			Sources: []Source{c.source},
		})
	}
	r.addPackages(false, found...)
}

// apkRepo reads one repository's APKINDEX.tar.gz: the newest version of
// each installed name.
func (r *run) apkRepo(ctx context.Context, img Image, repo apkRepo, arch string, installed map[string]bool) (Source, map[string]string) {
	ix := Index{Kind: "apk", URL: redact(repo.url), Suite: repo.name}
	u, hadUser, err := cleanURL(repo.url)
	if err == nil {
		u, err = withMirror(u, r.opt.ApkMirror)
	}
	if err == nil && arch == "" {
		err = errors.New("the image's apk architecture is unknown")
	}
	if err != nil {
		ix.Error = err.Error()
		r.addIndex(ix)
		return Source{}, nil
	}
	ix.URL = strings.TrimSuffix(u.String(), "/") + "/" + arch + "/APKINDEX.tar.gz"
	b, err := r.fetch.get(ctx, request{url: ix.URL, max: r.opt.Limits.Index})
	if err != nil {
		if !errors.Is(err, errNotFound) {
			r.failed(ix.URL, err)
		}
		ix.Error = err.Error()
		r.addIndex(ix)
		return Source{}, nil
	}
	defer b.Close()
	r.used(b)
	ix.Fetched, ix.Cached = b.fetched, b.cached
	got := map[string]string{}
	verified, why, err := readAPKINDEX(b, img.Files, r.opt.Limits.Uncompressed, func(name, version string) {
		if installed[name] && (got[name] == "" || apkversion.Compare(version, got[name]) > 0) {
			got[name] = version
		}
	})
	if err != nil {
		if errors.Is(err, errBadSignature) {
			r.problem("sig "+ix.URL, ix.URL+": "+err.Error()+"; the repository is not read", b.fetched)
		}
		ix.Error = err.Error()
		r.addIndex(ix)
		return Source{}, nil
	}
	if hadUser {
		why = strings.TrimPrefix(why+"; ", "; ") + "the credentials in the repository URL were not used"
	}
	ix.Verified, ix.NotVerified = verified, why
	r.addIndex(ix)
	return Source{URL: ix.URL, Fetched: ix.Fetched, Verified: verified, NotVerified: why}, got
}

// readAPKINDEX checks and reads an APKINDEX.tar.gz: a gzip stream holding
// a tar with the signature (.SIGN.RSA.KEYNAME, or .SIGN.RSA256.KEYNAME),
// then a gzip stream holding the tar with APKINDEX, whose compressed bytes
// the signature covers. The key must be in the image's /etc/apk/keys. A
// signature that fails is an error; a missing signature or key leaves the
// index unverified.
func readAPKINDEX(f io.ReadSeeker, files map[string][]byte, max int64, add func(name, version string)) (verified bool, why string, err error) {
	start, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return false, "", err
	}
	// Read the first gzip stream through a counting io.ByteReader: the
	// standard library's gzip and flate then read no byte past the stream,
	// so its end is known exactly.
	cr := &countingReader{r: bufio.NewReader(f)}
	zr, err := gzip.NewReader(cr)
	if err != nil {
		return false, "", fmt.Errorf("not a gzip file: %v", err)
	}
	zr.Multistream(false)
	var sigName string
	var sig []byte
	tr := tar.NewReader(io.LimitReader(zr, 1<<20))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if strings.HasPrefix(h.Name, ".SIGN.") && sig == nil {
			sigName = h.Name
			sig, _ = io.ReadAll(io.LimitReader(tr, 64<<10))
		}
	}
	io.Copy(io.Discard, io.LimitReader(zr, 1<<20))
	indexStart := start + cr.n
	if sig == nil {
		// An unsigned index is one gzip stream: read it from the start.
		indexStart = start
		why = "APKINDEX is not signed"
	} else {
		verified, why, err = checkApkSignature(f, indexStart, sigName, sig, files)
		if err != nil {
			return false, "", err
		}
	}
	if _, err := f.Seek(indexStart, io.SeekStart); err != nil {
		return false, "", err
	}
	z, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return false, "", err
	}
	defer z.Close()
	tr = tar.NewReader(io.LimitReader(z, max))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return false, "", errors.New("no APKINDEX in the archive")
		}
		if err != nil {
			return false, "", err
		}
		if h.Name == "APKINDEX" {
			return verified, why, parseAPKINDEX(tr, add)
		}
	}
}

// checkApkSignature verifies the RSA signature sig, named .SIGN.RSA.KEY
// (SHA-1) or .SIGN.RSA256.KEY (SHA-256), over the bytes of f from off on.
func checkApkSignature(f io.ReadSeeker, off int64, name string, sig []byte, files map[string][]byte) (bool, string, error) {
	var h hash.Hash
	var alg crypto.Hash
	var key string
	switch {
	case strings.HasPrefix(name, ".SIGN.RSA256."):
		h, alg, key = sha256.New(), crypto.SHA256, strings.TrimPrefix(name, ".SIGN.RSA256.")
	case strings.HasPrefix(name, ".SIGN.RSA."):
		h, alg, key = sha1.New(), crypto.SHA1, strings.TrimPrefix(name, ".SIGN.RSA.")
	default:
		return false, "signed with " + name + ", which is not checked", nil
	}
	if strings.Contains(key, "/") {
		return false, "", fmt.Errorf("%w: key name %q", errBadSignature, key)
	}
	pemData, ok := files["/etc/apk/keys/"+key]
	if !ok {
		return false, "signed by " + key + ", which is not in the image's /etc/apk/keys", nil
	}
	blk, _ := pem.Decode(pemData)
	if blk == nil {
		return false, "/etc/apk/keys/" + key + " is not a PEM key", nil
	}
	parsed, err := x509.ParsePKIXPublicKey(blk.Bytes)
	pub, isRSA := parsed.(*rsa.PublicKey)
	if err != nil || !isRSA {
		return false, "/etc/apk/keys/" + key + " is not an RSA public key", nil
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return false, "", err
	}
	if _, err := io.Copy(h, f); err != nil {
		return false, "", err
	}
	if err := rsa.VerifyPKCS1v15(pub, alg, h.Sum(nil), sig); err != nil {
		return false, "", fmt.Errorf("%w by %s", errBadSignature, key)
	}
	return true, "", nil
}

type countingReader struct {
	r *bufio.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

// parseAPKINDEX reads the index's stanzas of "X:value" lines: P the name,
// V the version.
func parseAPKINDEX(rd io.Reader, add func(name, version string)) error {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var name, version string
	flush := func() {
		if name != "" && validVersion(version, "._-~+") {
			add(name, version)
		}
		name, version = "", ""
	}
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0:
			flush()
		case bytes.HasPrefix(line, []byte("P:")):
			name = string(line[2:])
		case bytes.HasPrefix(line, []byte("V:")):
			version = string(line[2:])
		}
	}
	flush()
	return sc.Err()
}
