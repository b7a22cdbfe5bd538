package match

import (
	"fmt"
	"slices"
	"testing"
)

// checkTable verifies every bucket of t, built over the 64-bit codes,
// against a direct grouping: its range holds exactly the slots whose
// substring is its value, in ascending order, and the code copies match.
func checkTable(t *testing.T, tb *table, codes []uint64) {
	t.Helper()
	want := map[uint32][]uint32{}
	for i, c := range codes {
		k := sub([]uint64{c}, tb.start, tb.width)
		want[k] = append(want[k], uint32(i))
	}
	next := uint32(0) // buckets tile the entries in order
	for k := range uint32(1) << tb.width {
		lo, hi := tb.bucket(k)
		if len(want[k]) == 0 {
			if lo != hi {
				t.Fatalf("width %d: empty bucket %d has range %d…%d", tb.width, k, lo, hi)
			}
			continue
		}
		if lo != next {
			t.Fatalf("width %d: bucket %d starts at %d, want %d", tb.width, k, lo, next)
		}
		next = hi
		var got []uint32
		for p := lo; p < hi; p++ {
			got = append(got, tb.slot(p))
			if s := tb.slot(p); tb.codes[p] != codes[s] {
				t.Fatalf("width %d: entry %d holds code %x, slot %d has %x", tb.width, p, tb.codes[p], s, codes[s])
			}
		}
		if !slices.Equal(got, want[k]) {
			t.Fatalf("width %d: bucket %d holds %v, want %v", tb.width, k, head32(got), head32(want[k]))
		}
	}
	if int(next) != len(codes) {
		t.Fatalf("width %d: buckets cover %d of %d entries", tb.width, next, len(codes))
	}
}

// testTable builds a table over 64-bit codes.
func testTable(start, width uint, codes []uint64) table {
	tabs := []table{{start: start, width: width}}
	allocTables(tabs, len(codes))
	tabs[0].codes = make([]uint64, len(codes))
	tabs[0].build(codes, 1, len(codes), new(buildBuf))
	return tabs[0]
}

func head32(s []uint32) []uint32 { return s[:min(len(s), 12)] }

func TestTableLayout(t *testing.T) {
	g := newGen(31, 64)
	// keys returns codes whose substring at bit 3 is each of ks in turn.
	keys := func(ks ...int) []uint64 {
		var codes []uint64
		for _, k := range ks {
			codes = append(codes, g.r.Uint64()&^((1<<24-1)<<3)|uint64(k)<<3)
		}
		return codes
	}
	repeat := func(k, n int) []int { return slices.Repeat([]int{k}, n) }
	uniform := func(n int) []uint64 {
		var codes []uint64
		for range n {
			codes = append(codes, g.r.Uint64())
		}
		return codes
	}
	cases := []struct {
		name  string
		width uint
		codes []uint64
		esc   bool // some start must be escaped
	}{
		{"empty", 8, nil, false},
		{"one", 8, keys(200), false},
		{"one code, many ids", 10, keys(repeat(77, 70000)...), false},
		{"254 then one", 8, keys(append(repeat(3, 254), 4)...), false},
		{"255 then one", 8, keys(append(repeat(3, 255), 4)...), true},
		{"255 then one, sparse", 16, keys(append(repeat(3, 255), 4)...), true},
		{"crowded line end", 9, keys(slices.Concat(repeat(57, 300), []int{58, 59, 60})...), true},
		{"crowded block", 12, keys(slices.Concat(repeat(64, 1000), []int{65, 66, 127, 128}, repeat(127, 3))...), true},
		{"crowded last block", 8, keys(append(repeat(250, 300), 251, 255, 255)...), true},
		{"narrow", 4, uniform(500), false},
		{"five bits", 5, uniform(40), false},
		{"dense", 12, uniform(50000), false},
		{"sparse", 20, uniform(3000), false},
		{"sparse, crowded", 20, slices.Concat(uniform(3000), keys(repeat(5, 300)...), keys(6, 7, 255)), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := testTable(3, c.width, c.codes)
			checkTable(t, &tb, c.codes)
			if (tb.lines != nil) != dense(c.width, len(c.codes)) {
				t.Errorf("dense layout %v for %d codes of %d bits", tb.lines != nil, len(c.codes), c.width)
			}
			if c.esc && len(tb.esc) == 0 {
				t.Error("no escaped start")
			}
		})
	}
	// One buffer serves tables of every size in turn.
	var buf buildBuf
	for _, n := range []int{5000, 10, 70000, 0, 300} {
		codes := uniform(n)
		tabs := []table{{start: 9, width: 14}}
		allocTables(tabs, n)
		tabs[0].codes = make([]uint64, n)
		tb := tabs[0]
		tb.build(codes, 1, n, &buf)
		checkTable(t, &tb, codes)
	}
}

func TestBlockShift(t *testing.T) {
	for _, c := range []struct {
		width uint
		n     int
		want  uint
	}{
		{4, 10, 6}, {6, 10, 6}, {8, 1, 8}, {12, 1, 9}, {24, 1 << 20, 9}, {23, 1 << 20, 9},
		{23, 10_000_000, 6}, {20, 1 << 20, 6}, {21, 1 << 20, 7}, {22, 1 << 20, 8},
	} {
		if got := blockShift(c.width, c.n); got != c.want {
			t.Errorf("blockShift(%d, %d) = %d, want %d", c.width, c.n, got, c.want)
		}
	}
}

// TestSizes builds, updates and changes indexes of sizes on either side of
// the points where m, the substring widths, the slot width and the block
// size change, and compares them with Linear throughout.
func TestSizes(t *testing.T) {
	// 1<<18 + 1 is the first size built on more than one goroutine.
	sizes := []int{0, 1, 2, 255, 256, 257, 4097, 65537, 1<<18 + 1}
	if testing.Short() {
		sizes = sizes[:6]
	}
	for _, wc := range widthCases {
		for _, n := range sizes {
			t.Run(fmt.Sprintf("bits=%d/n=%d", wc.bits, n), func(t *testing.T) {
				g := newGen(uint64(n), wc.bits)
				p := newPair(t, wc.bits, &Options{Pending: 40}, testCost)
				p.mih.alwaysCopy = n%2 == 1 // 64-bit code copies at odd sizes
				ids, codes := g.numbered(n)
				p.build(ids, codes)
				queries := [][]uint64{g.code()}
				for i := 0; i < n && len(queries) < 6; i += 1 + n/5 {
					queries = append(queries, g.near(codes[i*g.w:(i+1)*g.w], i%(wc.radius+1)))
				}
				checkAll := func() {
					t.Helper()
					for _, q := range queries {
						p.check(q, wc.radius, 3)
					}
				}
				checkAll()
				if p.mih.Size() <= 0 && n > 0 {
					t.Errorf("Size() = %d", p.mih.Size())
				}
				// A batch too large for the pending buffer rebuilds at once.
				var bids, bcodes []uint64
				for i := range 50 {
					bids = append(bids, uint64(n+i))
					bcodes = append(bcodes, g.near(queries[i%len(queries)], i%7)...)
				}
				p.update(ids[:min(n, 3)], bids, bcodes)
				checkAll()
				// Adds past the pending limit rebuild in the background.
				for i := range 45 {
					p.add(uint64(2*n+100+i), g.near(queries[i%len(queries)], i%5))
					if i%3 == 0 && i < n {
						p.remove(ids[i])
					}
				}
				p.mih.wait()
				checkAll()
				p.same(2*n + 150)
			})
		}
	}
}
