package fleet

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ParseShard reads "I/N", the I-th of N parts counted from 0 as a
// Kubernetes Indexed Job's JOB_COMPLETION_INDEX counts: 0/4 … 3/4.
func ParseShard(s string) (i, n int, err error) {
	is, ns, ok := strings.Cut(s, "/")
	if ok {
		i, err = strconv.Atoi(strings.TrimSpace(is))
		if err == nil {
			n, err = strconv.Atoi(strings.TrimSpace(ns))
		}
	}
	if !ok || err != nil {
		return 0, 0, fmt.Errorf("--shard %q: want I/N, e.g. 0/4 (I counts from 0)", s)
	}
	if n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("--shard %q: want 0 <= I < N (I counts from 0, as JOB_COMPLETION_INDEX does)", s)
	}
	return i, n, nil
}

// Shard returns the i-th (0-based) of n parts of refs. The parts depend
// on the set of references only, not on their order or repetitions: refs
// are sorted, duplicates dropped, and cut into n runs of consecutive
// references whose lengths differ by at most one (the first len%n parts
// take one more). Consecutive references are mostly tags of one
// repository, which mostly share a base: a shard then reads each base
// once, where round-robin or hashing would spread it over every shard.
func Shard(refs []string, i, n int) ([]string, error) {
	if n < 1 || i < 0 || i >= n {
		return nil, fmt.Errorf("shard %d/%d: want 0 <= I < N", i, n)
	}
	all := uniqueSorted(refs)
	lo, hi := shardBounds(len(all), i, n)
	return all[lo:hi], nil
}

// shardBounds is the range of part i of n over length items.
func shardBounds(length, i, n int) (lo, hi int) {
	size, extra := length/n, length%n
	lo = i*size + min(i, extra)
	hi = lo + size
	if i < extra {
		hi++
	}
	return lo, hi
}

func uniqueSorted(refs []string) []string {
	all := slices.Clone(refs)
	slices.Sort(all)
	return slices.Compact(all)
}

// shardInfo describes part i of n of the list refs.
func shardInfo(refs []string, i, n int) *ShardInfo {
	all := uniqueSorted(refs)
	h := sha256.New()
	for _, r := range all {
		h.Write([]byte(r))
		h.Write([]byte{'\n'})
	}
	return &ShardInfo{Index: i, Count: n, List: "sha256:" + hex.EncodeToString(h.Sum(nil)), References: len(all)}
}

// Decode reads a fleet report's JSON, checking that it is one of a
// version this build reads.
func Decode(b []byte) (Report, error) {
	var head struct {
		SchemaVersion *int   `json:"schemaVersion"`
		Kind          string `json:"kind"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return Report{}, fmt.Errorf("not a fleet report: %v", err)
	}
	if head.Kind != ReportKind {
		if head.SchemaVersion != nil && head.Kind == "" {
			return Report{}, fmt.Errorf("an image report, not a fleet report (write the shards with slimpy scan --format json)")
		}
		return Report{}, fmt.Errorf("not a fleet report (kind %q)", head.Kind)
	}
	if head.SchemaVersion == nil || *head.SchemaVersion != SchemaVersion {
		v := "none"
		if head.SchemaVersion != nil {
			v = strconv.Itoa(*head.SchemaVersion)
		}
		return Report{}, fmt.Errorf("fleet report schema version %s; this slimpy reads %d", v, SchemaVersion)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return Report{}, fmt.Errorf("not a fleet report: %v", err)
	}
	return r, nil
}

// Merge combines the JSON reports of all N shards of one run (in any
// order) into the report the unsharded run writes: the same bytes. It
// refuses shards of different runs (other lists, other N), a shard given
// twice or missing, and an image in two shards. An error names the
// shard by its position in the arguments, from 1.
func Merge(shards ...[]byte) (Report, error) {
	if len(shards) == 0 {
		return Report{}, fmt.Errorf("no shard reports to merge")
	}
	var (
		first  *ShardInfo
		seen   = map[int]int{} // shard index → argument
		images []Image
		failed []Failure
		refs   = map[string]int{}
	)
	for k, b := range shards {
		arg := k + 1
		r, err := Decode(b)
		if err != nil {
			return Report{}, fmt.Errorf("shard report %d: %w", arg, err)
		}
		s := r.Shard
		if s == nil {
			return Report{}, fmt.Errorf("shard report %d is a whole run's report, not a shard's (it has no \"shard\")", arg)
		}
		if first == nil {
			first = s
		}
		if s.Count != first.Count || s.List != first.List || s.References != first.References {
			return Report{}, fmt.Errorf("shard report %d (%d/%d) was cut from another image list than shard report 1 (%d/%d): merge the shards of one run", arg, s.Index, s.Count, first.Index, first.Count)
		}
		if s.Index < 0 || s.Index >= s.Count {
			return Report{}, fmt.Errorf("shard report %d: shard %d/%d is out of range", arg, s.Index, s.Count)
		}
		if prev, dup := seen[s.Index]; dup {
			return Report{}, fmt.Errorf("shard %d/%d is given twice (reports %d and %d)", s.Index, s.Count, prev, arg)
		}
		seen[s.Index] = arg
		add := func(ref string) error {
			if prev, dup := refs[ref]; dup {
				return fmt.Errorf("image %q is in shard reports %d and %d", ref, prev, arg)
			}
			refs[ref] = arg
			return nil
		}
		for _, im := range r.Images {
			if err := add(im.Reference); err != nil {
				return Report{}, err
			}
			images = append(images, im)
		}
		for _, f := range r.Failed {
			if err := add(f.Reference); err != nil {
				return Report{}, err
			}
			failed = append(failed, f)
		}
	}
	var missing []string
	for i := 0; i < first.Count; i++ {
		if _, ok := seen[i]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", i, first.Count))
		}
	}
	if len(missing) > 0 {
		return Report{}, fmt.Errorf("shard %s missing: a merge needs all %d shards of the run", strings.Join(missing, ", "), first.Count)
	}
	if len(refs) != first.References {
		return Report{}, fmt.Errorf("the shards hold %d images, their list had %d", len(refs), first.References)
	}
	return Build(images, failed), nil
}
