package inspect

import "github.com/slimpy/slimpy/internal/inspect/inventory"

// The end-of-life tables live in internal/inspect/inventory; these forward
// to them for inspect's callers.

// Release is a release of an OS or of CPython and its support dates.
type Release = inventory.Release

// EOLSnapshot is the day the end-of-life tables were last checked.
const EOLSnapshot = inventory.EOLSnapshot

var (
	// OSRelease finds the base OS release in the end-of-life tables.
	OSRelease = inventory.OSRelease
	// PythonRelease finds a CPython version in the end-of-life table.
	PythonRelease = inventory.PythonRelease
	// EOLTablesStale says whether the tables are more than a year old.
	EOLTablesStale = inventory.EOLTablesStale
	// ParseOSRelease reads os-release(5) text.
	ParseOSRelease = inventory.ParseOSRelease
)
