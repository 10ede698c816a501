package suggest

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/rules"
)

// TestRegistries checks the two registries, the rules and the suggestion
// kinds, and the one link between them: IDs of the right form, each once,
// the rules in ID order and the kinds in their application order (the
// order of docs/suggestions.md's table); every rule documented in
// docs/rules.md and every kind in docs/suggestions.md (and neither
// documenting one that is not registered); every rule a kind answers
// registered, in ID order; and docs/suggestions.md's table of the rules
// each kind answers as the declarations say (-update rewrites it).
func TestRegistries(t *testing.T) {
	rulesDoc := readDoc(t, "rules.md")
	kindsDoc := readDoc(t, "suggestions.md")

	// The only reference to the rules' registry in this package's tests.
	ruleName := map[string]string{}
	var ruleIDs []string
	for _, r := range rules.Rules {
		ruleIDs = append(ruleIDs, r.ID)
		ruleName[r.ID] = r.Name
	}
	checkIDs(t, "rule", ruleIDs, `^SP[1-9][0-9]{2}$`)
	if !slices.IsSorted(ruleIDs) {
		t.Errorf("the rules are not in ID order: %v", ruleIDs)
	}
	for _, id := range ruleIDs {
		if !strings.Contains(rulesDoc, "**"+id+" "+ruleName[id]+"**") {
			t.Errorf("docs/rules.md has no section **%s %s**", id, ruleName[id])
		}
	}
	for _, m := range regexp.MustCompile(`\*\*(SP[0-9]+) `).FindAllStringSubmatch(rulesDoc, -1) {
		if ruleName[m[1]] == "" {
			t.Errorf("docs/rules.md documents %s, which is no registered rule", m[1])
		}
	}

	var kindIDs, kindNames, documented []string
	for _, k := range kinds {
		kindIDs = append(kindIDs, k.ID)
		kindNames = append(kindNames, k.Name)
		documented = append(documented, "| "+k.ID+" | "+k.Name+" |")
		if !slices.IsSorted(k.Answers) || len(slices.Compact(slices.Clone(k.Answers))) != len(k.Answers) {
			t.Errorf("kind %s: its answers are not in ID order, each once: %v", k.ID, k.Answers)
		}
		for _, id := range k.Answers {
			if ruleName[id] == "" {
				t.Errorf("kind %s answers %s, which is no registered rule", k.ID, id)
			}
		}
	}
	checkIDs(t, "kind", kindIDs, `^SG[0-9]{3}$`)
	checkIDs(t, "kind name", kindNames, `^[a-z]+(-[a-z]+)*$`)
	var rows []string
	for _, row := range tableRows(t, kindsDoc, "| ID | name | what |")[2:] {
		id, name, _ := strings.Cut(strings.TrimPrefix(row, "| "), " | ")
		name, _, _ = strings.Cut(name, " |")
		rows = append(rows, "| "+id+" | "+name+" |")
	}
	for i := range max(len(rows), len(documented)) {
		if i >= len(rows) || i >= len(documented) || rows[i] != documented[i] {
			t.Errorf("docs/suggestions.md's table of the suggestions is not the registry in application order: row %d is %q, want %q", i+1, at(rows, i), at(documented, i))
			break
		}
	}

	want := answersTable(ruleName)
	got := strings.Join(tableRows(t, kindsDoc, answersHeader), "\n") + "\n"
	if got != want && *update {
		i := strings.Index(kindsDoc, answersHeader)
		doc := kindsDoc[:i] + want + kindsDoc[i+len(got):]
		if err := os.WriteFile("../../docs/suggestions.md", []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if got != want {
		t.Errorf("docs/suggestions.md's table of the rules each suggestion answers is not the declarations' (-update rewrites it); want\n%s", want)
	}
}

// answersHeader begins the table of the rules each kind answers.
const answersHeader = "| ID | name | answers |\n|---|---|---|\n"

// answersTable is docs/suggestions.md's table of the rules each kind
// answers, in application order.
func answersTable(ruleName map[string]string) string {
	var b strings.Builder
	b.WriteString(answersHeader)
	for _, k := range kinds {
		var as []string
		for _, id := range k.Answers {
			as = append(as, id+" "+ruleName[id])
		}
		if len(as) == 0 {
			as = []string{"—"}
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", k.ID, k.Name, strings.Join(as, ", "))
	}
	return b.String()
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(none)"
}

// checkIDs: every ID of the registry has the form and is there once.
func checkIDs(t *testing.T, what string, ids []string, form string) {
	t.Helper()
	re := regexp.MustCompile(form)
	seen := map[string]bool{}
	for _, id := range ids {
		if !re.MatchString(id) {
			t.Errorf("%s %q is not of the form %s", what, id, form)
		}
		if seen[id] {
			t.Errorf("%s %s is registered twice", what, id)
		}
		seen[id] = true
	}
}

func readDoc(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../docs/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tableRows are the lines of the markdown table that starts with header,
// header and separator included, up to the first line that is no row.
func tableRows(t *testing.T, doc, header string) []string {
	t.Helper()
	i := strings.Index(doc, header)
	if i < 0 {
		t.Fatalf("no table %q", header)
	}
	var rows []string
	for _, line := range strings.Split(doc[i:], "\n") {
		if !strings.HasPrefix(line, "|") {
			break
		}
		rows = append(rows, line)
	}
	return rows
}
