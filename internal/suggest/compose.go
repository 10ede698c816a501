package suggest

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// composeFiles are the names Docker Compose reads by default in the
// directory it runs in, the build context's when the file builds ".".
var composeFiles = []string{"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"}

// composeService is the part of a Compose service slimpy reads: how it
// builds its image, the user it runs as and what it mounts.
type composeService struct {
	Build   yaml.Node   `yaml:"build"`
	User    string      `yaml:"user"`
	Volumes []yaml.Node `yaml:"volumes"`
}

// composeMount is one entry of a service's volumes.
type composeMount struct {
	Type     string `yaml:"type"`
	Source   string `yaml:"source"`
	Target   string `yaml:"target"`
	ReadOnly bool   `yaml:"read_only"`
}

// composeUserCannot reads the Compose files of the build context for a
// service that builds this Dockerfile (build: . or its context "." with
// this file's name) and runs it as the image's user, and says where and
// why a new non-root user could not use what it mounts: a mount in
// root's home (/root/.dbt, /root/.aws: the app reads it as root), or a
// host directory bound writable, which belongs to a host user whose uid
// is not the new user's (the app writes its output, a database, logs
// there). "" when none does.
func composeUserCannot(c *ctx) (where, why string) {
	for _, name := range composeFiles {
		text, ok := c.contextFile(name)
		if !ok {
			continue
		}
		var doc struct {
			Services map[string]composeService `yaml:"services"`
		}
		if yaml.Unmarshal([]byte(text), &doc) != nil {
			continue // not Compose as slimpy reads it
		}
		for _, svc := range slices.Sorted(maps.Keys(doc.Services)) { // the same answer every run
			s := doc.Services[svc]
			if s.User != "" || !buildsThis(s.Build, c.opts.name()) {
				continue
			}
			for _, v := range s.Volumes {
				m, ok := parseMount(v)
				if !ok {
					continue
				}
				switch {
				case underDir(m.Target, "/root"):
					return name, fmt.Sprintf("service %s mounts %s at %s, in root's home: the app reads it as root", svc, m.Source, m.Target)
				case m.Type == "bind" && !m.ReadOnly && hostDir(c, m.Source):
					return name, fmt.Sprintf("service %s binds the host directory %s at %s writable: it belongs to a host user, and a new user (another uid) could not write the app's files in it", svc, m.Source, m.Target)
				}
			}
		}
	}
	return "", ""
}

// buildsThis: a service's build (a context path, or context and
// dockerfile) builds the Dockerfile named name from the directory of the
// Compose file, the build context.
func buildsThis(b yaml.Node, name string) bool {
	context, dockerfile := "", "Dockerfile"
	switch b.Kind {
	case yaml.ScalarNode:
		context = b.Value
	case yaml.MappingNode:
		var m struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
		}
		if b.Decode(&m) != nil {
			return false
		}
		context = m.Context
		if m.Dockerfile != "" {
			dockerfile = m.Dockerfile
		}
	default:
		return false
	}
	return (context == "" || path.Clean(context) == ".") && path.Base(dockerfile) == name
}

// parseMount reads a volumes entry: the short form SOURCE:TARGET[:MODE]
// (a source that is a path binds it; a name is a volume) or the long
// form.
func parseMount(v yaml.Node) (composeMount, bool) {
	var m composeMount
	switch v.Kind {
	case yaml.ScalarNode:
		parts := strings.Split(v.Value, ":")
		if len(parts) < 2 || len(parts) > 3 {
			return m, false // an anonymous volume, or a Windows path
		}
		m.Source, m.Target = parts[0], parts[1]
		m.Type = "volume"
		if strings.HasPrefix(m.Source, ".") || strings.HasPrefix(m.Source, "/") || strings.HasPrefix(m.Source, "~") || strings.HasPrefix(m.Source, "$") {
			m.Type = "bind"
		}
		if len(parts) == 3 {
			m.ReadOnly = slices.Contains(strings.Split(parts[2], ","), "ro")
		}
	case yaml.MappingNode:
		if v.Decode(&m) != nil {
			return m, false
		}
	default:
		return m, false
	}
	m.Target = path.Clean(m.Target)
	return m, m.Target != "." && m.Source != ""
}

// hostDir: a bind mount's source is a directory, as far as the context
// tells: not a file it holds, nor a name with an extension (config.yaml,
// error.log: a file bound for the app to read).
func hostDir(c *ctx, src string) bool {
	if strings.HasPrefix(src, "/var/run/") || strings.HasPrefix(src, "/run/") || strings.HasPrefix(src, "/dev") || strings.HasPrefix(src, "/sys") || strings.HasPrefix(src, "/proc") {
		return false // a socket or the host's devices: not the app's files
	}
	if _, ok := c.contextFile(path.Clean(src)); ok {
		return false
	}
	base := path.Base(path.Clean(src))
	return base == "." || base == ".." || base == "/" || path.Ext(base) == ""
}
