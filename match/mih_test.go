package match

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sync"
	"testing"
)

// testCost lets a search probe up to 64·N buckets before it scans, so the
// property tests exercise the tables even on small sets.
const testCost = 1.0 / 64

// widthCases lists, per width, the default radius and the substring counts
// tried (0: automatic).
var widthCases = []struct {
	bits, radius int
	ms           []int
}{
	{64, 10, []int{0, 3, 4, 5, 7, 16}},
	{256, 31, []int{0, 11, 12, 16, 23, 64}},
}

func TestPlanted(t *testing.T) {
	for _, wc := range widthCases {
		for _, m := range wc.ms {
			t.Run(fmt.Sprintf("bits=%d/m=%d", wc.bits, m), func(t *testing.T) {
				g := newGen(uint64(wc.bits*100+m), wc.bits)
				p := newPair(t, wc.bits, &Options{Substrings: m}, testCost)
				var ids, codes []uint64
				id := uint64(1000)
				for range 2000 {
					ids = append(ids, id)
					codes = append(codes, g.code()...)
					id += 3
				}
				queries := make([][]uint64, 12)
				for qi := range queries {
					q := g.code()
					queries[qi] = q
					// planted neighbours at every distance 0 … r+2, two each
					for d := 0; d <= wc.radius+2; d++ {
						for range 2 {
							ids = append(ids, id)
							codes = append(codes, g.near(q, d)...)
							id++
						}
					}
				}
				p.build(ids, codes)
				// more through Add, held in the pending buffer
				for _, q := range queries[:4] {
					for d := range wc.radius + 3 {
						p.add(id, g.near(q, d))
						id++
					}
				}
				for _, q := range queries {
					for _, r := range []int{0, 1, wc.radius / 2, wc.radius, wc.radius + 2} {
						p.check(q, r, -1)
					}
					for _, k := range []int{1, 7, 60} {
						p.check(q, wc.radius, k)
					}
				}
			})
		}
	}
}

func TestClustered(t *testing.T) {
	for _, wc := range widthCases {
		t.Run(fmt.Sprintf("bits=%d", wc.bits), func(t *testing.T) {
			g := newGen(7, wc.bits)
			p := newPair(t, wc.bits, nil, testCost)
			maxd := wc.radius * 2 / 3
			var ids, codes, origs []uint64
			for o := range 300 {
				c := g.code()
				origs = append(origs, c...)
				for v := range 10 {
					ids = append(ids, uint64(o*10+v))
					codes = append(codes, g.near(c, g.r.IntN(maxd+1))...)
				}
			}
			for i := range 3000 {
				ids = append(ids, uint64(1e6+i))
				codes = append(codes, g.code()...)
			}
			p.build(ids, codes)
			w := wc.bits / 64
			for o := range 60 {
				q := g.near(origs[o*w:(o+1)*w], g.r.IntN(maxd+1))
				p.check(q, wc.radius, 15)
			}
		})
	}
}

func TestUpdates(t *testing.T) {
	for _, wc := range widthCases {
		t.Run(fmt.Sprintf("bits=%d", wc.bits), func(t *testing.T) {
			g := newGen(11, wc.bits)
			p := newPair(t, wc.bits, &Options{Pending: 50}, testCost)
			live := map[uint64][]uint64{}
			var ids, codes []uint64
			for i := range 1500 {
				c := g.code()
				ids = append(ids, uint64(i))
				codes = append(codes, c...)
				live[uint64(i)] = c
			}
			p.build(ids, codes)
			anyLive := func() (uint64, []uint64) {
				for {
					id := uint64(g.r.IntN(2500))
					if c, ok := live[id]; ok {
						return id, c
					}
				}
			}
			for step := range 1500 {
				switch op := g.r.IntN(10); {
				case op < 4: // add a new id or re-add one, near a stored code
					id := uint64(g.r.IntN(2500))
					_, c := anyLive()
					c = g.near(c, g.r.IntN(wc.radius+3))
					p.add(id, c)
					live[id] = c
				case op < 7:
					id, _ := anyLive()
					p.remove(id)
					delete(live, id)
				case op < 8:
					p.remove(uint64(5000 + g.r.IntN(100))) // never present
				default:
					_, c := anyLive()
					p.check(g.near(c, g.r.IntN(wc.radius+1)), wc.radius, 5)
				}
				if step%100 == 0 {
					_, c := anyLive()
					p.check(c, 0, 3)
				}
			}
		})
	}
}

