package verify

import (
	"slices"

	"github.com/slimpy/slimpy/internal/suggest"
)

// SuggestionPlan is the Plan of accepted suggestions (IDs or names) on the
// Dockerfile src: each subset is composed by suggest.Apply as slimpy fix
// applies it, and the priority is the order they apply in (base moves and
// the multistage split first), so that a conflict keeps the earlier one.
// slimpy fix --verify and the interactive view use it the same way:
//
//	before := v.Run(ctx, verify.Candidate{Name: "original", Dockerfile: src})
//	plan, err := verify.SuggestionPlan(src, accepted, opts)
//	rep := v.Keep(ctx, before, plan)
//	if rep.OK() { res, err := suggest.Apply(src, rep.Kept, opts); ... write res }
func SuggestionPlan(src []byte, accepted []string, opts suggest.Options) (Plan, error) {
	order := map[string]int{}
	for i, k := range suggest.Kinds() {
		order[k.ID] = i
	}
	var ids []string
	for _, a := range accepted {
		id, ok := suggest.KnownID(a)
		if !ok {
			_, err := suggest.Apply(src, []string{a}, opts) // says which, as fix does
			return Plan{}, err
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	slices.SortStableFunc(ids, func(a, b string) int { return order[a] - order[b] })
	return Plan{IDs: ids, Compose: func(ids []string) (Candidate, error) {
		r, err := suggest.Apply(src, ids, opts)
		if err != nil {
			return Candidate{}, err
		}
		return Candidate{Dockerfile: []byte(r.Dockerfile), Files: r.Files}, nil
	}}, nil
}
