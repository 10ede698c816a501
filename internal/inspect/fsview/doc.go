// Package fsview is the merged file system of an image: Merge (or a Merger
// fed layer by layer) applies the layers' layer.Data bottom to top, as an
// overlay file system would, into a FileSystem of Nodes, and accounts for
// every stored byte: each copy the final tree cannot see is a Copy hidden
// by the layer that hid it, each layer's LayerChange says what it added
// and wasted (docs/accounting.md). IndexLayers replays the same layers
// into a LayerIndex: what each entry of each layer did, for the per-layer
// views. Nodes are read through their fields and methods; the tree's
// bookkeeping (inodes, parent links, child lists) stays inside.
package fsview
