package suggest

import (
	"strings"
	"testing"
)

// Issue 19 item 4: CMD ['python', 'app.py'] (shell form for Docker) becomes
// the exec form its author meant, not ["[python,", "app.py]"]; a CMD that
// is the arguments of an exec-form ENTRYPOINT, or runs under a SHELL, is
// left as it is.
func TestJSONCmdSingleQuotes(t *testing.T) {
	checkApplied(t, "SG402", map[string]string{
		"FROM python:3.12\nCMD ['python', 'app.py']\n":                          "FROM python:3.12\nCMD [\"python\", \"app.py\"]\n",
		"FROM python:3.12\nENTRYPOINT ['gunicorn', '-b', ':80', 'a:app']\n":     "FROM python:3.12\nENTRYPOINT [\"gunicorn\", \"-b\", \":80\", \"a:app\"]\n",
		"FROM python:3.12\nENTRYPOINT [\"python\"]\nCMD app.py\n":               "FROM python:3.12\nENTRYPOINT [\"python\"]\nCMD app.py\n",
		"FROM python:3.12\nSHELL [\"/bin/bash\", \"-lc\"]\nCMD python app.py\n": "FROM python:3.12\nSHELL [\"/bin/bash\", \"-lc\"]\nCMD python app.py\n",
	})
	ss, err := Suggest([]byte("FROM python:3.12\nCMD ['python', 'app.py']\n"), Options{Now: corpusNow})
	if err != nil || len(ss) == 0 {
		t.Fatal(err)
	}
	for _, s := range ss {
		if s.ID == "SG402" && !strings.Contains(strings.Join(s.Evidence, "\n"), `"[python,: not found"`) {
			t.Errorf("the evidence does not say why: %q", s.Evidence)
		}
	}
}
