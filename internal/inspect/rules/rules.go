package rules

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/inventory"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/refresh"
)

// Severity says how much a finding matters. In JSON it is a word.
type Severity string

const (
	SeverityInfo   Severity = "info"
	SeverityLow    Severity = "low"
	SeverityMedium Severity = "medium"
	SeverityHigh   Severity = "high"
)

// Rank orders severities: info 0 < low 1 < medium 2 < high 3; -1 for a
// word that is no severity.
func (s Severity) Rank() int {
	switch s {
	case SeverityInfo:
		return 0
	case SeverityLow:
		return 1
	case SeverityMedium:
		return 2
	case SeverityHigh:
		return 3
	}
	return -1
}

// Rule is one check over an analysed image, in the manner of a go/analysis
// Analyzer or a hadolint DL code: a stable ID that is never reused, a name,
// a category, a one-line doc, a default severity, a one-line fix and the
// code that reads the merged file system and the inventories. docs/rules.md
// describes every rule and how it counts bytes.
type Rule struct {
	ID       string // SP101; never reused for another meaning
	Name     string // stdlib-tests
	Category string // python-tests
	Severity Severity
	Doc      string // one line: what it finds
	Fix      string // one line: how to fix it
	// Reads declares the file content Check reads through FS.Content
	// (the walker captures it; the layer cache's key includes it), Uses
	// the parts of the Inventory it reads.
	Reads []layer.Reads
	Uses  []InventoryUse
	// Refreshed: Check reads what the image's package sources say today
	// (Settings.Refresh, from --refresh) and finds nothing without it.
	Refreshed bool
	Check     func(p *Pass) []Finding
}

// Rules is the registry, in ID order. Each rule is in the file named by its
// ID (SP403 in rule_sp403.go); what several rules share is in
// rule_helpers.go and rules_*.go. Adding a rule is adding a file
// rule_spNNN.go, its test rule_spNNN_test.go, a line here and its section
// in docs/rules.md; the walker and the merge never change.
var Rules = []*Rule{
	stdlibTestsRule,
	packageTestsRule,
	appTestsRule,
	optimizedBytecodeRule,
	orphanedBytecodeRule,
	buildToolchainRule,
	unpackagedToolchainRule,
	headerFilesRule,
	staticLibrariesRule,
	devPackagesRule,
	pipCacheRule,
	pythonToolCachesRule,
	aptListsRule,
	osPackageCacheRule,
	wheelsAndSdistsRule,
	packagingToolsRule,
	osEOLRule,
	pythonEOLRule,
	aptUpgradableRule,
	vulnerablePackagingToolsRule,
	duplicateDistributionsRule,
	staleImageRule,
	refreshedOSUpdatesRule,
	pythonVulnerableRule,
	pythonOutdatedRule,
	duplicateFilesRule,
	layerWasteRule,
	metadataRewritesRule,
	rootUserRule,
	secretFilesRule,
	gitDirectoriesRule,
	documentationRule,
	localesRule,
}

// RuleByID returns the registered rule with this ID (case-insensitive), or nil.
func RuleByID(id string) *Rule {
	for _, r := range Rules {
		if strings.EqualFold(r.ID, id) {
			return r
		}
	}
	return nil
}

// Finding is one problem a rule found. Bytes are the bytes that removing
// what it names would save, as docs/rules.md defines them per rule; paths
// are every flagged path (largest first, with pathBytes beside them).
type Finding struct {
	Rule      string           `json:"rule"`
	Name      string           `json:"name"`
	Category  string           `json:"category"`
	Severity  Severity         `json:"severity"`
	Title     string           `json:"title"`
	Bytes     int64            `json:"bytes"`
	Files     int              `json:"files"`
	Paths     []string         `json:"paths"`
	PathBytes []int64          `json:"pathBytes"`
	Packages  []FindingPackage `json:"packages,omitempty"`
	// Layer is the layer that put most of the bytes there (or, for a
	// finding about packages, installed them); -1 for a finding about the
	// image as a whole (its config, its age).
	Layer     int    `json:"layer"`
	CreatedBy string `json:"createdBy"`
	Fix       string `json:"fix"`

	// units are the stored contents the finding's bytes count, for the
	// summary that counts each once across findings.
	units map[unit]int64
}

