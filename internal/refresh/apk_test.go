package refresh

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"reflect"
	"strings"
	"testing"
)

const apkKeyName = "alpine-devel@example.org-6165ee59.rsa.pub"

// apkIndex builds an APKINDEX.tar.gz as abuild does: a gzip stream with
// the signature's tar entry (no end-of-archive blocks), then a gzip stream
// with the tar of DESCRIPTION and APKINDEX. sigKind is "RSA", "RSA256" or
// "" (unsigned).
func apkIndex(t *testing.T, key *rsa.PrivateKey, sigKind string) []byte {
	t.Helper()
	var idx bytes.Buffer
	tw := tar.NewWriter(&idx)
	for _, name := range []string{"DESCRIPTION", "APKINDEX"} {
		data := readTestdata(t, name)
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		tw.Write(data)
	}
	tw.Close()
	indexGz := gz(t, idx.Bytes())
	if sigKind == "" {
		return indexGz
	}
	alg, digest := crypto.SHA1, sha1.Sum(indexGz)
	d := digest[:]
	if sigKind == "RSA256" {
		h := sha256.Sum256(indexGz)
		alg, d = crypto.SHA256, h[:]
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, alg, d)
	if err != nil {
		t.Fatal(err)
	}
	var st bytes.Buffer
	sw := tar.NewWriter(&st)
	sw.WriteHeader(&tar.Header{Name: ".SIGN." + sigKind + "." + apkKeyName, Mode: 0o644, Size: int64(len(sig)), Typeflag: tar.TypeReg})
	sw.Write(sig)
	sw.Flush()
	return append(gz(t, st.Bytes()), indexGz...)
}

func apkPublicKey(t *testing.T, key *rsa.PrivateKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func alpineImage(pub []byte) Image {
	return Image{
		Files: map[string][]byte{
			"/etc/apk/repositories": []byte("https://alpine.example/alpine/v3.19/main\n# a comment\n" +
				"@edge https://alpine.example/alpine/edge/main\nhttps://alpine.example/alpine/v3.19/community/\n"),
			"/etc/apk/keys/" + apkKeyName: pub,
		},
		Apk: []InstalledPackage{
			{"musl", "1.2.4_git20230717-r4", "x86_64"},
			{"busybox", "1.36.1-r15", "x86_64"},
			{"libcrypto3", "3.1.4-r5", "x86_64"},
			{"zlib", "1.3.1-r0", "x86_64"},
			{"alpine-baselayout-data", "3.4.3-r2", "x86_64"},
			{"py3-local", "1.0-r0", "noarch"},
		},
	}
}

func TestApkRefresh(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	const indexPath = "/alpine/v3.19/main/x86_64/APKINDEX.tar.gz"
	for _, c := range []struct {
		name     string
		index    []byte
		image    Image
		verified bool
		why      string // NotVerified, or the index error when found is empty
		found    bool
	}{
		{"signed RSA", apkIndex(t, key, "RSA"), alpineImage(apkPublicKey(t, key)), true, "", true},
		{"signed RSA256", apkIndex(t, key, "RSA256"), alpineImage(apkPublicKey(t, key)), true, "", true},
		{"unsigned", apkIndex(t, key, ""), alpineImage(apkPublicKey(t, key)), false, "APKINDEX is not signed", true},
		{"key not in the image", apkIndex(t, key, "RSA"), alpineImage(nil), false, "not in the image's /etc/apk/keys", true},
		{"signed by another key", apkIndex(t, other, "RSA"), alpineImage(apkPublicKey(t, key)), false, "bad signature", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newServer(t)
			s.put(indexPath, c.index)
			if c.image.Files["/etc/apk/keys/"+apkKeyName] == nil {
				delete(c.image.Files, "/etc/apk/keys/"+apkKeyName)
			}
			res := Check(context.Background(), c.image, Options{ApkMirror: s.URL, Now: clock})
			ix := Index{}
			for _, i := range res.Indices {
				if strings.HasSuffix(i.URL, indexPath) {
					ix = i
				}
			}
			if !c.found {
				if len(res.OS) != 0 || !strings.Contains(ix.Error, c.why) || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "bad signature") {
					t.Errorf("packages %+v, index %+v, warnings %q", res.OS, ix, res.Warnings)
				}
				return
			}
			var got []string
			for _, p := range res.OS {
				got = append(got, p.Name+" "+p.Installed+" → "+p.Candidate+" "+p.Suite)
				if p.Manager != "apk" || p.Security || len(p.Sources) != 1 || p.Sources[0].Verified != c.verified ||
					!strings.Contains(p.Sources[0].NotVerified, c.why) || !strings.HasSuffix(p.Sources[0].URL, indexPath) {
					t.Errorf("%s: %+v", p.Name, p)
				}
			}
			want := []string{
				"busybox 1.36.1-r15 → 1.36.1-r19 v3.19/main",
				"libcrypto3 3.1.4-r5 → 3.1.7-r1 v3.19/main",
				"musl 1.2.4_git20230717-r4 → 1.2.4_git20230717-r5 v3.19/main",
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
			// The tagged edge repository is not asked; the missing
			// community index is an index error, not a warning.
			if len(res.Indices) != 2 || len(res.Warnings) != 0 || s.hitsOf("/alpine/edge/main/x86_64/APKINDEX.tar.gz") != 0 {
				t.Errorf("indices %+v, warnings %q", res.Indices, res.Warnings)
			}
		})
	}
}
