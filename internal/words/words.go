// Package words holds the phrases every report and view of slimpy writes
// the same way: counts of things and sizes (SI units, as go-humanize
// writes them, so that 1 kB is 1000 bytes and a person's du -B1 agrees).
package words

import "github.com/dustin/go-humanize"

// Count is "1 file" or "16,152 files".
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return humanize.Comma(int64(n)) + " " + many
}

// Size is n bytes for a person: "1.2 MB", "-340 kB" for a negative
// difference.
func Size(n int64) string {
	if n < 0 {
		return "-" + humanize.Bytes(uint64(-n))
	}
	return humanize.Bytes(uint64(n))
}
