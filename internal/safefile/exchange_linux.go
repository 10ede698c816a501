package safefile

import (
	"errors"

	"golang.org/x/sys/unix"
)

// exchange swaps the files at a and b atomically (renameat2 with
// RENAME_EXCHANGE, Linux 3.15): b gets the new file, and what was at b
// that very instant is left at a, to be compared with what was read and
// swapped back when it differs. A check before a plain rename leaves a
// window in which an editor's save is replaced and lost; here there is
// none. errNoExchange when the kernel or the file system cannot.
func exchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP) {
		return errNoExchange
	}
	return err
}
