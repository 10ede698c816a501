package inspect

// BuildInventory reads the package databases of the merged file system.
// layers are the per-layer data in order (for "which layer installed it").
func BuildInventory(fs *FileSystem, layers []*LayerData) Inventory {
	return Inventory{}
}
