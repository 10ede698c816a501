package fleet

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

// Base is a base image as the fleet sees it: a layer prefix that several
// images share and at which they part (or one of them ends). Bases nest: a
// python base on a debian base is a base whose Parent is the debian one,
// and the debian base counts the images of both.
type Base struct {
	// ChainID identifies the prefix as the OCI image spec does
	// (ChainID(L0) = DiffID(L0), ChainID(L0…Ln) = sha256 of
	// "ChainID(L0…Ln-1) DiffID(Ln)"): `docker inspect` and containerd show
	// it for the image the prefix came from.
	ChainID string `json:"chainID"`
	Parent  string `json:"parent,omitempty"` // the base it builds on
	Layers  int    `json:"layers"`
	// TopLayer is its last layer.
	TopLayer Layer `json:"topLayer"`
	// Size and CompressedSize add up its layers (as the first image by
	// reference stores them).
	Size           int64 `json:"size"`
	CompressedSize int64 `json:"compressedSize"`
	Images         int   `json:"images"`
	// FleetSize is Size × Images: the bytes that the images' pulls unpack
	// for this base; what it costs the fleet.
	FleetSize int64 `json:"fleetSize"`
	// OS is the images' PRETTY_NAME when they all agree.
	OS         string   `json:"os,omitempty"`
	References []string `json:"references"`
}

// trie holds the images' layer chains, one node per distinct prefix.
type trie struct {
	root   *node
	images []Image
	paths  [][]*node // per image, its nodes from layer 0 up
}

type node struct {
	diffID   string
	chainID  string
	depth    int // layers in the prefix
	parent   *node
	children map[string]*node
	images   []int // indexes of the images whose chain passes through it
}

func newTrie(images []Image) *trie {
	t := &trie{root: &node{children: map[string]*node{}}, images: images, paths: make([][]*node, len(images))}
	for i, im := range images {
		n := t.root
		for _, l := range im.Layers {
			c := n.children[l.DiffID]
			if c == nil {
				c = &node{diffID: l.DiffID, chainID: chainID(n.chainID, l.DiffID), depth: n.depth + 1, parent: n, children: map[string]*node{}}
				n.children[l.DiffID] = c
			}
			c.images = append(c.images, i)
			t.paths[i] = append(t.paths[i], c)
			n = c
		}
	}
	return t
}

// chainID extends the chain parent ("" for none) by diffID.
func chainID(parent, diffID string) string {
	if parent == "" {
		return diffID
	}
	sum := sha256.Sum256([]byte(parent + " " + diffID))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// isBase: at least two images pass through n, some go on, and they do
// not all go on to the same next layer: n is the longest prefix they
// share. (Images that all end at n are one image under several names,
// not a base.)
func (n *node) isBase() bool {
	if n.depth == 0 || len(n.images) < 2 || len(n.children) == 0 {
		return false
	}
	for _, c := range n.children {
		if len(c.images) == len(n.images) {
			return false
		}
	}
	return true
}

// bases lists every base, most FleetSize first.
func (t *trie) bases() []Base {
	out := []Base{}
	var walk func(n *node)
	walk = func(n *node) {
		if n.isBase() {
			out = append(out, t.base(n))
		}
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(t.root)
	slices.SortFunc(out, func(a, b Base) int {
		return cmp.Or(cmp.Compare(b.FleetSize, a.FleetSize), cmp.Compare(b.Images, a.Images), strings.Compare(a.ChainID, b.ChainID))
	})
	return out
}

func (t *trie) base(n *node) Base {
	first := t.images[n.images[0]] // images are sorted: the first by reference
	b := Base{ChainID: n.chainID, Layers: n.depth, TopLayer: first.Layers[n.depth-1], Images: len(n.images), References: []string{}}
	for _, l := range first.Layers[:n.depth] {
		b.Size += l.Size
		b.CompressedSize += l.CompressedSize
	}
	b.FleetSize = b.Size * int64(b.Images)
	for p := n.parent; p != nil; p = p.parent {
		if p.isBase() {
			b.Parent = p.chainID
			break
		}
	}
	b.OS = first.OS
	for _, i := range n.images {
		b.References = append(b.References, t.images[i].Reference)
		if t.images[i].OS != b.OS {
			b.OS = ""
		}
	}
	return b
}

// imageBase is the chainID of the deepest base on image i's chain.
func (t *trie) imageBase(i int) string {
	path := t.paths[i]
	for d := len(path) - 1; d >= 0; d-- {
		if path[d].isBase() {
			return path[d].chainID
		}
	}
	return ""
}

// widestBaseHolding is the chainID of the shallowest base on image i's
// chain that holds its layer index layer; "" when none does.
func (t *trie) widestBaseHolding(i, layer int) string {
	if layer < 0 {
		return ""
	}
	for d := layer; d < len(t.paths[i]); d++ {
		if t.paths[i][d].isBase() {
			return t.paths[i][d].chainID
		}
	}
	return ""
}
