package rules

// InventoryUse names what a rule reads of the Inventory, declared on the rule
// (Rule.Uses) beside the file content it reads itself (Rule.Reads).
type InventoryUse string

const (
	UsesOSPackages   InventoryUse = "os-packages"  // Inventory.OS: dpkg and apk
	UsesPythonDists  InventoryUse = "python-dists" // Inventory.Python
	UsesInterpreters InventoryUse = "interpreters" // Inventory.Interpreters
	UsesOSRelease    InventoryUse = "os-release"   // Inventory.OSRelease
)
