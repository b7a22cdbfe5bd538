package match

import (
	"encoding/binary"
	"math/bits"
)

// packed is an array of unsigned integers of a fixed bit width, stored
// back to back: a table's slot numbers need only ⌈log₂N⌉ bits each (20 at
// 1M codes, 24 at 10M) rather than 32, and slots are most of a table.
// Any element is read with one unaligned 64-bit load, a shift and a mask,
// which the 8 bytes of padding keep in bounds.
type packed struct {
	b     []byte
	width uint   // bits per element, 1 to 32
	mask  uint64 // 1<<width - 1
}

// packWidth returns the bits needed for the slot numbers 0 … n-1.
func packWidth(n int) uint {
	return uint(max(1, bits.Len(uint(max(n, 1)-1))))
}

// packedBytes returns the bytes that n elements of the given width take.
func packedBytes(n int, width uint) int { return (n*int(width)+7)/8 + 8 }

// makePacked returns n zero elements of the given width.
func makePacked(n int, width uint) packed {
	return packed{b: makeHuge[byte](packedBytes(n, width)), width: width, mask: 1<<width - 1}
}

// get returns element i.
func (p *packed) get(i uint32) uint32 {
	bit := uint64(i) * uint64(p.width)
	return uint32(binary.LittleEndian.Uint64(p.b[bit>>3:]) >> (bit & 7) & p.mask)
}

// packWriter writes a packed array's elements in order, without a
// branch: each put stores the whole accumulator at the current byte and
// keeps only the bits of the last, partial byte. Bytes beyond it are
// overwritten by later puts.
type packWriter struct {
	p   *packed
	acc uint64 // bits not yet final, fewer than 8 before a put
	n   uint   // number of them
	pos int    // byte where they go
}

// put appends v (less than 1<<width).
func (w *packWriter) put(v uint32) {
	w.acc |= uint64(v) << w.n
	w.n += w.p.width
	binary.LittleEndian.PutUint64(w.p.b[w.pos:], w.acc)
	done := w.n >> 3
	w.pos += int(done)
	w.acc >>= done * 8
	w.n &= 7
}

// bytes returns the memory held by p.
func (p *packed) bytes() int { return len(p.b) }
