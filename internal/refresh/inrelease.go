package refresh

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// release is what an InRelease file says of its suite.
type release struct {
	origin, label, suite, codename string
	date, validUntil               time.Time
	byHash                         bool
	notAutomatic, butAutomatic     bool
	sha256                         map[string]fileSum // path below the suite → hash and size
}

type fileSum struct {
	hash string
	size int64
}

// parseRelease reads the fields of a Release file (the signed text of an
// InRelease) that the refresh needs.
func parseRelease(text []byte) (*release, error) {
	r := &release{sha256: map[string]fileSum{}}
	field := ""
	for _, line := range strings.Split(string(text), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if field != "sha256" {
				continue
			}
			f := strings.Fields(line)
			if len(f) != 3 || len(f[0]) != 64 {
				continue
			}
			size, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil || size < 0 {
				continue
			}
			r.sha256[f[2]] = fileSum{strings.ToLower(f[0]), size}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return nil, errors.New("not a Release file")
		}
		field = strings.ToLower(k)
		v = strings.TrimSpace(v)
		switch field {
		case "origin":
			r.origin = v
		case "label":
			r.label = v
		case "suite":
			r.suite = v
		case "codename":
			r.codename = v
		case "date":
			r.date = releaseTime(v)
		case "valid-until":
			r.validUntil = releaseTime(v)
		case "acquire-by-hash":
			r.byHash = strings.EqualFold(v, "yes")
		case "notautomatic":
			r.notAutomatic = strings.EqualFold(v, "yes")
		case "butautomaticupgrades":
			r.butAutomatic = strings.EqualFold(v, "yes")
		}
	}
	if len(r.sha256) == 0 {
		return nil, errors.New("the Release file lists no SHA256 sums")
	}
	return r, nil
}

