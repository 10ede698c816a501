// Package layer reads one layer tarball: Walk streams it once (decompressed
// by Decompress, its diffID checked on the way) into Data, the entries,
// whiteouts and totals of the layer and the content of the files that a
// Captures set wants; Cache keeps Data by diffID between runs.
//
// The walker knows no rule and no inventory: they declare what they read
// as Reads, and the driver (package inspect) hands the walker their union,
// compiled by Compile. The cache's directory names the union's Key, so a
// new declaration never reads an entry written without it.
package layer
