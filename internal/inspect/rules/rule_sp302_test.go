package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP302: the caches of uv, pipenv, poetry, pdm and conda.
func TestSP302(t *testing.T) {
	ruleGolden(t, "SP302", ruleCase{layers: []ruleLayer{{createdBy: "RUN uv pip install -r requirements.txt", entries: []tartest.Entry{
		sized("root/.cache/uv/wheels-v1/pypi/numpy/x.whl", 9000),
		sized("root/.cache/pypoetry/cache/repositories/pypi/a", 700),
		sized("root/.cache/pypoetry/virtualenvs/app/bin/python", 100), // a venv, not a cache
	}}}})
}
