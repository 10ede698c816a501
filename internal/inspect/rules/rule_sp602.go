package rules

import (
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/layer"
)

var secretFilesRule = &Rule{
	ID:       "SP602",
	Name:     "secret-files",
	Category: "security",
	Severity: SeverityHigh,
	Doc:      "files whose names say credentials (.env, id_rsa and other SSH private keys, *.key, *key*.pem, *.p12, .netrc, .pypirc, .git-credentials, .npmrc, .docker/config.json, .aws/credentials), by name; files an OS package owns and files in Python library trees are left out",
	Fix:      "keep them out of the build context (.dockerignore) and pass secrets at run time or with RUN --mount=type=secret; rotate any that shipped",
	Uses:     []InventoryUse{UsesOSPackages},
	Check: func(p *Pass) []Finding {
		c := p.collector()
		for _, n := range p.Nodes() {
			if n.Kind != layer.KindFile || !isSecretPath(n.Path) || inPythonLib(n.Path) || fsview.UnderDir(n.Path, "/usr/share") {
				continue
			}
			if _, owned := p.OSOwner(n.Path); owned {
				continue
			}
			c.addFile(n, "")
		}
		fs := c.findingsKeepEmpty(func(a *acc) string {
			return "files that look like secrets: " + strings.Join(firstN(rootsOf(a), 4), ", ")
		})
		return fs
	},
}

// secretNames are file names that usually hold credentials.
var secretNames = map[string]bool{
	".env": true, ".netrc": true, "_netrc": true, ".pypirc": true, ".git-credentials": true, ".npmrc": true, ".dockercfg": true,
	"id_rsa": true, "id_dsa": true, "id_ecdsa": true, "id_ed25519": true, "id_ecdsa_sk": true, "id_ed25519_sk": true,
}

// isSecretPath reports whether a visible file looks like it holds
// credentials, by name only (contents are not read): .env files, SSH
// private keys, *.key, *.p12/*.pfx, *key*.pem, .netrc, .pypirc,
// .git-credentials, .npmrc, .docker/config.json, .aws/credentials.
// Templates (*.example, *.sample, *.template, *.dist, *.default(s)) are
// not secrets. It runs on every file of the image: plain string tests,
// no regular expression.
func isSecretPath(p string) bool {
	name := baseOf(p)
	switch {
	case strings.HasSuffix(p, "/.docker/config.json"):
		return true
	case name == "credentials":
		return strings.HasSuffix(p, "/.aws/credentials")
	case isTemplateName(name):
		return false
	}
	if secretNames[name] || strings.HasSuffix(name, ".key") || strings.HasSuffix(name, ".p12") || strings.HasSuffix(name, ".pfx") {
		return true
	}
	if rest, ok := strings.CutPrefix(name, ".env."); ok && rest != "" && allNameChars(rest) {
		return true
	}
	if stem, ok := strings.CutSuffix(name, ".pem"); ok {
		// *key*.pem, *priv*.pem: the word in the last run of name
		// characters before .pem (server-key.pem, key.pem, privkey.pem;
		// not cert.pem).
		i := len(stem)
		for i > 0 && isNameChar(stem[i-1]) {
			i--
		}
		tail := stem[i:]
		return strings.Contains(tail, "key") || strings.Contains(tail, "priv")
	}
	return false
}

// isTemplateName: an example, sample or template of a file, not the file.
func isTemplateName(name string) bool {
	for _, ext := range []string{".example", ".sample", ".template", ".dist", ".default", ".defaults"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// isNameChar: [A-Za-z0-9_.-].
func isNameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-'
}

func allNameChars(s string) bool {
	for i := range len(s) {
		if !isNameChar(s[i]) {
			return false
		}
	}
	return true
}

func baseOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}
