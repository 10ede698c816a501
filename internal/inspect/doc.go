// Package inspect opens a container image, streams its layers once and
// builds the merged file system view, the waste accounting and the package
// inventories that the rules, suggestions and reports read.
//
// Data flows one way: Open (reference → Source) → Analyze (layers →
// LayerData, cached by diffID → FileSystem + Inventory) → findings.
//
// Definitions (docs/accounting.md keeps them):
//   - a byte is a byte of a regular file's content (st_size);
//   - stored: the sum over layers of the regular-file bytes each layer
//     tarball carries (hardlink entries carry none);
//   - visible: the regular-file bytes of the merged file system, each inode
//     counted once;
//   - wasted = stored − visible, each hidden copy attributed to the layer
//     that hid it (overwrite, whiteout, opaque directory, or a parent
//     replaced by a non-directory).
package inspect
