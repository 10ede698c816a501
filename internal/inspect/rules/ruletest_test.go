package rules_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/rules"
)

// The per-rule tests (rule_spNNN_test.go), in the manner of go/analysis's
// analysistest: a few small layers made with the tar builders, analysed by
// the real walker, merge and inventories, one rule run over them, and its
// findings compared with testdata/rules/SPNNN.golden.json. After a change
// that is meant to change them: go test ./internal/inspect/rules -run TestSPNNN
// -update, and read the diff.

var update = flag.Bool("update", false, "rewrite the per-rule golden findings")

// ruleCase is one image of a per-rule test.
type ruleCase struct {
	config  v1.Config
	created time.Time
	layers  []ruleLayer
	// settings adjusts the rules' config (Now is testNow).
	settings func(*inspect.Config)
}

// ruleGolden runs the rule id alone over the image and compares its
// findings with the golden file; it returns them for further checks.
func ruleGolden(t *testing.T, id string, c ruleCase) []rules.Finding {
	t.Helper()
	got := ruleRun(t, id, c)
	if got == nil {
		got = []rules.Finding{}
	}
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	golden := filepath.Join("testdata", "rules", id+".golden.json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test -run %s -update writes it)", err, t.Name())
	}
	if !bytes.Equal(b, want) {
		t.Errorf("%s's findings differ from %s:\n%s", id, golden, b)
	}
	return got
}

// ruleRun analyses the image and runs the rule id alone over it.
func ruleRun(t *testing.T, id string, c ruleCase) []rules.Finding {
	t.Helper()
	r := rules.RuleByID(id)
	if r == nil {
		t.Fatalf("no rule %s", id)
	}
	a := analyzeLayers(t, c.config, c.created, c.layers...)
	cfg := inspect.DefaultConfig()
	cfg.Now = testNow
	for _, o := range rules.Rules {
		if o != r {
			cfg.Disable = append(cfg.Disable, o.ID)
		}
	}
	if c.settings != nil {
		c.settings(&cfg)
	}
	got := inspect.RunRules(a, cfg)
	for _, f := range got {
		if f.Rule != id {
			t.Fatalf("rule %s ran with only %s enabled", f.Rule, id)
		}
	}
	return got
}
