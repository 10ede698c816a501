package rules

import (
	"regexp"
	"strings"
	"testing"
)

// The names isSecretPath took from the regular expressions it used before
// it was written as string tests (it runs on every file): the same answer
// for every name built from the pieces that matter, in every order.
func TestSecretNamesAsTheRegexpHadThem(t *testing.T) {
	secretName := regexp.MustCompile(`^(\.env|\.env\.[A-Za-z0-9_.-]+|id_rsa|id_dsa|id_ecdsa|id_ed25519|id_ecdsa_sk|id_ed25519_sk|.*\.key|.*\.p12|.*\.pfx|.*(key|private|priv)[A-Za-z0-9_.-]*\.pem|\.netrc|_netrc|\.pypirc|\.git-credentials|\.npmrc|\.dockercfg|credentials)$`)
	secretExample := regexp.MustCompile(`\.(example|sample|template|dist|defaults?)$`)
	pieces := []string{"", ".env", ".", "env", "id_rsa", "id_ed25519", "_sk", "key", "priv", "private", "server", "-", "_", " ",
		"+", "é", "\xff", ".key", ".p12", ".pfx", ".pem", ".netrc", "_netrc", ".pypirc", ".npmrc", ".dockercfg",
		".git-credentials", "credentials", ".example", ".sample", ".template", ".dist", ".default", ".defaults", "KEY"}
	n := 0
	for _, a := range pieces {
		for _, b := range pieces {
			for _, c := range pieces {
				name := a + b + c
				if strings.Contains(name, "/") {
					continue
				}
				want := secretName.MatchString(name) && !secretExample.MatchString(name)
				if name == "credentials" {
					want = false // only as .aws/credentials
				}
				if got := isSecretPath("/app/" + name); got != want {
					t.Errorf("isSecretPath(%q) = %v, the regexp says %v", name, got, want)
				}
				n++
			}
		}
	}
	for p, want := range map[string]bool{"/root/.aws/credentials": true, "/app/credentials": false,
		"/root/.docker/config.json": true, "/app/config.json": false} {
		if got := isSecretPath(p); got != want {
			t.Errorf("isSecretPath(%q) = %v, want %v", p, got, want)
		}
	}
	t.Logf("%d names", n)
}
