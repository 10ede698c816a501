package rules_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/rules"
)

// TestRuleRegistry checks what a newcomer relies on: every rule has a
// unique ID, the registry is in ID order, each rule is in the file named by
// its ID with its test beside it, and docs/rules.md documents each (and no
// rule the registry does not have).
func TestRuleRegistry(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	idForm := regexp.MustCompile(`^SP[1-9][0-9]{2}$`)
	seen := map[string]bool{}
	for i, r := range rules.Rules {
		if !idForm.MatchString(r.ID) {
			t.Errorf("rule %q: ID not of the form SPNNN", r.ID)
		}
		if seen[r.ID] {
			t.Errorf("rule %s registered twice", r.ID)
		}
		seen[r.ID] = true
		if i > 0 && rules.Rules[i-1].ID >= r.ID {
			t.Errorf("registry out of order: %s before %s", rules.Rules[i-1].ID, r.ID)
		}
		if r.Name == "" || r.Category == "" || r.Doc == "" || r.Fix == "" || r.Check == nil || r.Severity.Rank() < 0 {
			t.Errorf("rule %s: a name, category, doc, fix, check and severity are required", r.ID)
		}
		if rules.RuleByID(strings.ToLower(r.ID)) != r {
			t.Errorf("RuleByID(%q) does not find it", strings.ToLower(r.ID))
		}
		if !strings.Contains(string(doc), "**"+r.ID+" "+r.Name+"**") {
			t.Errorf("docs/rules.md has no section **%s %s**", r.ID, r.Name)
		}
		for _, u := range r.Uses {
			switch u {
			case rules.UsesOSPackages, rules.UsesPythonDists, rules.UsesInterpreters, rules.UsesOSRelease:
			default:
				t.Errorf("rule %s uses %q, which is no part of the inventory", r.ID, u)
			}
		}
		file := "rule_" + strings.ToLower(r.ID) + ".go"
		src, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("rule %s: %v (each rule is in the file named by its ID)", r.ID, err)
		} else if !strings.Contains(string(src), `"`+r.ID+`"`) {
			t.Errorf("%s does not define rule %s", file, r.ID)
		}
		// What --refresh adds is told apart by the attribute (the TUI
		// counts it); its doc says so to the user.
		if r.Refreshed != strings.HasPrefix(r.Doc, "with --refresh:") {
			t.Errorf("rule %s: Refreshed is %v but its doc begins %q", r.ID, r.Refreshed, r.Doc[:min(len(r.Doc), 20)])
		}
		test := strings.TrimSuffix(file, ".go") + "_test.go"
		if src, err := os.ReadFile(test); err != nil || !strings.Contains(string(src), `ruleGolden(t, "`+r.ID+`"`) {
			t.Errorf("rule %s has no test %s with golden findings (ruleGolden)", r.ID, test)
		}
	}
	for _, id := range regexp.MustCompile(`\*\*(SP[0-9]+) `).FindAllStringSubmatch(string(doc), -1) {
		if !seen[id[1]] {
			t.Errorf("docs/rules.md documents %s, which is no registered rule", id[1])
		}
	}
}

// TestRulesUseAccessors keeps the rules on the tree's accessor methods
// (Parent, Child, ChildNodes, StoredLayer, Links, InodeKey) and off the
// nodes' unexported fields and the Analysis behind the Pass, so that the
// merge may change its representation without touching a rule.
func TestRulesUseAccessors(t *testing.T) {
	// rules.go is the framework that builds the Pass: not a rule.
	files, err := filepath.Glob("rule_*.go")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("rules_*.go")
	files = append(files, more...)
	field := regexp.MustCompile(`\.(ino|children|parent|kids|analysis)\b`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			if m := field.FindString(line); m != "" && !strings.HasPrefix(strings.TrimSpace(line), "//") {
				t.Errorf("%s:%d reaches %s", f, i+1, m)
			}
		}
	}
}
