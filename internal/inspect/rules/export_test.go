package rules

// The internals the external tests (package rules_test) read.
var (
	ParsePackagesIndex = parsePackagesIndex
	DecompressList     = decompressList
)
