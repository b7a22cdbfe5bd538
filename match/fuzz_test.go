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

// FuzzUpdate drives MIH and Linear through the same Adds, Removes and
// Updates read from ops, over codes cut from data, and compares contents
// and answers after each Update. An op byte's low two bits say what it
// does (add, remove, batch removal, batch add) and its high six which id;
// 0xff applies the batch gathered so far.
func FuzzUpdate(f *testing.F) {
	f.Add([]byte("0123456789abcdef0123456789abcdefXYZ!"), []byte{0, 5, 9, 14, 3, 7, 0xff, 18, 2, 19}, uint8(1), false)
	f.Add(make([]byte, 160), []byte{3, 7, 11, 15, 19, 0xff, 1, 2, 6, 0xff}, uint8(0), true)
	f.Fuzz(func(t *testing.T, data, ops []byte, pending uint8, wide bool) {
		bits := 64
		if wide {
			bits = 256
		}
		w := bits / 64
		var codes []uint64
		for len(data) >= 8 {
			codes = append(codes, binary.LittleEndian.Uint64(data))
			data = data[8:]
		}
		n := len(codes) / w
		if n < 2 || len(ops) > 400 {
			return
		}
		p := newPair(t, bits, &Options{Pending: 1 + int(pending)%8}, testCost)
		ids := make([]uint64, n/2)
		for i := range ids {
			ids[i] = uint64(i * 3 % 64)
		}
		p.build(ids, codes[:len(ids)*w])
		var rm, bids, bcodes []uint64
		flush := func() {
			p.update(rm, bids, bcodes)
			rm, bids, bcodes = nil, nil, nil
			p.same(64)
			for i := range n {
				p.check(codes[i*w:(i+1)*w], bits/8, 2)
			}
		}
		for k, op := range append(ops, 0xff) {
			if op == 0xff {
				flush()
				continue
			}
			id := uint64(op >> 2)
			c := (int(id) + k) % n // ids change codes
			code := codes[c*w : (c+1)*w]
			switch op & 3 {
			case 0:
				p.add(id, code)
			case 1:
				p.remove(id)
			case 2:
				rm = append(rm, id)
			case 3:
				bids = append(bids, id)
				bcodes = append(bcodes, code...)
			}
		}
	})
}

// FuzzPacked writes values cut from the fuzzed bytes into a packed array
// of a fuzzed width through packWriter, and reads them back.
func FuzzPacked(f *testing.F) {
	f.Add([]byte("\xff\xff\xff\xff\x00\x01\x02\x03 packed slots"), uint8(20))
	f.Add(make([]byte, 40), uint8(32))
	f.Add([]byte{1, 2, 3}, uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, width uint8) {
		w := uint(width)%32 + 1
		var vals []uint32
		for len(data) >= 4 {
			vals = append(vals, binary.LittleEndian.Uint32(data)&(1<<w-1))
			data = data[4:]
		}
		p := makePacked(len(vals), w)
		pw := packWriter{p: &p}
		for _, v := range vals {
			pw.put(v)
		}
		if got, want := p.bytes(), packedBytes(len(vals), w); got != want {
			t.Fatalf("width %d: %d bytes, want %d", w, got, want)
		}
		for i, v := range vals {
			if got := p.get(uint32(i)); got != v {
				t.Fatalf("width %d, element %d of %d: %d, want %d", w, i, len(vals), got, v)
			}
		}
	})
}

// FuzzTableLayout builds a table over substrings read from the fuzzed
// bytes, each repeated a fuzzed number of times, so that buckets and blocks
// of every fullness arise, and checks every bucket against a direct
// grouping.
func FuzzTableLayout(f *testing.F) {
	f.Add([]byte{3, 0, 4, 1}, uint8(8), uint16(300))
	f.Add([]byte("\x00\x01\x02\xff\xfe"), uint8(12), uint16(7))
	f.Add([]byte{9}, uint8(3), uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, width uint8, repeat uint16) {
		w := uint(width)%16 + 1
		var codes []uint64
		for i := 0; i+1 < len(data) && len(codes) < 100_000; i += 2 {
			k := uint64(data[i]) | uint64(data[i+1])<<8
			for range 1 + int(repeat)*int(data[i]&1) {
				codes = append(codes, k&(1<<w-1)<<5|uint64(len(codes))<<32)
			}
		}
		tb := testTable(5, w, codes)
		checkTable(t, &tb, codes)
	})
}
