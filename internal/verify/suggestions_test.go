package verify

import (
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/suggest"
)

// The plan orders the accepted suggestions as Apply applies them (names
// resolved, duplicates gone) and composes any subset as fix writes it.
func TestSuggestionPlan(t *testing.T) {
	src := []byte("FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD python app.py\n")
	opts := suggest.Options{}
	p, err := SuggestionPlan(src, []string{"json-cmd", "SG201", "multistage", "SG402"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.IDs, ","); got != "SG001,SG201,SG402" {
		t.Errorf("ids %s", got)
	}
	if c, err := p.Compose(nil); err != nil || string(c.Dockerfile) != string(src) {
		t.Errorf("Compose(nil) %q %v", c.Dockerfile, err)
	}
	for _, set := range [][]string{{"SG402"}, {"SG001", "SG402"}} {
		c, err := p.Compose(set)
		want, werr := suggest.Apply(src, set, opts)
		if err != nil || werr != nil || string(c.Dockerfile) != want.Dockerfile {
			t.Errorf("%v: %v %v\n%s", set, err, werr, c.Dockerfile)
		}
	}
	if _, err := SuggestionPlan(src, []string{"SG999"}, opts); err == nil || !strings.Contains(err.Error(), "SG999") {
		t.Errorf("unknown ID: %v", err)
	}
}
