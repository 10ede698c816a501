package inspect

import (
	"sync"

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

// inventoryReads is what BuildInventory reads: the package databases, the
// os-release files, the Python distributions' metadata and what names an
// interpreter's version.
var inventoryReads = []layer.Reads{
	{Patterns: []string{ // dpkg (Debian, Ubuntu; distroless's status.d)
		dpkgStatus, "/var/lib/dpkg/status.d/*", "/var/lib/dpkg/info/*.list",
	}},
	{Patterns: []string{"/lib/apk/db/installed", "/usr/lib/apk/db/installed"}},
	{Patterns: []string{"/etc/os-release", "/usr/lib/os-release"}},
	{Patterns: []string{
		"/**/*.dist-info/METADATA", "/**/*.dist-info/RECORD", "/**/*.dist-info/INSTALLER",
		"/**/*.egg-info/PKG-INFO", "/**/*.egg-info/installed-files.txt",
		"/**/*.egg-info", // a legacy single-file egg-info is itself the PKG-INFO
		"/**/pyvenv.cfg",
		// PREFIX/include/python3.N/patchlevel.h names the full version of
		// an interpreter built from source (/usr/local, conda).
		"/**/include/python*/**/patchlevel.h",
	}},
}

var (
	unionOnce sync.Once
	union     *layer.Captures
)

// theCaptures is the union of the inventories' and the registered rules'
// declarations: what the walker keeps, and part of the layer cache's key.
func theCaptures() *layer.Captures {
	unionOnce.Do(func() {
		all := append([]layer.Reads(nil), inventoryReads...)
		for _, r := range Rules {
			all = append(all, r.Reads...)
		}
		union = layer.Compile(all)
	})
	return union
}
