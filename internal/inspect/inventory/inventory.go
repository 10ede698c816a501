package inventory

// Inventory is what package managers and Python installations the image
// holds. It is built from the merged file system and each layer's captured
// package databases (see inventoryReads).
type Inventory struct {
	OSRelease    map[string]string // /etc/os-release (or /usr/lib/os-release) fields
	OS           []OSPackage       // dpkg and apk packages
	Python       []PythonDist      // *.dist-info and *.egg-info distributions
	Interpreters []Interpreter
}

// OSPackage is a dpkg or apk package.
type OSPackage struct {
	Manager       string // "dpkg" or "apk"
	Name          string
	Version       string
	Arch          string
	Source        string   // source package, when it differs
	InstalledSize int64    // bytes, as the database declares (dpkg: KiB × 1024)
	Files         []string // absolute, usr-merge aliases resolved to the visible path
	Bytes         int64    // regular-file bytes of Files visible in the image
	Layer         int      // the first layer whose database lists this name and version
}

// PythonDist is an installed Python distribution.
type PythonDist struct {
	Name      string
	Version   string
	Installer string   // INSTALLER file content (pip, uv, poetry, ...); "debian" for dist-packages without it
	Location  string   // the site-packages (or dist-packages) directory
	MetaDir   string   // the .dist-info / .egg-info path
	Files     []string // absolute paths from RECORD (or installed-files.txt)
	Bytes     int64    // visible regular-file bytes of Files
	Layer     int      // the layer that wrote its metadata
}

// Interpreter is a Python installation found in the image.
type Interpreter struct {
	Version string `json:"version"` // "3.11" or "3.11.7" when known
	Prefix  string `json:"prefix"`  // /usr, /usr/local, /opt/venv ...
	Kind    string `json:"kind"`    // "distro", "local", "venv", "other"
	Path    string `json:"path"`    // the python3.N executable
	Layer   int    `json:"layer"`
}
