//go:build !linux

package safefile

// exchange is not available here: Commit falls back to compare, then
// rename (see exchange_linux.go).
func exchange(a, b string) error { return errNoExchange }