func releaseTime(v string) time.Time {
	for _, layout := range []string{time.RFC1123, time.RFC1123Z, "Mon, 2 Jan 2006 15:04:05 MST", "Mon, 2 Jan 2006 15:04:05 -0700"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// priority is apt's default pin priority of the suite's packages
// (apt_preferences(5)): 1 for NotAutomatic suites (experimental), 100
// when they also have ButAutomaticUpgrades (backports), 500 otherwise.
func (r *release) priority() int {
	switch {
	case r.notAutomatic && r.butAutomatic:
		return 100
	case r.notAutomatic:
		return 1
	}
	return 500
}

// keyrings loads the image's OpenPGP keyrings once each.
type keyrings struct {
	files map[string][]byte
	mu    sync.Mutex
	cache map[string]keyringFile
}

type keyringFile struct {
	keys openpgp.EntityList
	err  error
}

func (k *keyrings) load(p string) keyringFile {
	k.mu.Lock()
	defer k.mu.Unlock()
	if kf, ok := k.cache[p]; ok {
		return kf
	}
	var kf keyringFile
	data, ok := k.files[p]
	switch {
	case !ok:
		kf.err = errors.New("the image has no " + p)
	default:
		kf.keys, kf.err = readKeys(data)
		if kf.err != nil {
			kf.err = fmt.Errorf("%s: %v", p, kf.err)
		}
	}
	if k.cache == nil {
		k.cache = map[string]keyringFile{}
	}
	k.cache[p] = kf
	return kf
}

// readKeys reads a keyring: armored (.asc) or binary OpenPGP packets
// (.gpg). GnuPG's keybox format is not read.
func readKeys(data []byte) (openpgp.EntityList, error) {
	if len(data) >= 12 && string(data[8:12]) == "KBXf" {
		return nil, errors.New("a GnuPG keybox, which apt cannot read either")
	}
	if bytes.Contains(data, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----")) {
		return openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
	}
	return openpgp.ReadKeyRing(bytes.NewReader(data))
}

// forSource returns the keys apt would check src's InRelease with: those
// its Signed-By names (files, fingerprints among the trusted keys, or an
// inline key), else every keyring of /etc/apt/trusted.gpg.d and
// /etc/apt/trusted.gpg. When there are none, why.
func (k *keyrings) forSource(src aptSource) (openpgp.EntityList, string) {
	var keys openpgp.EntityList
	var problems []string
	if strings.Contains(src.signedBy, "-----BEGIN PGP PUBLIC KEY BLOCK-----") {
		ks, err := openpgp.ReadArmoredKeyRing(strings.NewReader(src.signedBy))
		if err != nil {
			return nil, "its inline Signed-By key cannot be read: " + err.Error()
		}
		return ks, ""
	}
	var fingerprints []string
	for _, w := range strings.Fields(src.signedBy) {
		if strings.HasPrefix(w, "/") {
			kf := k.load(w)
			if kf.err != nil {
				problems = append(problems, kf.err.Error())
			}
			keys = append(keys, kf.keys...)
			continue
		}
		fingerprints = append(fingerprints, strings.ToUpper(strings.TrimSuffix(w, "!")))
	}
	if src.signedBy == "" || len(fingerprints) > 0 {
		trusted := k.trusted()
		if len(fingerprints) > 0 {
			trusted = withFingerprints(trusted, fingerprints)
		}
		keys = append(keys, trusted...)
	}
	if len(keys) == 0 {
		why := "no OpenPGP key for it in the image"
		switch {
		case len(problems) > 0:
			why += " (" + strings.Join(problems, "; ") + ")"
		case src.signedBy == "":
			why += " (/etc/apt/trusted.gpg.d is empty and it names no Signed-By keyring)"
		}
		return nil, why
	}
	return keys, ""
}

// trusted is apt's default keyring: /etc/apt/trusted.gpg and the .gpg and
// .asc files of /etc/apt/trusted.gpg.d.
func (k *keyrings) trusted() openpgp.EntityList {
	var paths []string
	for p := range k.files {
		if p == "/etc/apt/trusted.gpg" || (path.Dir(p) == "/etc/apt/trusted.gpg.d" && (strings.HasSuffix(p, ".gpg") || strings.HasSuffix(p, ".asc"))) {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	var keys openpgp.EntityList
	for _, p := range paths {
		keys = append(keys, k.load(p).keys...)
	}
	return keys
}

// withFingerprints keeps the keys whose primary key or a subkey has one of
// the fingerprints.
func withFingerprints(keys openpgp.EntityList, fps []string) openpgp.EntityList {
	match := func(pk *packet.PublicKey) bool {
		fp := strings.ToUpper(fmt.Sprintf("%X", pk.Fingerprint))
		for _, want := range fps {
			if fp == want {
				return true
			}
		}
		return false
	}
	var out openpgp.EntityList
	for _, e := range keys {
		ok := match(e.PrimaryKey)
		for _, s := range e.Subkeys {
			ok = ok || match(s.PublicKey)
		}
		if ok {
			out = append(out, e)
		}
	}
	return out
}

// errBadSignature: the InRelease is signed by a key of the image, but the
// signature does not match its text. Its content is not used.
var errBadSignature = errors.New("bad signature")

// openInRelease checks an InRelease against keys (noKeys says why there
// are none) and returns its signed text. verified is false with a reason
// when the signature cannot be checked (no signature, no key of the image,
// an expired or revoked key, an algorithm the OpenPGP library does not
// support): the text is then used, marked unverified. A signature that
// fails is an error.
func openInRelease(data []byte, keys openpgp.EntityList, noKeys string, trustedYes bool, now time.Time) (text []byte, verified bool, why string, err error) {
	block, _ := clearsign.Decode(data)
	if block == nil {
		if bytes.Contains(data, []byte("-----BEGIN PGP")) {
			return nil, false, "", errors.New("malformed OpenPGP clearsigned text")
		}
		return data, false, "InRelease is not signed", nil
	}
	if len(keys) == 0 {
		return block.Plaintext, false, noKeys, nil
	}
	_, err = block.VerifySignature(keys, &packet.Config{Time: func() time.Time { return now }})
	var unsupported pgperrors.UnsupportedError
	var weak pgperrors.WeakAlgorithmError
	switch {
	case err == nil:
		return block.Plaintext, true, "", nil
	case errors.Is(err, pgperrors.ErrUnknownIssuer):
		why = "signed by no key the image trusts for it"
	case errors.Is(err, pgperrors.ErrKeyExpired):
		why = "the signing key has expired"
	case errors.Is(err, pgperrors.ErrSignatureExpired):
		why = "the signature has expired"
	case errors.Is(err, pgperrors.ErrKeyRevoked):
		why = "the signing key is revoked"
	case errors.As(err, &unsupported), errors.As(err, &weak):
		why = "the OpenPGP library cannot check it: " + err.Error()
	default:
		if trustedYes {
			return block.Plaintext, false, "the signature does not verify, and the source is marked trusted=yes", nil
		}
		return nil, false, "", fmt.Errorf("%w: %v", errBadSignature, err)
	}
	if trustedYes {
		why += " (the source is marked trusted=yes)"
	}
	return block.Plaintext, false, why, nil
}
