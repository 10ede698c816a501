package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP602: secrets: .env files and private keys; examples are not secrets.
func TestSP602(t *testing.T) {
	ruleGolden(t, "SP602", ruleCase{layers: []ruleLayer{{createdBy: "COPY . /app", entries: []tartest.Entry{
		tartest.File("app/.env", "SECRET=1\n"),
		tartest.File("app/.env.example", "SECRET=\n"),
		sized("app/deploy/id_rsa", 1700),
	}}}})
}
