package suggest

import (
	"fmt"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/textsafe"
)

// Match says whether a Dockerfile built an image: whether every RUN, COPY
// and ADD of its final stage (and of the stages that stage is built FROM)
// is found in the image's history, in order, by the mapping that measures
// savings (NewImage). A Dockerfile that does not match must not measure
// anything: its lines would be paired with another build's layers.
type Match struct {
	Instructions int // the RUN, COPY and ADD instructions compared
	Matched      int // those found in the history
	// Missing is the last instruction not found (the comparison runs
	// backwards from the last layer); nil when every one was.
	Missing *Instruction
}

// MatchImage compares d's instructions with a's history.
func MatchImage(a *inspect.Analysis, d *Dockerfile) Match {
	img := NewImage(a, nil, d)
	var m Match
	for _, st := range d.Final().chain() {
		for i := len(st.Instrs) - 1; i >= 0; i-- {
			in := st.Instrs[i]
			if !in.makesLayer() {
				continue
			}
			m.Instructions++
			if _, ok := img.LayerOf[in.StartLine]; ok {
				m.Matched++
			} else if m.Missing == nil {
				m.Missing = in
			}
		}
	}
	return m
}

// OK: every instruction that makes a layer was found.
func (m Match) OK() bool { return m.Missing == nil }

// Reason says in a sentence why the Dockerfile does not match (its text
// made safe to show); "" when it does.
func (m Match) Reason() string {
	if m.Missing == nil {
		return ""
	}
	return fmt.Sprintf("line %d (%s) is not in the image's history; %d of its %d RUN, COPY and ADD instructions are",
		m.Missing.StartLine, textsafe.Clip(m.Missing.Original, 60), m.Matched, m.Instructions)
}
