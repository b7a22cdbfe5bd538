package match

import "slices"

// sortByID returns copies of ids and codes (w words per id) reordered by
// ascending id. It is an LSD radix sort on 16-bit digits that skips digits
// all ids share, so ids below 2³² take two passes; sorted input is copied.
func sortByID(ids, codes []uint64, w int) ([]uint64, []uint64) {
	n := len(ids)
	if slices.IsSorted(ids) {
		out := makeHuge[uint64](len(codes))
		copy(out, codes)
		return slices.Clone(ids), out
	}
	perm := make([]uint32, n)
	for i := range perm {
		perm[i] = uint32(i)
	}
	keys := slices.Clone(ids)
	tperm := make([]uint32, n)
	tkeys := make([]uint64, n)
	var orAll, andAll uint64 = 0, ^uint64(0)
	for _, id := range ids {
		orAll |= id
		andAll &= id
	}
	var count [1 << 16]int
	for shift := uint(0); shift < 64; shift += 16 {
		if (orAll^andAll)>>shift&0xffff == 0 {
			continue // every id has the same digit here
		}
		clear(count[:])
		for _, k := range keys {
			count[k>>shift&0xffff]++
		}
		sum := 0
		for d, c := range count {
			count[d] = sum
			sum += c
		}
		for i, k := range keys {
			d := k >> shift & 0xffff
			tkeys[count[d]] = k
			tperm[count[d]] = perm[i]
			count[d]++
		}
		keys, tkeys = tkeys, keys
		perm, tperm = tperm, perm
	}
	out := makeHuge[uint64](n * w)
	for i, p := range perm {
		copy(out[i*w:(i+1)*w], codes[int(p)*w:int(p+1)*w])
	}
	return keys, out
}
