package match

import (
	"math"
	"math/bits"
)

// Sparse tables, with many more buckets than codes, store their bucket
// offsets by rank (dense ones use lines.go), in space that follows the
// number of codes rather than the 2^width buckets. Buckets are grouped in
// blocks of 64 to 512, one to eight words of the used bitset. Each block
// has one uint64 (blk): the position of its first entry and, above it, the
// rank of its first non-empty bucket among all non-empty buckets. Each
// non-empty bucket has one byte (off8): its start minus its block's. A
// bucket's rank is then its block's plus a popcount of the used words below
// it in the block, and it ends where the next non-empty bucket starts: in
// its block, unless its rank is the next block's less one. That is 1/8
// byte per bucket for the bitset, 1/8 to 1/64 for blk and one per non-empty
// bucket, against 2.1 for direct uint16 offsets. The sparser the table,
// the larger its blocks, keeping about 64 entries in each, so that their
// offsets stay under 256.
//
// A start 255 or more entries into its block (a block crowded by many ids
// sharing a code) is stored as escByte in off8 and exactly in esc, found by
// binary search: correct for any data, and only those buckets pay for it.

// escByte marks an off8 entry whose start is in esc.
const escByte = 255

// blockShift returns log₂ of the buckets per offsets block for a table of
// 2^width buckets over n entries: as large as keeps about 64 entries per
// block, between one and eight words of the used bitset: one cache line,
// which a probe has just read a word of.
func blockShift(width uint, n int) uint {
	s := uint(6)
	for s < 9 && s < width && float64(n)*math.Exp2(float64(s+1)-float64(width)) <= 64 {
		s++
	}
	return s
}

// bucket returns the range of entries whose substring is k: empty unless
// k is marked in the used bitset.
func (t *table) bucket(k uint32) (lo, hi uint32) {
	if t.lines != nil {
		return t.lineRange(k)
	}
	kw, bit := k>>6, k&63
	u := t.used[kw]
	if u&(1<<bit) == 0 {
		return 0, 0
	}
	b := k >> t.shift
	e := t.blk[b]
	base := uint32(e)
	j := uint32(e>>32) + uint32(bits.OnesCount64(u&(1<<bit-1)))
	first := b << (t.shift - 6) // the block's first used word
	for _, w := range t.used[first:kw] {
		j += uint32(bits.OnesCount64(w))
	}
	lo = t.start8(j, base)
	if next := t.blk[b+1]; j+1 == uint32(next>>32) {
		return lo, uint32(next) // the last non-empty bucket of its block
	}
	return lo, t.start8(j+1, base)
}

// ranges sets rs[i] to lo | hi<<32 for the range of the non-empty bucket
// keys[i], as bucket would, using ends as scratch. It reads the block
// entries of all the buckets first and their offsets after, rather than
// bucket by bucket: each offset's address depends on a block entry, and
// the loads of one pass, independent of each other, overlap their cache
// misses.
//
// Each pass starts with a loop that only loads the memory the next needs,
// in effect a prefetch: its body is so short that the CPU has the loads of
// dozens of buckets in flight at once, where the full computation of each
// bucket would fill its window with only a few. The sum of what they load
// is returned for the caller to keep, lest the compiler drop the loads.
func (t *table) ranges(keys []uint32, rs, ends []uint64) (sink uint64) {
	if t.lines != nil {
		for _, k := range keys {
			sink += uint64(t.lines[k/lineBuckets*lineSize])
		}
		for i, k := range keys {
			lo, hi := t.lineRange(k)
			rs[i] = uint64(lo) | uint64(hi)<<32
		}
		return sink
	}
	for _, k := range keys {
		sink += t.blk[k>>t.shift]
	}
	const inBlock = 1 << 63 // the end is the next offset in the block
	for i, k := range keys {
		kw, bit := k>>6, k&63
		u := t.used[kw]
		b := k >> t.shift
		e := t.blk[b]
		j := uint32(e>>32) + uint32(bits.OnesCount64(u&(1<<bit-1)))
		first := b << (t.shift - 6)
		for _, w := range t.used[first:kw] {
			j += uint32(bits.OnesCount64(w))
		}
		rs[i] = uint64(uint32(e)) | uint64(j)<<32
		ends[i] = inBlock
		if next := t.blk[b+1]; j+1 == uint32(next>>32) {
			ends[i] = next & (1<<32 - 1) // the last non-empty bucket of its block
		}
	}
	for _, r := range rs {
		sink += uint64(t.off8[r>>32])
	}
	for i, r := range rs {
		base, j := uint32(r), uint32(r>>32)
		lo, hi := t.start8(j, base), uint32(ends[i])
		if ends[i] == inBlock {
			hi = t.start8(j+1, base)
		}
		rs[i] = uint64(lo) | uint64(hi)<<32
	}
	return sink
}

// start8 returns the start of the non-empty bucket of rank j, in the
// block whose entries start at base.
func (t *table) start8(j, base uint32) uint32 {
	if o := t.off8[j]; o != escByte {
		return base + uint32(o)
	}
	return t.escaped(j)
}

// offBuilder fills a table's blk, off8, esc and used bitset from the entry
// counts of its buckets, given in bucket order.
type offBuilder struct {
	t    *table
	off8 []byte // scratch for t.off8: min(2^width, entries)+1 bytes
	k    int    // buckets seen
	pos  uint32 // entries seen
	nnz  uint32 // non-empty buckets seen
	base uint32 // start of the current block
}

// blocks returns the length of t.blk: one per block and one past the end.
func blocks(t *table) int { return (1<<t.width-1)>>t.shift + 2 }

// add takes the counts of the next len(cnt) buckets and turns each into
// the bucket's start. len(cnt) is a multiple of 512, or all the buckets.
// The loop is branch-free but for block starts and escapes: whether a
// bucket is empty is unpredictable.
func (ob *offBuilder) add(cnt []uint32) {
	t := ob.t
	mask := 1<<t.shift - 1
	off8 := ob.off8
	pos, nnz, base := ob.pos, ob.nnz, ob.base
	var word uint64 // used bits of the current word, stored every 64 buckets
	for i, c := range cnt {
		k := ob.k + i
		if k&mask == 0 {
			base = pos
			t.blk[k>>t.shift] = uint64(pos) | uint64(nnz)<<32
		}
		cnt[i] = pos
		nz := uint32(0)
		if c != 0 {
			nz = 1
		}
		word |= uint64(nz) << (k & 63)
		d := pos - base
		off8[nnz] = byte(min(d, escByte)) // overwritten unless non-empty
		if d >= escByte && nz != 0 {
			t.esc = append(t.esc, uint64(nnz)<<32|uint64(pos))
		}
		nnz += nz
		pos += c
		if k&63 == 63 || i == len(cnt)-1 {
			t.used[k>>6] |= word
			word = 0
		}
	}
	ob.pos, ob.nnz, ob.base = pos, nnz, base
	ob.k += len(cnt)
}

// finish closes the last block and keeps off8 at its exact size.
func (ob *offBuilder) finish() {
	t := ob.t
	t.blk[len(t.blk)-1] = uint64(ob.pos) | uint64(ob.nnz)<<32
	t.off8 = make([]byte, ob.nnz) // joined with the others' by joinOff8
	copy(t.off8, ob.off8)
}
