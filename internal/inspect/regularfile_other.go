//go:build !unix

package inspect

// openNonblock: FIFOs that block an open are a unix matter.
const openNonblock = 0