func TestSharedCode(t *testing.T) {
	// Hundreds or thousands of ids on one code crowd a bucket block.
	for _, n := range []int{300, 70000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			g := newGen(3, 64)
			p := newPair(t, 64, nil, testCost)
			c := g.code()
			var ids, codes []uint64
			for i := range n {
				ids = append(ids, uint64(i)*7)
				codes = append(codes, c...)
			}
			for i := range 500 {
				ids = append(ids, uint64(1e9+i))
				codes = append(codes, g.near(c, i%14)...)
			}
			p.build(ids, codes)
			for i := range 50 {
				p.remove(uint64(i) * 7 * 3)
			}
			p.add(7, g.near(c, 5)) // re-add moves one id off the shared code
			p.check(c, 0, 10)
			p.check(g.near(c, 3), 10, 400)
		})
	}
}

func TestEdges(t *testing.T) {
	for _, wc := range widthCases {
		t.Run(fmt.Sprintf("bits=%d", wc.bits), func(t *testing.T) {
			g := newGen(5, wc.bits)
			p := newPair(t, wc.bits, nil, probeCost)
			q := g.code()
			p.check(q, wc.radius, 5) // empty
			p.add(1, q)
			p.add(2, q)
			p.check(q, 0, 5)       // k larger than the set
			p.check(q, 0, 0)       // k = 0
			p.check(q, wc.bits, 1) // radius covering everything
			ids, codes := g.numbered(5000)
			p.build(ids, codes)
			p.check(q, wc.bits, 6000)   // whole set, by scan
			p.check(q, wc.bits/2, 4999) // near half the set
			for _, id := range ids {
				p.remove(id)
			}
			p.check(q, wc.bits, 3) // all removed
		})
	}
}

