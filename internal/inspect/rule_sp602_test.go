package inspect

import (
	"testing"
)

// SP602: secrets: .env files and private keys; examples are not secrets.
func TestSP602(t *testing.T) {
	ruleGolden(t, "SP602", ruleCase{layers: []ruleLayer{{createdBy: "COPY . /app", entries: []tarEntry{
		file("app/.env", "SECRET=1\n"),
		file("app/.env.example", "SECRET=\n"),
		sized("app/deploy/id_rsa", 1700),
	}}}})
}
