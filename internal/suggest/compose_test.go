package suggest

import (
	"strings"
	"testing"
)

// A Compose file of the build context that runs the image with a mount a
// new user could not use makes SG401 advice; one that mounts nothing the
// user needs, builds another Dockerfile or sets its own user leaves the
// USER diff (form seen in Victor-Buendia/fn-challenge and aretasg/dockit).
func TestComposeMountsDecideTheUser(t *testing.T) {
	src := "FROM python:3.12-slim\nRUN pip install --no-cache-dir dbt-postgres==1.8.2\nWORKDIR /project\nENTRYPOINT [\"dbt\"]\n"
	for _, c := range []struct {
		name, compose, want string // want: the advice's reason, "" for a diff
	}{
		{"profiles in root's home", "services:\n  t:\n    build: .\n    volumes:\n      - ./profiles:/root/.dbt\n",
			"service t mounts ./profiles at /root/.dbt, in root's home"},
		{"a host directory, writable", "services:\n  t:\n    build:\n      context: .\n    volumes:\n      - ./out:/project/target\n",
			"service t binds the host directory ./out at /project/target writable"},
		{"the whole context", "services:\n  t:\n    build: ./\n    volumes:\n      - .:/project\n",
			"binds the host directory . at /project writable"},
		{"the long syntax", "services:\n  t:\n    build: .\n    volumes:\n      - type: bind\n        source: ./logs\n        target: /project/logs\n",
			"binds the host directory ./logs at /project/logs"},
		{"read-only", "services:\n  t:\n    build: .\n    volumes:\n      - ./models:/project/models:ro\n", ""},
		{"a file", "services:\n  t:\n    build: .\n    volumes:\n      - ./profiles.yml:/project/profiles.yml\n", ""},
		{"a named volume", "services:\n  t:\n    build: .\n    volumes:\n      - cache:/project/target\nvolumes:\n  cache:\n", ""},
		{"the docker socket", "services:\n  t:\n    build: .\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n", ""},
		{"another Dockerfile", "services:\n  t:\n    build:\n      context: .\n      dockerfile: docs.Dockerfile\n    volumes:\n      - ./profiles:/root/.dbt\n", ""},
		{"another context", "services:\n  t:\n    build: ./web\n    volumes:\n      - ./profiles:/root/.dbt\n", ""},
		{"its own user", "services:\n  t:\n    build: .\n    user: \"1000:1000\"\n    volumes:\n      - ./out:/project/target\n", ""},
		{"not Compose", "services: [\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, ok := suggestionOf(t, src, "SG401", map[string]string{"docker-compose.yml": c.compose})
			if !ok {
				t.Fatal("no SG401")
			}
			switch {
			case c.want == "" && !s.Fixable():
				t.Errorf("SG401 is advice: %v", s.Advice)
			case c.want != "" && (s.Fixable() || !strings.Contains(strings.Join(s.Advice, "\n"), c.want)):
				t.Errorf("SG401 advice %q (fixable %v), want one saying %q", s.Advice, s.Fixable(), c.want)
			}
		})
	}
}
