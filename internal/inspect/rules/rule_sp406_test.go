package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP406: an image created longer ago than stale-image-days.
func TestSP406(t *testing.T) {
	ruleGolden(t, "SP406", ruleCase{created: testNow.AddDate(0, 0, -400), layers: []ruleLayer{{createdBy: "COPY . /app", entries: []tartest.Entry{sized("app/app.py", 10)}}}})
	if got := ruleRun(t, "SP406", ruleCase{created: testNow.AddDate(0, 0, -10), layers: []ruleLayer{{createdBy: "COPY . /app", entries: []tartest.Entry{sized("app/app.py", 10)}}}}); len(got) != 0 {
		t.Errorf("SP406 flags an image it must not: %+v", got)
	}
}