// TitleAmong is the finding's title, after its layer when another finding
// of all has the same rule in another layer, or the same title (two layers
// that each store the same kind of thing, "1,440 files" in one and "317
// files" in the other), so that rows of one rule tell which layer each is.
// A title that begins with its layer already (SP502, SP503) is left as it
// is. Callers make it safe for their output.
func (f Finding) TitleAmong(all []Finding) string {
	if f.Layer < 0 || strings.HasPrefix(f.Title, fmt.Sprintf("layer %d ", f.Layer)) {
		return f.Title
	}
	n := 0
	for _, o := range all {
		if o.Rule == f.Rule && (o.Title == f.Title || o.Layer >= 0 && o.Layer != f.Layer) {
			n++
		}
	}
	if n > 1 {
		// first, so that a row cut to the terminal's width keeps it
		return fmt.Sprintf("layer %d: %s", f.Layer, f.Title)
	}
	return f.Title
}

// FindingPackage is a package a finding is about.
type FindingPackage struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Manager   string `json:"manager"`             // dpkg, apk, pip, ...
	Location  string `json:"location,omitempty"`  // a Python distribution's site-packages
	Available string `json:"available,omitempty"` // a newer version the image's own apt lists offer
	Bytes     int64  `json:"bytes,omitempty"`     // its visible bytes, where the finding counts them
	Note      string `json:"note,omitempty"`      // e.g. the CVE IDs
	// Suite and Security (SP407): the apt suites or Alpine repository
	// that offer Available, and whether a security suite does.
	Suite    string `json:"suite,omitempty"`
	Security bool   `json:"security,omitempty"`
	// Vulnerabilities (SP408): the installed version's known ones.
	Vulnerabilities []refresh.Vulnerability `json:"vulnerabilities,omitempty"`
}

// unit is one stored file content: a visible inode or a hidden copy.
type unit struct {
	hidden bool
	layer  int
	path   string
}

// FindingsSummary is the headline of the rules: what could go, without
// counting twice a file that two rules flag.
type FindingsSummary struct {
	// StoredSize is the bytes the layers store (totals.storedSize): what a
	// pull unpacks.
	StoredSize int64 `json:"storedSize"`
	// RecoverableBytes is the union of every finding's bytes, each stored
	// file content (inode or hidden copy) counted once.
	RecoverableBytes int64 `json:"recoverableBytes"`
	RecoverableFiles int   `json:"recoverableFiles"`
	// SlimmedSize = StoredSize − RecoverableBytes.
	SlimmedSize int64 `json:"slimmedSize"`
	// Efficiency = SlimmedSize / StoredSize (1 for an empty image); Score
	// is it in percent, rounded down.
	Efficiency float64        `json:"efficiency"`
	Score      int            `json:"score"`
	Findings   int            `json:"findings"`
	BySeverity map[string]int `json:"bySeverity"`
	// Disabled lists the rules the config turned off.
	Disabled []string `json:"disabled"`
	// Now is the date ages and end-of-life dates were compared with.
	Now string `json:"now"`
}

// Pass is what a rule's Check reads. Everything is read-only.
type Pass struct {
	FS        *fsview.FileSystem
	Inventory *inventory.Inventory
	Layers    []Layer
	Config    *v1.ConfigFile
	Now       time.Time
	Settings  Config

	rule   *Rule
	ignore *ignoreMatcher
	idx    *fsIndex
}

// Layer is what a rule reads of one layer of the image.
type Layer struct {
	Data      *layer.Data
	CreatedBy string
}

