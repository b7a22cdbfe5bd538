package match

import (
	"encoding/binary"
	"testing"
)

// FuzzSearch builds MIH and Linear over codes cut from the fuzzed bytes and
// compares their answers for a fuzzed query, radius and substring count.
func FuzzSearch(f *testing.F) {
	f.Add([]byte("0123456789abcdef0123456789abcdefXYZ"), uint8(3), uint8(0), false)
	f.Add(make([]byte, 200), uint8(10), uint8(5), false)
	f.Add([]byte("\xff\x00\xff\x00\xff\x00\xff\x00 some longer input for 256-bit codes ......"), uint8(31), uint8(11), true)
	f.Fuzz(func(t *testing.T, data []byte, radius, m uint8, wide bool) {
		bits, mmin, mmax := 64, 3, 16
		if wide {
			bits, mmin, mmax = 256, 11, 64
		}
		w := bits / 64
		var codes []uint64
		for len(data) >= 8 {
			codes = append(codes, binary.LittleEndian.Uint64(data))
			data = data[8:]
		}
		n := len(codes) / w
		if n < 2 {
			return
		}
		ms := 0
		if m != 0 {
			ms = mmin + int(m)%(mmax-mmin+1)
		}
		p := newPair(t, bits, &Options{Substrings: ms, Pending: 2}, testCost)
		ids := make([]uint64, n-1)
		for i := range ids {
			ids[i] = uint64(i * 2)
		}
		p.build(ids, codes[w:n*w])
		p.add(1, codes[w:2*w]) // pending, shares a code
		p.remove(2)
		p.check(codes[:w], int(radius)%(bits/2), int(m)%5)
	})
}
