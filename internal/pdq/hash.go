package pdq

import (
	"encoding/binary"
	"encoding/hex"
	"math/bits"
)

// Hash is a 256-bit PDQ hash. Its bytes are in the order of the reference's
// hexadecimal form, so hex.EncodeToString(h[:]) is what the reference prints.
//
// Coefficient k = 16i+j of the 16×16 DCT block (row i, column j) is bit k&7
// of byte 31-k/8.
type Hash [32]byte

// String returns the hash as 64 lowercase hexadecimal digits.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Distance returns the Hamming distance between h and o: the number of bits
// in which they differ, from 0 to 256.
func (h Hash) Distance(o Hash) int {
	n := 0
	for i := 0; i < len(h); i += 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(h[i:]) ^ binary.LittleEndian.Uint64(o[i:]))
	}
	return n
}

// setBit sets coefficient k's bit; see the layout described on Hash.
func (h *Hash) setBit(k int) { h[31-k>>3] |= 1 << (k & 7) }