func TestErrors(t *testing.T) {
	if _, err := NewMIH(128, nil); !errors.Is(err, ErrWidth) {
		t.Errorf("NewMIH(128): %v", err)
	}
	if _, err := NewLinear(0); !errors.Is(err, ErrWidth) {
		t.Errorf("NewLinear(0): %v", err)
	}
	for _, o := range []Options{{Substrings: 10}, {Substrings: 65}, {Substrings: -1}, {Pending: -1}} {
		if _, err := NewMIH(256, &o); !errors.Is(err, ErrOptions) {
			t.Errorf("NewMIH(256, %+v): %v", o, err)
		}
	}
	m, _ := NewMIH(256, nil)
	l, _ := NewLinear(256)
	ctx := context.Background()
	for _, x := range []Index{m, l} {
		good, short := make([]uint64, 4), make([]uint64, 1)
		cases := []struct {
			name string
			err  error
			want error
		}{
			{"Add short", x.Add(1, short), ErrCode},
			{"Build mismatch", x.Build(ctx, []uint64{1, 2}, good), ErrCode},
			{"Build duplicate", x.Build(ctx, []uint64{1, 1}, append(good, good...)), ErrDuplicate},
			{"Search short", second(x.Search(short, 3)), ErrCode},
			{"Search negative", second(x.Search(good, -1)), ErrRadius},
			{"Nearest short", second(x.Nearest(short, 3)), ErrCode},
			{"Nearest negative", second(x.Nearest(good, -1)), ErrCount},
		}
		for _, c := range cases {
			if !errors.Is(c.err, c.want) {
				t.Errorf("%T %s: %v, want %v", x, c.name, c.err, c.want)
			}
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if err := x.Build(cancelled, []uint64{1}, good); !errors.Is(err, context.Canceled) {
			t.Errorf("%T Build cancelled: %v", x, err)
		}
		if x.Len() != 0 {
			t.Errorf("%T Len after failed calls = %d", x, x.Len())
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestSubRadius(t *testing.T) {
	// A code no probe finds differs by at least subRadius+1 on every
	// substring; those minima must add up to exactly r+1.
	for m := 1; m <= 70; m++ {
		for r := 0; r <= 300; r++ {
			sum := 0
			for i := range m {
				sum += subRadius(r, m, i) + 1
			}
			if sum != r+1 {
				t.Fatalf("m=%d r=%d: minimum missed distance %d", m, r, sum)
			}
		}
	}
}

func TestAppendShell(t *testing.T) {
	for width := uint(1); width <= maxWidth; width += 5 {
		for s := 0; s <= 4; s++ {
			v := uint32(0x5a5a5a5a) & (1<<width - 1)
			got := appendShell(nil, v, width, s)
			if float64(len(got)) != binomial(int(width), s) {
				t.Fatalf("width %d s %d: %d values, want %v", width, s, len(got), binomial(int(width), s))
			}
			seen := map[uint32]bool{}
			for _, k := range got {
				if bits.OnesCount32(k^v) != s || k>>width != 0 || seen[k] {
					t.Fatalf("width %d s %d: bad value %b", width, s, k)
				}
				seen[k] = true
			}
		}
	}
}

func TestSortByID(t *testing.T) {
	g := newGen(9, 64)
	for _, n := range []int{0, 1, 1000} {
		for _, hi := range []bool{false, true} {
			ids := make([]uint64, n)
			for i := range ids {
				ids[i] = uint64(g.r.Uint32())
				if hi {
					ids[i] = g.r.Uint64()
				}
			}
			codes := slices.Clone(ids) // code = id makes the pairing checkable
			sids, scodes := sortByID(ids, codes, 1)
			if !slices.IsSorted(sids) || !slices.Equal(sids, scodes) || len(sids) != n {
				t.Fatalf("n=%d hi=%v: not sorted with codes", n, hi)
			}
		}
	}
}

func TestConcurrent(t *testing.T) {
	g := newGen(13, 256)
	x, _ := NewMIH(256, &Options{Pending: 20})
	ids, codes := g.numbered(3000)
	if err := x.Build(context.Background(), ids, codes); err != nil {
		t.Fatal(err)
	}
	queries := make([][]uint64, 40)
	for i := range queries {
		queries[i] = g.near(codes[i*4:i*4+4], i%40)
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for _, q := range queries {
				if _, err := x.Search(q, 31); err != nil {
					t.Error(err)
				}
				if _, err := x.Nearest(q, 3); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for i := range 200 {
		if err := x.Add(uint64(5000+i), queries[i%40]); err != nil {
			t.Error(err)
		}
		x.Remove(uint64(i))
	}
	wg.Wait()
	// Every query is now stored under some id, so finds itself.
	for i, q := range queries {
		r, err := x.Search(q, 0)
		if err != nil || len(r) == 0 {
			t.Fatalf("query %d: %v, %v", i, r, err)
		}
	}
}

func TestBatch(t *testing.T) {
	g := newGen(17, 64)
	x, _ := NewMIH(64, nil)
	ids, codes := g.numbered(2000)
	if err := x.Build(context.Background(), ids, codes); err != nil {
		t.Fatal(err)
	}
	var queries [][]uint64
	for i := range 100 {
		queries = append(queries, g.near(codes[i:i+1], i%12))
	}
	got, err := SearchBatch(context.Background(), x, queries, 10)
	if err != nil {
		t.Fatal(err)
	}
	near, err := NearestBatch(context.Background(), x, queries, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i, q := range queries {
		want, _ := x.Search(q, 10)
		wantNear, _ := x.Nearest(q, 2)
		if !slices.Equal(got[i], want) || !slices.Equal(near[i], wantNear) {
			t.Fatalf("query %d: batch differs", i)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := SearchBatch(ctx, x, queries, 10); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := SearchBatch(context.Background(), x, [][]uint64{{1}, {1, 2}}, 10); !errors.Is(err, ErrCode) {
		t.Errorf("bad query: %v", err)
	}
}

func TestSubstringChoice(t *testing.T) {
	// The documented choices of Options.Substrings = 0.
	for _, c := range []struct{ bits, n, want int }{
		{256, 1 << 20, 11}, {256, 10_000_000, 11}, {64, 10_000_000, 3}, {64, 1 << 20, 3},
	} {
		x, _ := NewMIH(c.bits, nil)
		if got := x.substrings(c.n); got != c.want {
			t.Errorf("%d bits, %d codes: m = %d, want %d", c.bits, c.n, got, c.want)
		}
	}
	// Wide substrings are never chosen for few codes: their empty buckets
	// would outweigh the codes.
	x, _ := NewMIH(256, nil)
	if m := x.substrings(1000); 256/m > 14 {
		t.Errorf("1000 codes: m = %d", m)
	}
}

func TestRebuild(t *testing.T) {
	for _, wc := range widthCases {
		t.Run(fmt.Sprintf("bits=%d", wc.bits), func(t *testing.T) {
			g := newGen(21, wc.bits)
			p := newPair(t, wc.bits, &Options{Pending: 30}, testCost)
			ids, codes := g.numbered(1000)
			p.build(ids, codes)
			release := make(chan struct{})
			p.mih.rebuildHook = func() { <-release }
			for i := range 31 { // one past the limit starts a rebuild
				p.add(uint64(2000+i), g.near(codes[i*g.w:(i+1)*g.w], i))
			}
			p.mih.mu.RLock()
			running := p.mih.rebuilding
			p.mih.mu.RUnlock()
			if !running {
				t.Fatal("no rebuild started")
			}
			// Changes while the rebuild runs go to the journal.
			p.remove(2003)                   // pending in the snapshot
			p.remove(5)                      // main
			p.add(2004, codes[:g.w])         // re-add of a snapshot id
			p.add(7, codes[8*g.w:9*g.w])     // re-add of a main id
			p.add(3000, codes[9*g.w:10*g.w]) // new
			p.check(codes[:g.w], wc.radius, 4)
			close(release)
			p.mih.wait()
			if got := len(p.mih.ids); got != 1000+31 {
				t.Errorf("main part holds %d codes after the rebuild", got)
			}
			if got := len(p.mih.pids); got != 3 {
				t.Errorf("pending holds %d codes after replay, want 3", got)
			}
			for i := range 12 {
				p.check(codes[i*g.w:(i+1)*g.w], wc.radius, 4)
			}
			// A Build during a rebuild wins over it.
			block := make(chan struct{})
			p.mih.rebuildHook = func() { <-block }
			for i := range 40 {
				p.add(uint64(4000+i), g.code())
			}
			p.build(ids[:500], codes[:500*g.w])
			close(block)
			p.mih.wait()
			p.check(codes[:g.w], wc.radius, 4)
			if p.mih.Len() != 500 {
				t.Errorf("Len after Build = %d", p.mih.Len())
			}
		})
	}
}

func TestAppendUsed(t *testing.T) {
	// appendUsed must list exactly the non-empty buckets of the rings lo…hi
	// that enumerating every value would find.
	g := newGen(23, 64)
	for _, width := range []uint{4, 5, 6, 7, 12, 20} {
		var codes []uint64
		for range 3000 {
			codes = append(codes, g.r.Uint64())
		}
		tb := testTable(3, width, codes)
		for _, v := range []uint32{0, 1<<width - 1, uint32(g.r.Uint64() & (1<<width - 1))} {
			for _, rr := range [][2]int{{0, 0}, {0, 2}, {1, 1}, {2, 3}, {0, 7}, {5, 9}} {
				var want []uint32
				for s := rr[0]; s <= rr[1]; s++ {
					for _, k := range appendShell(nil, v, width, s) {
						if lo, hi := tb.bucket(k); hi > lo {
							want = append(want, k)
						}
					}
				}
				got, _ := tb.appendUsed(nil, nil, v, rr[0], rr[1])
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("width %d v %d rings %v: got %d buckets, want %d", width, v, rr, len(got), len(want))
				}
			}
		}
	}
}
