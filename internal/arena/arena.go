// Package arena hands out strings carved from large byte blocks: one
// allocation per 64 KiB of strings instead of one per string, and blocks
// the garbage collector need not scan. Bytes are never written twice, so
// the strings stay immutable. The layer walk keeps its paths in one; the
// layer cache's decoder keeps the paths it reads in one.
package arena

import "unsafe"

// Arena is a string arena; its zero value is ready to use. It is not safe
// for concurrent use.
type Arena struct{ block []byte }

const blockSize = 64 << 10

// Concat returns x+y+z, carved from the arena (long strings are allocated
// on their own).
func (a *Arena) Concat(x, y, z string) string {
	n := len(x) + len(y) + len(z)
	if n == 0 {
		return ""
	}
	if n > blockSize/8 {
		return x + y + z
	}
	if cap(a.block)-len(a.block) < n {
		a.block = make([]byte, 0, blockSize)
	}
	start := len(a.block)
	a.block = append(a.block, x...)
	a.block = append(a.block, y...)
	a.block = append(a.block, z...)
	return unsafe.String(&a.block[start], n)
}
