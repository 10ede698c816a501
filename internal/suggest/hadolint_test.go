package suggest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// hadolintDir holds our own cases for the ten hadolint rules slimpy's
// suggestions name (see its README.md): per rule, one Dockerfile per
// behaviour hadolint's spec for that rule probes, and cases.json with
// hadolint's verdict on each. TestHadolintVerdicts compares slimpy's
// verdict with hadolint's; every disagreement is recorded in
// disagreements.tsv with a class and a reason, so the test passes on
// today's behaviour and fails as soon as a verdict changes either way.
const hadolintDir = "../../testdata/hadolint"

// hadolintClasses are the classes a recorded disagreement may have.
var hadolintClasses = map[string]bool{"hadolint right": true, "slimpy right": true, "policy": true}

type hadolintCase struct {
	Case      string `json:"case"`
	Behaviour string `json:"behaviour"`
	OnBuild   bool   `json:"onbuild"`
	Hadolint  string `json:"hadolint"` // fires or silent
	Spec      string `json:"spec"`     // the spec line of hadolint's that probes the behaviour
}

type hadolintDisagreement struct {
	hadolint, slimpy, class, reason string
}

// hadolintCases reads every rule's cases.json.
func hadolintCases(t *testing.T) map[string][]hadolintCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(hadolintDir, "DL*", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 10 {
		t.Fatalf("%d rules' cases.json, want the ten rules slimpy's suggestions name", len(files))
	}
	out := map[string][]hadolintCase{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cs []hadolintCase
		if err := json.Unmarshal(b, &cs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range cs {
			if c.Hadolint != "fires" && c.Hadolint != "silent" {
				t.Fatalf("%s: case %s: hadolint %q, want fires or silent", f, c.Case, c.Hadolint)
			}
		}
		out[filepath.Base(filepath.Dir(f))] = cs
	}
	return out
}

// readDisagreements reads disagreements.tsv: rule, case, hadolint's
// verdict, slimpy's verdict, class, reason; # lines are comments.
func readDisagreements(t *testing.T) map[string]hadolintDisagreement {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(hadolintDir, "disagreements.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]hadolintDisagreement{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for ln := 1; sc.Scan(); ln++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 6 {
			t.Fatalf("disagreements.tsv:%d: %d fields, want 6 (rule, case, hadolint, slimpy, class, reason)", ln, len(f))
		}
		key := f[0] + "/" + f[1]
		if _, dup := out[key]; dup {
			t.Fatalf("disagreements.tsv:%d: %s listed twice", ln, key)
		}
		if !hadolintClasses[f[4]] {
			t.Fatalf("disagreements.tsv:%d: class %q, want hadolint right, slimpy right or policy", ln, f[4])
		}
		if strings.TrimSpace(f[5]) == "" {
			t.Fatalf("disagreements.tsv:%d: no reason", ln)
		}
		out[key] = hadolintDisagreement{hadolint: f[2], slimpy: f[3], class: f[4], reason: f[5]}
	}
	return out
}

// slimpyVerdict says whether a suggestion naming rule fires on src, with
// a diff or as advice: "fires", "silent", or "error" when Suggest rejects
// the file.
func slimpyVerdict(src []byte, rule string) string {
	ss, err := Suggest(src, Options{Now: corpusNow})
	if err != nil {
		return "error"
	}
	for _, s := range ss {
		for _, code := range strings.Split(s.Hadolint, ",") {
			if strings.TrimSpace(code) == rule {
				return "fires"
			}
		}
	}
	return "silent"
}

func TestHadolintVerdicts(t *testing.T) {
	cases := hadolintCases(t)
	recorded := readDisagreements(t)
	seen := map[string]bool{}
	type tally struct{ agree, total int }
	var plain, onbuild tally
	classes := map[string]int{}
	rules := make([]string, 0, len(cases))
	for r := range cases {
		rules = append(rules, r)
	}
	sort.Strings(rules)
	for _, rule := range rules {
		for _, c := range cases[rule] {
			key := rule + "/" + c.Case
			seen[key] = true
			src, err := os.ReadFile(filepath.Join(hadolintDir, rule, c.Case, "Dockerfile"))
			if err != nil {
				t.Fatal(err)
			}
			if got := bytes.Contains(src, []byte("ONBUILD")); got != c.OnBuild {
				t.Errorf("%s: cases.json says onbuild %v, the Dockerfile says %v", key, c.OnBuild, got)
			}
			got, want := slimpyVerdict(src, rule), c.Hadolint
			tl := &plain
			if c.OnBuild {
				tl = &onbuild
			}
			tl.total++
			d, listed := recorded[key]
			if listed && d.hadolint != want {
				t.Errorf("%s: disagreements.tsv says hadolint %s, cases.json %s", key, d.hadolint, want)
			}
			switch {
			case got == want && listed:
				t.Errorf("%s (%s) now agrees with hadolint (%s): remove it from disagreements.tsv", key, c.Behaviour, got)
			case got == want:
				tl.agree++
			case !listed:
				t.Errorf("%s (%s): hadolint %s, slimpy %s — a new disagreement; fix it or record it:\n%s\t%s\t%s\t%s\tCLASS\tREASON",
					key, c.Behaviour, want, got, rule, c.Case, want, got)
			case d.slimpy != got:
				t.Errorf("%s (%s): slimpy now says %s, disagreements.tsv records %s", key, c.Behaviour, got, d.slimpy)
			default:
				classes[d.class]++
			}
		}
	}
	for key := range recorded {
		if !seen[key] {
			t.Errorf("disagreements.tsv lists %s, which is no case", key)
		}
	}
	t.Logf("plain cases: slimpy agrees with hadolint on %d of %d; ONBUILD cases: %d of %d; recorded disagreements by class: %v",
		plain.agree, plain.total, onbuild.agree, onbuild.total, fmt.Sprint(classes))
}
