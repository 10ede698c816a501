package inspect

import (
	"time"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/inventory"
	"github.com/slimpy/slimpy/internal/inspect/rules"
)

// SchemaVersion is the version of the JSON report. Bump it on any change
// that breaks a reader; adding fields does not.
const SchemaVersion = 1

// Report is the machine-readable result of an inspection, the JSON that
// `slimpy inspect --format json` prints and `slimpy ci` reads as a baseline.
// docs/json-schema.md documents every field.
type Report struct {
	SchemaVersion      int                `json:"schemaVersion"`
	Image              ImageInfo          `json:"image"`
	Totals             Totals             `json:"totals"`
	Layers             []LayerReport      `json:"layers"`
	Waste              WasteReport        `json:"waste"`
	Duplicates         DuplicatesReport   `json:"duplicates"`
	MetadataOnlyCopies MetadataOnlyReport `json:"metadataOnlyCopies"`
	Packages           PackagesReport     `json:"packages"`
	// The rules' results (docs/rules.md); null when the rules did not run
	// (Report), set by ReportWithFindings.
	Findings   []rules.Finding        `json:"findings"`   // most bytes first
	Categories map[string]int64       `json:"categories"` // bytes per category, each file once
	Summary    *rules.FindingsSummary `json:"summary"`
}

// ImageInfo identifies the inspected image.
type ImageInfo struct {
	Reference  string    `json:"reference"`
	Transport  string    `json:"transport"`
	Digest     string    `json:"digest,omitempty"` // manifest digest where the source has one
	ConfigID   string    `json:"configDigest"`
	Platform   string    `json:"platform"`
	Created    time.Time `json:"created,omitzero"`
	User       string    `json:"user"`
	WorkingDir string    `json:"workingDir,omitempty"`
	Entrypoint []string  `json:"entrypoint,omitempty"`
	Cmd        []string  `json:"cmd,omitempty"`
	Env        []string  `json:"env,omitempty"`
	OS         string    `json:"os,omitempty"` // PRETTY_NAME of os-release
}

// Totals are the image-wide figures; see docs/accounting.md.
type Totals struct {
	Size           int64   `json:"size"`           // visible bytes
	StoredSize     int64   `json:"storedSize"`     // bytes all layers carry
	CompressedSize int64   `json:"compressedSize"` // sum of layer blob sizes
	Files          int     `json:"files"`          // visible regular files, hardlinks once
	WastedBytes    int64   `json:"wastedBytes"`    // storedSize - size
	Efficiency     float64 `json:"efficiency"`     // size / storedSize (1 when empty)
}

// LayerReport is one layer.
type LayerReport struct {
	Index          int    `json:"index"`
	DiffID         string `json:"diffID"`
	Digest         string `json:"digest,omitempty"`
	Size           int64  `json:"size"` // bytes stored in the layer
	Files          int    `json:"files"`
	CompressedSize int64  `json:"compressedSize"`
	CreatedBy      string `json:"createdBy"`
	Cached         bool   `json:"cached"`
	fsview.LayerChange
}

// WasteReport lists the stored copies the final file system cannot see.
type WasteReport struct {
	Bytes    int64            `json:"bytes"`
	Files    int              `json:"files"`
	ByReason map[string]int64 `json:"byReason"`
	Copies   []fsview.Copy    `json:"copies"` // largest first
}

// DuplicatesReport groups visible files with identical content.
type DuplicatesReport struct {
	Groups      []fsview.DuplicateGroup `json:"groups"` // most wasted first
	WastedBytes int64                   `json:"wastedBytes"`
}

// MetadataOnlyReport sums the rewrites that only changed owner or mode.
type MetadataOnlyReport struct {
	Bytes   int64                 `json:"bytes"`
	Files   int                   `json:"files"`
	ByLayer map[int]int64         `json:"byLayer"`
	Copies  []fsview.MetadataCopy `json:"copies"`
}

// PackagesReport is the inventory summary.
type PackagesReport struct {
	OS           []PackageRef            `json:"os"`
	Python       []PackageRef            `json:"python"`
	Interpreters []inventory.Interpreter `json:"interpreters"`
}

// PackageRef is a package as the report shows it.
type PackageRef struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Manager  string `json:"manager"` // dpkg, apk, pip, ...
	Location string `json:"location,omitempty"`
	Bytes    int64  `json:"bytes"`
	Layer    int    `json:"layer"`
}
