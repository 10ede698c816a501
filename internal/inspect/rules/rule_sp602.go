package rules

import (
	"regexp"
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

// secretName matches file names that usually hold credentials.
var secretName = regexp.MustCompile(`^(\.env|\.env\.[A-Za-z0-9_.-]+|id_rsa|id_dsa|id_ecdsa|id_ed25519|id_ecdsa_sk|id_ed25519_sk|.*\.key|.*\.p12|.*\.pfx|.*(key|private|priv)[A-Za-z0-9_.-]*\.pem|\.netrc|_netrc|\.pypirc|\.git-credentials|\.npmrc|\.dockercfg|credentials)$`)

// secretExample are templates, not secrets.
var secretExample = regexp.MustCompile(`\.(example|sample|template|dist|defaults?)$`)

// isSecretPath reports whether a visible file looks like it holds
// credentials, by name only (contents are not read): .env files, SSH
// private keys, *.key, *.p12/*.pfx, *key*.pem, .netrc, .pypirc,
// .git-credentials, .npmrc, .docker/config.json, .aws/credentials.
func isSecretPath(p string) bool {
	name := baseOf(p)
	if strings.HasSuffix(p, "/.docker/config.json") {
		return true
	}
	if name == "credentials" {
		return strings.HasSuffix(p, "/.aws/credentials")
	}
	return secretName.MatchString(name) && !secretExample.MatchString(name)
}

func baseOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}
