package match

import (
	"encoding/binary"
	"slices"
)

// Dense tables, with about as many codes as buckets or more, store their
// offsets in cache lines instead (see offsets.go for sparse ones): each
// 64-byte line holds the uint32 start of its first bucket, one byte per
// bucket for the start of each of its 59 buckets relative to that, and one
// for the end of its last. A bucket's range is then read from one cache
// line, addressed by the bucket alone, where the rank layout reads a block
// entry and then, at an address that depends on it, an offset: two misses
// in turn, which at 10M codes made searches 1.5 times slower. It costs
// 64/59 bytes per bucket, against 0.25 plus one per non-empty bucket.
//
// A relative start or end of escByte or more (a line crowded by many ids
// sharing a code) is stored as escByte and exactly in esc, keyed by the
// bucket, as in the rank layout; an escaped end of a line is the next
// line's start.

const (
	lineSize    = 64
	lineBuckets = lineSize - 5 // after the uint32 start and before the end byte
)

// dense reports whether a table of 2^width buckets over n entries uses the
// line layout: when it is smaller than the rank layout, which costs about
// a quarter of a byte per bucket and a byte per non-empty one.
func dense(width uint, n int) bool { return 1<<width <= 2*n }

// lineCount returns the lines of a dense table: one per 59 buckets and
// one more whose start is the end of the last bucket.
func lineCount(width uint) int { return (1<<width+lineBuckets-1)/lineBuckets + 1 }

// lineRange returns the range of entries of bucket k of a dense table.
func (t *table) lineRange(k uint32) (lo, hi uint32) {
	l, i := k/lineBuckets, k%lineBuckets
	line := t.lines[l*lineSize : l*lineSize+lineSize : l*lineSize+lineSize]
	base := binary.LittleEndian.Uint32(line)
	lo, hi = base+uint32(line[4+i]), base+uint32(line[5+i])
	if line[4+i] == escByte {
		lo = t.escaped(k)
	}
	if line[5+i] == escByte {
		if i == lineBuckets-1 {
			hi = binary.LittleEndian.Uint32(t.lines[(l+1)*lineSize:])
		} else {
			hi = t.escaped(k + 1)
		}
	}
	return lo, hi
}

// escaped returns the start stored in esc under key.
func (t *table) escaped(key uint32) uint32 {
	i, _ := slices.BinarySearchFunc(t.esc, key, func(e uint64, key uint32) int {
		return int(e>>32) - int(key)
	})
	return uint32(t.esc[i])
}

// lineBuilder fills a dense table's lines, esc and used bitset from the
// entry counts of its buckets, given in bucket order.
type lineBuilder struct {
	t    *table
	k    int    // buckets seen
	i    int    // k % lineBuckets
	line []byte // the current line
	pos  uint32 // entries seen
	base uint32 // start of the current line
}

// add takes the counts of the next len(cnt) buckets and turns each into
// the bucket's start. len(cnt) is a multiple of 64, or all the buckets.
func (lb *lineBuilder) add(cnt []uint32) {
	t := lb.t
	var word uint64
	for n, c := range cnt {
		if lb.i == 0 {
			lb.line = t.lines[lb.k/lineBuckets*lineSize:][:lineSize]
			lb.base = lb.pos
			binary.LittleEndian.PutUint32(lb.line, lb.pos)
		}
		lb.put(4+lb.i, uint32(lb.k))
		cnt[n] = lb.pos
		nz := uint64(0)
		if c != 0 {
			nz = 1
		}
		word |= nz << (lb.k & 63)
		lb.pos += c
		if lb.k&63 == 63 || n == len(cnt)-1 {
			t.used[lb.k>>6] |= word
			word = 0
		}
		lb.k++
		if lb.i++; lb.i == lineBuckets {
			lb.put(lineSize-1, 0) // an escaped end is the next line's start
			lb.i = 0
		}
	}
}

// put stores the current position, relative to the line's start, at byte
// b of the line, escaping it under key when it does not fit.
func (lb *lineBuilder) put(b int, key uint32) {
	d := lb.pos - lb.base
	lb.line[b] = byte(min(d, escByte))
	if d >= escByte && b != lineSize-1 {
		lb.t.esc = append(lb.t.esc, uint64(key)<<32|uint64(lb.pos))
	}
}

// finish fills the relative starts of the buckets past the last, up to the
// end of its line, and the final line's start.
func (lb *lineBuilder) finish() {
	for lb.i != 0 {
		lb.put(4+lb.i, uint32(lb.k))
		lb.k++
		if lb.i++; lb.i == lineBuckets {
			lb.put(lineSize-1, 0)
			lb.i = 0
		}
	}
	binary.LittleEndian.PutUint32(lb.t.lines[len(lb.t.lines)-lineSize:], lb.pos)
}