// Run runs every enabled rule (p.Settings) over the image the Pass holds
// and returns the findings, most bytes first (then severity, rule ID,
// layer). A zero Settings.Now is the current time.
func Run(p *Pass) []Finding {
	if p == nil || p.FS == nil {
		return nil
	}
	cfg := p.Settings
	p.Now = cfg.Now
	if p.Now.IsZero() {
		p.Now = time.Now()
	}
	if p.Config == nil {
		p.Config = &v1.ConfigFile{}
	}
	p.ignore = newIgnoreMatcher(cfg.Ignore)
	var out []Finding
	for _, r := range Rules {
		if !cfg.enabled(r) {
			continue
		}
		p.rule = r
		for _, f := range r.Check(p) {
			f.Rule, f.Name, f.Category = r.ID, r.Name, r.Category
			if f.Severity == "" {
				f.Severity = r.Severity
			}
			if s, ok := cfg.Severity[r.ID]; ok {
				f.Severity = s
			}
			if f.Fix == "" {
				f.Fix = r.Fix
			}
			if f.Paths == nil {
				f.Paths = []string{}
			}
			if f.PathBytes == nil {
				f.PathBytes = []int64{}
			}
			if f.CreatedBy == "" {
				f.CreatedBy = p.createdBy(f.Layer)
			}
			out = append(out, f)
		}
	}
	sortFindings(out)
	return out
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Bytes != b.Bytes {
			return a.Bytes > b.Bytes
		}
		if ra, rb := a.Severity.Rank(), b.Severity.Rank(); ra != rb {
			return ra > rb
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Layer < b.Layer
	})
}

// Summarize counts, of the stored bytes the layers hold, the findings' bytes once per stored content, and per
// category (each category deduplicated on its own, so categories may
// overlap: a .opt-1.pyc inside a test directory is in python-tests and in
// bytecode, once in the summary).
func Summarize(stored int64, findings []Finding, cfg Config) (FindingsSummary, map[string]int64) {
	s := FindingsSummary{StoredSize: stored, BySeverity: map[string]int{}, Findings: len(findings), Disabled: []string{}}
	all := map[unit]bool{}
	perCat := map[string]map[unit]bool{}
	cats := map[string]int64{}
	for _, f := range findings {
		s.BySeverity[string(f.Severity)]++
		if _, ok := cats[f.Category]; !ok {
			cats[f.Category] = 0
			perCat[f.Category] = map[unit]bool{}
		}
		for u, n := range f.units {
			if !all[u] {
				all[u] = true
				s.RecoverableBytes += n
				s.RecoverableFiles++
			}
			if !perCat[f.Category][u] {
				perCat[f.Category][u] = true
				cats[f.Category] += n
			}
		}
	}
	for _, r := range Rules {
		if !cfg.enabled(r) {
			s.Disabled = append(s.Disabled, r.ID)
		}
	}
	s.SlimmedSize = stored - s.RecoverableBytes
	s.Efficiency = 1
	if stored > 0 {
		s.Efficiency = float64(s.SlimmedSize) / float64(stored)
	}
	s.Score = int(math.Floor(s.Efficiency*100 + 1e-9))
	now := cfg.Now
	if now.IsZero() {
		now = time.Now()
	}
	s.Now = now.UTC().Format("2006-01-02")
	return s, cats
}

// DuplicateGroups are the groups of visible regular files of identical
// content of at least minSize bytes (Analysis.DuplicateGroups).
func (p *Pass) DuplicateGroups(minSize int64) []fsview.DuplicateGroup {
	_, _, groups := p.FS.VisibleContents(max(minSize, 0))
	return groups
}

// createdBy is a layer's instruction; "" for -1 (image-wide).
func (p *Pass) createdBy(layer int) string {
	if layer >= 0 && layer < len(p.Layers) {
		return p.Layers[layer].CreatedBy
	}
	return ""
}
