package fleet

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestParseShard(t *testing.T) {
	for s, want := range map[string][2]int{"0/1": {0, 1}, "0/4": {0, 4}, "3/4": {3, 4}, " 2 / 10 ": {2, 10}} {
		i, n, err := ParseShard(s)
		if err != nil || i != want[0] || n != want[1] {
			t.Errorf("ParseShard(%q) = %d, %d, %v", s, i, n, err)
		}
	}
	for _, s := range []string{"", "1", "4/4", "-1/4", "1/0", "a/4", "1/b", "1/4/2", "1.5/4"} {
		if _, _, err := ParseShard(s); err == nil {
			t.Errorf("ParseShard(%q) accepted", s)
		}
	}
}

func TestShardsPartitionTheSetWhateverItsOrder(t *testing.T) {
	var refs []string
	for i := 0; i < 53; i++ {
		refs = append(refs, fmt.Sprintf("registry.example/team-%d/app:%d", i%5, i))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 7, 53, 60} {
		var parts [][]string
		for i := 0; i < n; i++ {
			part, err := Shard(refs, i, n)
			if err != nil {
				t.Fatal(err)
			}
			// Another order, with duplicates: the same part.
			shuffled := append(slices.Clone(refs), refs[:10]...)
			rng.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
			again, _ := Shard(shuffled, i, n)
			if !slices.Equal(part, again) {
				t.Fatalf("%d/%d depends on the input order", i, n)
			}
			parts = append(parts, part)
		}
		var all []string
		minLen, maxLen := len(refs), 0
		for _, p := range parts {
			all = append(all, p...)
			minLen, maxLen = min(minLen, len(p)), max(maxLen, len(p))
		}
		want := slices.Sorted(slices.Values(refs))
		if !slices.Equal(all, want) {
			t.Fatalf("n=%d: the parts in order are not the sorted list", n)
		}
		if maxLen-minLen > 1 {
			t.Errorf("n=%d: parts of %d to %d references", n, minLen, maxLen)
		}
	}
	if _, err := Shard(refs, 4, 4); err == nil {
		t.Error("Shard 4/4 accepted")
	}
}
