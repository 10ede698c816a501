package rules_test

import "testing"

// SP408, with --refresh: a pip-installed distribution with a known vulnerability, on the layer that installed it; the index's answer is not verified. Without a refresh, nothing.
func TestSP408(t *testing.T) {
	ruleGolden(t, "SP408", refreshCase(refreshAnswers))
	if got := ruleRun(t, "SP408", refreshCase(nil)); len(got) != 0 {
		t.Errorf("SP408 without a refresh: %+v", got)
	}
}
