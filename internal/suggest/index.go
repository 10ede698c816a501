package suggest

import (
	"sort"
	"strings"
)

// stageIndex answers the questions the kinds ask about a stage ("the COPY
// whose destination is this path", "a RUN between these two that names
// this path") by lookup, not by scanning the stage again for every
// instruction: the engine stays linear in the file's length.
type stageIndex struct {
	copies  map[string][]*Instruction // COPY/ADD by resolved destination, in order
	named   map[string][]int          // idx of the instructions naming a path (resolved), by it and its ancestors
	workdir map[string][]int          // idx of RUNs that do more than install, by working directory and its ancestors
	users   []int                     // idx of the USER instructions
	noRecs  bool                      // a RUN of the stage's chain turns apt recommendations off
}

// index is the stage's index (built on first use).
func (s *Stage) index() *stageIndex {
	if s.idxCache != nil {
		return s.idxCache
	}
	x := &stageIndex{copies: map[string][]*Instruction{}, named: map[string][]int{}, workdir: map[string][]int{}}
	add := func(m map[string][]int, p string, i int) {
		for {
			if l := m[p]; len(l) == 0 || l[len(l)-1] != i {
				m[p] = append(m[p], i)
			}
			if p == "/" || p == "." || p == "" {
				return
			}
			p = parentDir(p)
		}
	}
	for _, in := range s.Instrs {
		switch in.Keyword {
		case "COPY", "ADD":
			if _, dest := in.copySources(); dest != "" {
				abs := resolvePath(in.wd, dest)
				x.copies[abs] = append(x.copies[abs], in)
			}
		case "USER":
			x.users = append(x.users, in.idx)
		case "RUN":
			if !onlyInstalls(in) {
				add(x.workdir, in.wd, in.idx)
			}
		}
		// every word that may be a path, resolved as the instruction would
		for _, tok := range strings.FieldsFunc(in.Original, pathSep) {
			if !strings.HasPrefix(tok, "-") && !strings.ContainsAny(tok, "$*?") {
				add(x.named, resolvePath(in.wd, tok), in.idx)
			}
		}
	}
	for _, st := range s.chain() {
		for _, in := range st.Instrs {
			if in.Keyword == "RUN" && strings.Contains(in.Original, "Install-Recommends") && !strings.Contains(in.Original, "apt-get install -o") {
				x.noRecs = true
			}
		}
	}
	s.idxCache = x
	return x
}

// pathSep splits an instruction's text into the words that may be paths.
func pathSep(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\\', '=', ':', ',', '\'', '"', ';', '&', '|', '(', ')', '[', ']', '<', '>':
		return true
	}
	return false
}

// naming are the instructions after in that name p (or a path below it).
func (x *stageIndex) naming(st *Stage, p string, in *Instruction) []*Instruction {
	var out []*Instruction
	for _, i := range x.named[p] {
		if i > in.idx {
			out = append(out, st.Instrs[i])
		}
	}
	return out
}

func parentDir(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// between: one of the sorted indexes lies strictly between lo and hi.
func between(idxs []int, lo, hi int) bool {
	k := sort.SearchInts(idxs, lo+1)
	return k < len(idxs) && idxs[k] < hi
}

// lastCopyTo is the last COPY or ADD before in whose destination is abs.
func (x *stageIndex) lastCopyTo(abs string, in *Instruction) *Instruction {
	var out *Instruction
	for _, cp := range x.copies[abs] {
		if cp.idx >= in.idx {
			break
		}
		out = cp
	}
	return out
}

// copiedUnder: a COPY or ADD before in put p there (its destination is p
// or above it, not /).
func (x *stageIndex) copiedUnder(p string, in *Instruction) bool {
	for q := p; ; q = parentDir(q) {
		if l := x.copies[q]; q != "/" && len(l) > 0 && l[0].idx < in.idx {
			return true
		}
		if q == "/" {
			return false
		}
	}
}
