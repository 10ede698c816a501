// Package inspect opens a container image, streams its layers once and
// builds the merged file system view, the waste accounting and the package
// inventories that the rules, suggestions and reports read.
//
// Data flows one way: source.Open (reference → Source) → Analyze (layers →
// layer.Data, cached by diffID → fsview.FileSystem + Inventory) → findings.
//
// The rules are in package rules; a rule declares what it reads
// (Rule.Reads, Rule.Uses) and the walker captures the union (captures.go).
// Sub-packages: source (Open and one file per transport), rules (Rule,
// Pass, Finding, their config, one file per rule ID), layer (the walk of
// one layer tarball, its decompression and capture, the per-layer data
// and its cache by diffID), fsview (the merged file system, its
// accounting and the per-layer index), codec (the caches' binary
// encoding), inventory (what the image installed: OS packages, Python
// distributions and interpreters; end-of-life tables, os-release, release
// order).
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
