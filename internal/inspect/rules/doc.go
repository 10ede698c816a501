// Package rules holds the checks over an analysed image, in the manner of
// go/analysis analyzers: Rule (a stable ID, what it reads, its Check),
// the registry Rules, the Pass a Check reads, Finding, Severity and the
// rules' Config. Each rule is in the file named by its ID (rule_sp403.go)
// with its golden test beside it; the driver (package inspect) builds the
// Pass from an Analysis and calls Run.
package rules
