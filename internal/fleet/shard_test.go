package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect"
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

// shardJSON runs shard i of n over refs with tiny reports, as JSON.
func shardJSON(t *testing.T, refs []string, i, n int) []byte {
	t.Helper()
	analyze := func(ctx context.Context, ref string) (*inspect.Report, error) {
		return tinyReport("sha256:" + ref), nil
	}
	r, err := Run(context.Background(), refs, analyze, RunOptions{ShardIndex: i, ShardCount: n})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, &r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestMergeRefusesWhatIsNotOneRunsShards(t *testing.T) {
	refs := []string{"r/a", "r/b", "r/c", "r/d", "r/e"}
	s0, s1, s2 := shardJSON(t, refs, 0, 3), shardJSON(t, refs, 1, 3), shardJSON(t, refs, 2, 3)
	if _, err := Merge(s2, s0, s1); err != nil {
		t.Fatalf("a whole set: %v", err)
	}
	other := shardJSON(t, append(refs, "r/f"), 1, 3)
	whole := bytes.Replace(s0, []byte(`"shard"`), []byte(`"notShard"`), 1)
	image, _ := json.Marshal(tinyReport("sha256:x"))
	newer := bytes.Replace(s0, []byte(`"schemaVersion": 1`), []byte(`"schemaVersion": 2`), 1)
	for what, c := range map[string]struct {
		shards [][]byte
		want   string
	}{
		"missing":         {[][]byte{s0, s2}, "shard 1/3 missing"},
		"twice":           {[][]byte{s0, s1, s1, s2}, "given twice"},
		"another list":    {[][]byte{s0, other, s2}, "another image list"},
		"a whole report":  {[][]byte{whole, s1, s2}, "not a shard's"},
		"an image report": {[][]byte{image}, "an image report"},
		"a newer schema":  {[][]byte{newer, s1, s2}, "schema version 2"},
		"not JSON":        {[][]byte{[]byte("PK\x03\x04")}, "not a fleet report"},
		"nothing":         {nil, "no shard reports"},
	} {
		if _, err := Merge(c.shards...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", what, err, c.want)
		}
	}
}
