package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP405: one distribution installed twice for one Python.
func TestSP405(t *testing.T) {
	ruleGolden(t, "SP405", ruleCase{layers: []ruleLayer{
		{createdBy: "RUN pip install six==1.15.0", entries: concat(
			[]tartest.Entry{sized(testSite+"/six.py", 3000)},
			distInfo(testSite, "six", "1.15.0", "six.py"),
		)},
		{createdBy: "RUN pip install --target /usr/local/lib/python3.11/site-packages/vendor six==1.16.0", entries: concat(
			[]tartest.Entry{sized(testSite+"/vendor/six.py", 3100)},
			distInfo(testSite, "Six", "1.16.0", "vendor/six.py"),
		)},
	}})
}
