package inspect

import (
	"sync"

	"github.com/slimpy/slimpy/internal/inspect/inventory"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/rules"
)

var (
	unionOnce sync.Once
	union     *layer.Captures
)

// theCaptures is the union of the inventories' and the registered rules'
// declarations: what the walker keeps, and part of the layer cache's key.
func theCaptures() *layer.Captures {
	unionOnce.Do(func() {
		all := append([]layer.Reads(nil), inventory.Reads...)
		for _, r := range rules.Rules {
			all = append(all, r.Reads...)
		}
		union = layer.Compile(all)
	})
	return union
}
