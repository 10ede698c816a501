package rules_test

import "testing"

// SP409, with --refresh: a newer release of a distribution the image does not hold is image-wide (layer -1); requests, vulnerable, is SP408's. Without a refresh, nothing.
func TestSP409(t *testing.T) {
	ruleGolden(t, "SP409", refreshCase(refreshAnswers))
	if got := ruleRun(t, "SP409", refreshCase(nil)); len(got) != 0 {
		t.Errorf("SP409 without a refresh: %+v", got)
	}
}
