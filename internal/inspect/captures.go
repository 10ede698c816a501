package inspect

import (
	"sync"

	"github.com/slimpy/slimpy/internal/inspect/inventory"
	"github.com/slimpy/slimpy/internal/inspect/layer"
)

// InventoryUse names what a rule reads of the Inventory, declared on the rule
// (Rule.Uses) beside the file content it reads itself (Rule.Reads).
type InventoryUse string

const (
	UsesOSPackages   InventoryUse = "os-packages"  // Inventory.OS: dpkg and apk
	UsesPythonDists  InventoryUse = "python-dists" // Inventory.Python
	UsesInterpreters InventoryUse = "interpreters" // Inventory.Interpreters
	UsesOSRelease    InventoryUse = "os-release"   // Inventory.OSRelease
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
		for _, r := range Rules {
			all = append(all, r.Reads...)
		}
		union = layer.Compile(all)
	})
	return union
}
