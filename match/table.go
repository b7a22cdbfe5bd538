package match

import "math/bits"

// maxWidth bounds a substring so that a table's bitset and blocks stay
// affordable whatever the data: 2²⁴ buckets take 4 MiB.
const maxWidth = 24

// table is one substring's hash table in CSR form: the entries whose
// substring equals k are slots[start(k):start(k+1)], in slot order. The
// bucket starts are compact (lines.go for dense tables, offsets.go for
// sparse ones) and the slots bit-packed, so a table costs about
// ⌈log₂N⌉/8 + 1.2 bytes per code when 2^width ≈ N.
type table struct {
	start, width uint     // bit range of the substring in the code
	shift        uint     // log₂ of the buckets per offsets block
	used         []uint64 // bitset of non-empty buckets, read before the offsets
	blk          []uint64 // per block of buckets: first entry | rank of first non-empty bucket<<32
	off8         []byte   // per non-empty bucket: its start within its block, or escByte
	esc          []uint64 // rank (bucket, if dense)<<32 | start of the escaped starts
	lines        []byte   // dense tables: offsets in cache lines, instead of blk and off8
	slots        packed   // entry slots grouped by bucket
	codes        []uint64 // 64-bit codes, if copied: codes[p] is the code of slot p, read contiguously
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

// slot returns the slot of entry p.
func (t *table) slot(p uint32) uint32 { return t.slots.get(p) }

// buildBuf is one build goroutine's scratch, reused for every table it
// builds so that a Build makes no garbage in proportion to N per table.
type buildBuf struct {
	keys  []uint32 // each code's substring
	pairs []uint64 // substring<<32 | slot, grouped by high digit
	off8  []byte
	hist  []uint32
	cur   []uint32
	cnt   []uint32
	part  []uint32 // one partition's slots in bucket order
}

// grow returns s resized to n, reusing its array when large enough. The
// arrays are advised to use huge pages: the scatter into pairs writes to
// thousands of places at once, each on its own 4 KiB page.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return makeHuge[T](n)
	}
	return s[:n]
}

// lowDigit is the most bits of a substring counted at once: 16384
// counters stay in the L2 cache, and the scatter by the high bits goes to
// at most 1024 partitions at 24 bits (fewer streams than 4096 measured a
// little faster).
const lowDigit = 14

// build fills t with the n codes (w words each). t.shift must be set and
// t.used, t.blk or t.lines, t.slots and, to keep copies of 64-bit codes,
// t.codes allocated, zeroed, to their sizes for n codes.
//
// It is a two-pass counting sort: a stable scatter of (substring, slot)
// pairs by the substring's high bits, whose destinations stay in cache,
// then, partition by partition, a count of the low bits that gives the
// bucket offsets directly and a scatter of the slots into their buckets.
// Both are stable, so each bucket lists its slots in ascending order.
func (t *table) build(codes []uint64, w, n int, buf *buildBuf) {
	lowBits := min(t.width, lowDigit)
	parts := 1 << (t.width - lowBits)
	hist := grow(buf.hist, parts+1)
	clear(hist)
	// The substrings of wide codes are read from the codes once, into keys:
	// the second pass then reads 4 bytes per code rather than 32. 64-bit
	// codes are read again, which takes less memory and little longer.
	var keys []uint32
	if w > 1 {
		keys = grow(buf.keys, n)
		buf.keys = keys
	}
	for i := range n {
		k := sub(codes[i*w:], t.start, t.width)
		if keys != nil {
			keys[i] = k
		}
		hist[k>>lowBits+1]++
	}
	for p := range parts {
		hist[p+1] += hist[p]
	}
	cur := grow(buf.cur, parts)
	copy(cur, hist)
	pairs := grow(buf.pairs, n)
	for i := range n {
		var k uint32
		if keys != nil {
			k = keys[i]
		} else {
			k = sub(codes[i:], t.start, t.width)
		}
		p := k >> lowBits
		pairs[cur[p]] = uint64(k)<<32 | uint64(i)
		cur[p]++
	}
	var ob interface {
		add(cnt []uint32)
		finish()
	}
	t.esc = nil
	if t.lines != nil {
		ob = &lineBuilder{t: t}
	} else {
		buf.off8 = grow(buf.off8, min(n, 1<<t.width)+1)
		ob = &offBuilder{t: t, off8: buf.off8}
	}
	cnt := grow(buf.cnt, 1<<lowBits)
	lowMask := uint32(1)<<lowBits - 1
	pw := packWriter{p: &t.slots}
	for p := range parts {
		part := pairs[hist[p]:hist[p+1]]
		clear(cnt)
		for _, v := range part {
			cnt[uint32(v>>32)&lowMask]++
		}
		ob.add(cnt)
		// Scatter within the partition, in cache, then pack in order.
		lo := hist[p]
		buf.part = grow(buf.part, len(part))
		for _, v := range part {
			l := uint32(v>>32) & lowMask
			buf.part[cnt[l]-lo] = uint32(v)
			cnt[l]++
		}
		for _, s := range buf.part {
			pw.put(s)
		}
		if t.codes != nil {
			out := t.codes[lo:hist[p+1]]
			for i, s := range buf.part {
				out[i] = codes[s]
			}
		}
	}
	ob.finish()
	buf.pairs, buf.hist, buf.cur, buf.cnt = pairs, hist, cur, cnt
}

// bytes returns the memory held by t.
func (t *table) bytes() int {
	return 8*len(t.used) + 8*len(t.blk) + len(t.off8) + 8*len(t.esc) + len(t.lines) + t.slots.bytes() + 8*len(t.codes)
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
