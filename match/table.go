package match

import "math/bits"

// maxWidth bounds a substring so that a table's direct-addressed bucket
// offsets stay affordable: 2²⁴ buckets take 32 MiB at two bytes each.
const maxWidth = 24

// blockBits is log2 of the buckets per block in the two-level offsets.
const blockBits = 8

// table is one substring's hash table in CSR form: the entries whose
// substring equals k are slots[start(k):start(k+1)], in slot order. Bucket
// starts are direct-addressed by k and stored in two levels — a uint32 base
// per block of 256 buckets plus a uint16 offset per bucket — which halves
// the memory of plain uint32 offsets; a table whose block holds 65536 or more
// entries (many ids sharing a code) keeps plain uint32 offsets instead.
type table struct {
	start, width uint     // bit range of the substring in the code
	base         []uint32 // start of each block
	off16        []uint16 // bucket start relative to its block's base; 2^width+1 entries
	off32        []uint32 // absolute bucket starts, when a block is too full for off16
	used         []uint64 // bitset of non-empty buckets (2 MiB at 24 bits), read before the offsets
	slots        []uint32 // entry slots grouped by bucket
	codes        []uint64 // 64-bit codes only: codes[p] is the code of slots[p], read contiguously
}

// sub extracts the width-bit substring that starts at bit start of code.
func sub(code []uint64, start, width uint) uint32 {
	i, o := start>>6, start&63
	v := code[i] >> o
	if o+width > 64 {
		v |= code[i+1] << (64 - o)
	}
	return uint32(v & (1<<width - 1))
}

// bucket returns the range of slots whose substring is k.
func (t *table) bucket(k uint32) (lo, hi uint32) {
	if t.off32 != nil {
		return t.off32[k], t.off32[k+1]
	}
	return t.base[k>>blockBits] + uint32(t.off16[k]), t.base[(k+1)>>blockBits] + uint32(t.off16[k+1])
}

// build fills t with the n codes (w words each); t.used must be a zeroed
// bitset of 2^width bits. It sorts (substring, slot)
// pairs with an LSD radix sort of 12-bit digits, whose 4096-way scatters
// stay in cache, rather than counting into 2^width buckets at random; the
// sort is stable, so each bucket lists its slots in ascending order.
func (t *table) build(codes []uint64, w, n int) {
	const digit = 12
	pairs := make([]uint64, n) // substring<<32 | slot
	for i := range pairs {
		pairs[i] = uint64(sub(codes[i*w:], t.start, t.width))<<32 | uint64(i)
	}
	tmp := make([]uint64, n)
	var count [1 << digit]int
	for shift := uint(32); shift < 32+t.width; shift += digit {
		clear(count[:])
		for _, v := range pairs {
			count[v>>shift&(1<<digit-1)]++
		}
		sum := 0
		for d, c := range count {
			count[d] = sum
			sum += c
		}
		for _, v := range pairs {
			d := v >> shift & (1<<digit - 1)
			tmp[count[d]] = v
			count[d]++
		}
		pairs, tmp = tmp, pairs
	}
	tmp = nil
	nb := 1 << t.width
	off := makeHuge[uint32](nb + 1)
	t.slots = makeHuge[uint32](n)
	k := 0
	for p, v := range pairs {
		key := int(v >> 32)
		for ; k <= key; k++ {
			off[k] = uint32(p)
		}
		t.slots[p] = uint32(v)
		t.used[key>>6] |= 1 << (key & 63)
	}
	for ; k <= nb; k++ {
		off[k] = uint32(n)
	}
	if w == 1 {
		t.codes = makeHuge[uint64](n)
		for p, s := range t.slots {
			t.codes[p] = codes[s]
		}
	}
	t.compress(off)
}

// compress stores the absolute offsets off in two levels when every block
// fits in uint16, and keeps off as is otherwise.
func (t *table) compress(off []uint32) {
	nb := len(off) - 1
	nblk := nb>>blockBits + 1
	for b := range nblk - 1 {
		if off[(b+1)<<blockBits]-off[b<<blockBits] > 1<<16-1 {
			t.off32 = off
			return
		}
	}
	t.base = make([]uint32, nblk)
	for b := range t.base {
		t.base[b] = off[min(b<<blockBits, nb)]
	}
	t.off16 = makeHuge[uint16](nb + 1)
	for k, o := range off {
		t.off16[k] = uint16(o - t.base[k>>blockBits])
	}
}

// bytes returns the memory held by t.
func (t *table) bytes() int {
	return 8*len(t.used) + 4*len(t.base) + 2*len(t.off16) + 4*len(t.off32) + 4*len(t.slots) + 8*len(t.codes)
}

// appendShell appends to dst every width-bit value at Hamming distance
// exactly s from v, enumerating the masks of s set bits in increasing order.
func appendShell(dst []uint32, v uint32, width uint, s int) []uint32 {
	if s == 0 {
		return append(dst, v)
	}
	if s > int(width) {
		return dst
	}
	limit := uint64(1) << width
	for x := uint32(1)<<s - 1; uint64(x) < limit; {
		dst = append(dst, v^x)
		// next larger value with the same number of set bits
		t := x | (x - 1)
		x = (t + 1) | ((^t&-^t)-1)>>(bits.TrailingZeros32(x)+1)
	}
	return dst
}

// binomial returns C(n, k) as a float64 (an estimate of probe counts).
func binomial(n, k int) float64 {
	if k < 0 || k > n {
		return 0
	}
	c := 1.0
	for i := range k {
		c = c * float64(n-i) / float64(i+1)
	}
	return c
}

// rings[v][s] is the set of 6-bit values at Hamming distance s from v, as a
// bitset: the buckets of one 64-bit word of a used bitset that lie on ring s
// around a query whose low six bits are v.
var rings = func() (r [64][7]uint64) {
	for v := range 64 {
		for p := range 64 {
			r[v][bits.OnesCount(uint(v^p))] |= 1 << p
		}
	}
	return r
}()

// appendUsed appends to dst the non-empty buckets of t whose value differs
// from v in lo to hi bits. It enumerates only the high width-6 bits and
// takes the low six from one word of the used bitset, masked by the rings
// still within budget, so it reads one word per 64 buckets rather than one
// per bucket and never lists an empty bucket. hs is scratch space.
func (t *table) appendUsed(dst, hs []uint32, v uint32, lo, hi int) ([]uint32, []uint32) {
	lowBits := min(6, t.width)
	highBits := t.width - lowBits
	vh, vl := v>>lowBits, v&(1<<lowBits-1)
	valid := uint64(1)<<(1<<lowBits) - 1 // low values that exist
	if lowBits == 6 {
		valid = ^uint64(0)
	}
	for sh := 0; sh <= min(hi, int(highBits)); sh++ {
		var mask uint64
		for sl := max(lo-sh, 0); sl <= min(hi-sh, int(lowBits)); sl++ {
			mask |= rings[vl][sl]
		}
		if mask &= valid; mask == 0 {
			continue
		}
		hs = appendShell(hs[:0], vh, highBits, sh)
		for _, h := range hs {
			for w := t.used[h] & mask; w != 0; w &= w - 1 {
				dst = append(dst, h<<lowBits|uint32(bits.TrailingZeros64(w)))
			}
		}
	}
	return dst, hs
}
