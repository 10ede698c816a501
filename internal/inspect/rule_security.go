package inspect

import (
	"fmt"
	"regexp"
	"strings"
)

var rootUserRule = &Rule{
	ID:       "SP601",
	Name:     "root-user",
	Category: "security",
	Severity: SeverityMedium,
	Doc:      "the container runs as root: the config's User is empty, root or 0 (hadolint DL3002)",
	Fix:      "add a user and switch to it last: RUN useradd --system --uid 10001 app, then USER app (or USER 10001)",
	Check: func(p *Pass) []Finding {
		u := strings.TrimSpace(p.Config.Config.User)
		name, _, _ := strings.Cut(u, ":")
		if u != "" && name != "root" && name != "0" {
			return nil
		}
		what := "no USER is set"
		if u != "" {
			what = "USER is " + u
		}
		return []Finding{{Layer: -1, Title: fmt.Sprintf("the container runs as root (%s)", what)}}
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

var secretFilesRule = &Rule{
	ID:       "SP602",
	Name:     "secret-files",
	Category: "security",
	Severity: SeverityHigh,
	Doc:      "files whose names say credentials (.env, id_rsa and other SSH private keys, *.key, *key*.pem, *.p12, .netrc, .pypirc, .git-credentials, .npmrc, .docker/config.json, .aws/credentials), by name; files an OS package owns and files in Python library trees are left out",
	Fix:      "keep them out of the build context (.dockerignore) and pass secrets at run time or with RUN --mount=type=secret; rotate any that shipped",
	Check: func(p *Pass) []Finding {
		c := p.collector()
		for _, n := range p.Nodes() {
			if n.Kind != KindFile || !isSecretPath(n.Path) || inPythonLib(n.Path) || underDir(n.Path, "/usr/share") {
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

var gitDirectoriesRule = &Rule{
	ID:       "SP603",
	Name:     "git-directories",
	Category: "security",
	Severity: SeverityMedium,
	Doc:      ".git directories: the repository's whole history (and any secret ever committed) shipped in the image",
	Fix:      "add .git to .dockerignore",
	Check: func(p *Pass) []Finding {
		c := p.collector()
		skip := ""
		for _, n := range p.Nodes() {
			if skip != "" && underDir(n.Path, skip) {
				continue
			}
			if n.Kind == KindDir && n.Name() == ".git" {
				if _, owned := p.OSOwner(n.Path); owned {
					continue
				}
				skip = n.Path
				c.addTree(n)
			}
		}
		return c.findingsKeepEmpty(func(a *acc) string {
			return ".git directories: " + strings.Join(firstN(rootsOf(a), 3), ", ")
		})
	},
}
