package rules_test

import "testing"

// SP407, with --refresh: upgradable OS packages: high, as a security suite offers dash's candidate; named where and when they were asked. Without a refresh, nothing.
func TestSP407(t *testing.T) {
	ruleGolden(t, "SP407", refreshCase(refreshAnswers))
	if got := ruleRun(t, "SP407", refreshCase(nil)); len(got) != 0 {
		t.Errorf("SP407 without a refresh: %+v", got)
	}
}
