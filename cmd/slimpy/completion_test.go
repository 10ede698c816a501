package main

import (
	"os/exec"
	"strings"
	"testing"
)

// complete runs cobra's __complete command, as a shell's completion
// script does, and returns the candidates and the directive line.
func complete(t *testing.T, args ...string) (candidates []string, directive string) {
	t.Helper()
	code, out, errOut := slimpy(t, append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %q: exit %d %s", args, code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	return lines[:len(lines)-1], lines[len(lines)-1]
}

func TestCompletion(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock") // no engine: no images, at once
	for _, c := range []struct {
		args      []string
		want      []string
		directive string
	}{
		{[]string{"inspect", "x", "--format", ""}, []string{"text\tfor a person", "json\tfor tools"}, ":4"},
		{[]string{"suggest", "--format", ""}, []string{"text\tfor a person", "json\tfor tools"}, ":4"},
		{[]string{"ci", "x", "--report", ""}, []string{"markdown=", "json=", "junit="}, ":6"},
		{[]string{"ci", "x", "--report", "junit="}, nil, ":0"},
		{[]string{"fix", "--accept", "SG10"}, []string{"SG101\tapt-no-install-recommends", "SG102\tapt-update-in-install-run", "SG103\tapt-lists-cleanup", "SG104\tapt-upgrade", "SG105\tapk-no-cache"}, ":6"},
		{[]string{"fix", "--accept", "SG101,SG20"}, []string{"SG101,SG201\tpip-no-cache-dir", "SG101,SG202\tpip-pin", "SG101,SG203\ttool-cache-cleanup", "SG101,SG204\twheels-bind-mount", "SG101,SG205\tpython-build-cleanup"}, ":6"},
		{[]string{"ci", "x", "--fail-on-rule", "SP20"}, []string{"SP201\tbuild-toolchain", "SP202\tunpackaged-toolchain"}, ":6"},
		{[]string{"ci", "x", "--platform", ""}, platforms, ":4"},
		{[]string{"inspect", ""}, nil, ":0"},      // no engine: files only
		{[]string{"inspect", "x", ""}, nil, ":4"}, // one image only
		{[]string{"scan", "--format", ""}, formats["slimpy scan"], ":4"},
		{[]string{"scan", "merge", "--format", ""}, formats["slimpy scan merge"], ":4"},
		{[]string{"scan", "x", "--concurrency", "2", ""}, nil, ":0"}, // images at every position
		{[]string{"scan", "merge", "a.json", ""}, nil, ":0"},         // files
	} {
		got, dir := complete(t, c.args...)
		if strings.Join(got, "|") != strings.Join(c.want, "|") || dir != c.directive {
			t.Errorf("%q: %q %s, want %q %s", c.args, got, dir, c.want, c.directive)
		}
	}
	if _, out, _ := slimpy(t, "completion", "bash"); !strings.Contains(out, "__start_slimpy") {
		t.Error("no bash completion script")
	}
}

// The engine's tagged images complete an IMAGE argument.
func TestCompletionOfEngineImages(t *testing.T) {
	out, err := exec.Command("docker", "images", "--format", "{{.Repository}}:{{.Tag}}").Output()
	if err != nil {
		t.Skip("no Docker engine:", err)
	}
	var tagged []string
	for _, l := range strings.Fields(string(out)) {
		if !strings.Contains(l, "<none>") {
			tagged = append(tagged, l)
		}
	}
	if len(tagged) == 0 {
		t.Skip("the engine has no tagged image")
	}
	got, dir := complete(t, "inspect", "")
	if !strings.Contains("|"+strings.Join(got, "|")+"|", "|"+tagged[0]+"|") || dir != ":0" {
		t.Errorf("completions %q %s lack %s", got, dir, tagged[0])
	}
}
