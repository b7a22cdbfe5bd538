package match

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
)

func (p *pair) update(remove, ids, codes []uint64) {
	p.t.Helper()
	if err := p.mih.Update(context.Background(), remove, ids, codes); err != nil {
		p.t.Fatal(err)
	}
	if err := p.lin.Update(context.Background(), remove, ids, codes); err != nil {
		p.t.Fatal(err)
	}
}

// same compares Len and the code of every id below n.
func (p *pair) same(n int) {
	p.t.Helper()
	if a, b := p.mih.Len(), p.lin.Len(); a != b {
		p.t.Fatalf("Len: MIH %d, Linear %d", a, b)
	}
	for id := range uint64(n) {
		a, okA := p.mih.Code(id)
		b, okB := p.lin.Code(id)
		if okA != okB || !slices.Equal(a, b) {
			p.t.Fatalf("Code(%d): MIH %v %v, Linear %v %v", id, a, okA, b, okB)
		}
	}
}

// model tracks which ids a test stored where, to draw batches that touch
// every kind: main, pending, tombstoned and never-stored ids.
type model struct {
	g       *gen
	live    map[uint64][]uint64
	removed []uint64
	span    int // ids are below span
}

func (m *model) anyLive() (uint64, []uint64) {
	for {
		id := uint64(m.g.r.IntN(m.span))
		if c, ok := m.live[id]; ok {
			return id, c
		}
	}
}

// pick returns an id: live, removed before, or never stored.
func (m *model) pick() uint64 {
	switch k := m.g.r.IntN(4); {
	case k < 2 && len(m.live) > 0:
		id, _ := m.anyLive()
		return id
	case k == 2 && len(m.removed) > 0:
		return m.removed[m.g.r.IntN(len(m.removed))]
	}
	return uint64(m.g.r.IntN(m.span))
}

// code returns a code near a live one (or uniform), so searches find it.
func (m *model) code(radius int) []uint64 {
	if len(m.live) == 0 || m.g.r.IntN(4) == 0 {
		return m.g.code()
	}
	_, c := m.anyLive()
	return m.g.near(c, m.g.r.IntN(radius+3))
}

// batch draws nr removals and na adds, with repeats and overlaps.
func (m *model) batch(nr, na, radius int) (remove, ids, codes []uint64) {
	for range nr {
		remove = append(remove, m.pick())
	}
	for range na {
		id := m.pick()
		switch m.g.r.IntN(8) {
		case 0:
			if len(ids) > 0 { // repeat an id of the batch: the last code wins
				id = ids[m.g.r.IntN(len(ids))]
			}
		case 1:
			if len(remove) > 0 { // removed and added: stays
				id = remove[m.g.r.IntN(len(remove))]
			}
		}
		ids = append(ids, id)
		codes = append(codes, m.code(radius)...)
	}
	if m.g.r.IntN(3) == 0 {
		slices.Sort(remove)
	}
	return remove, ids, codes
}

// apply records a batch in the model.
func (m *model) apply(remove, ids, codes []uint64) {
	for _, id := range remove {
		if _, ok := m.live[id]; ok {
			delete(m.live, id)
			m.removed = append(m.removed, id)
		}
	}
	w := m.g.w
	for i, id := range ids {
		m.live[id] = codes[i*w : (i+1)*w]
	}
}

func TestUpdate(t *testing.T) {
	cases := []struct {
		name    string
		pending int
		n       int    // codes built first
		batch   [2]int // most removals and adds per batch
	}{
		{"small", 400, 2000, [2]int{40, 60}},  // fits the pending buffer
		{"large", 20, 2000, [2]int{200, 600}}, // rebuilds
		{"mixed", 100, 1500, [2]int{150, 250}},
		{"empty", 20, 0, [2]int{10, 300}},
	}
	for _, wc := range widthCases {
		for _, c := range cases {
			t.Run(fmt.Sprintf("bits=%d/%s", wc.bits, c.name), func(t *testing.T) {
				g := newGen(uint64(31+wc.bits+c.n), wc.bits)
				p := newPair(t, wc.bits, &Options{Pending: c.pending}, testCost)
				m := &model{g: g, live: map[uint64][]uint64{}, span: c.n + 1000}
				var ids, codes []uint64
				for i := range c.n {
					ids = append(ids, uint64(i))
					codes = append(codes, g.code()...)
				}
				p.build(ids, codes)
				m.apply(nil, ids, codes)
				for round := range 12 {
					// single changes: pending codes and tombstones
					for range g.r.IntN(c.pending) {
						if id := m.pick(); g.r.IntN(3) == 0 {
							p.remove(id)
							m.apply([]uint64{id}, nil, nil)
						} else {
							code := m.code(wc.radius)
							p.add(id, code)
							m.apply(nil, []uint64{id}, code)
						}
					}
					rm, bids, bcodes := m.batch(g.r.IntN(c.batch[0]+1), g.r.IntN(c.batch[1]+1), wc.radius)
					if round == 0 {
						rm, bids, bcodes = nil, nil, nil
					}
					p.mih.wait() // let a rebuild end, to know which way Update goes
					p.mih.mu.RLock()
					inPlace := p.mih.fits(len(rm), len(bids))
					p.mih.mu.RUnlock()
					p.update(rm, bids, bcodes)
					m.apply(rm, bids, bcodes)
					if !inPlace && len(rm)+len(bids) > 0 {
						p.mih.mu.RLock()
						np := len(p.mih.pids)
						p.mih.mu.RUnlock()
						if np != 0 {
							t.Fatalf("round %d: %d codes pending after a rebuilding Update", round, np)
						}
					}
					p.same(m.span)
					for range 6 {
						q := m.code(wc.radius)
						p.check(q, wc.radius, 1+g.r.IntN(8))
					}
				}
			})
		}
	}
}

func TestUpdateDuringRebuild(t *testing.T) {
	for _, wc := range widthCases {
		t.Run(fmt.Sprintf("bits=%d", wc.bits), func(t *testing.T) {
			g := newGen(41, wc.bits)
			p := newPair(t, wc.bits, &Options{Pending: 30}, testCost)
			m := &model{g: g, live: map[uint64][]uint64{}, span: 3000}
			ids, codes := g.numbered(1000)
			p.build(ids, codes)
			m.apply(nil, ids, codes)
			release := make(chan struct{})
			p.mih.rebuildHook = func() { <-release }
			for i := range 31 { // one past the limit starts a rebuild
				id, code := uint64(2000+i), m.code(wc.radius)
				p.add(id, code)
				m.apply(nil, []uint64{id}, code)
			}
			// journaled by the running rebuild
			p.remove(2003)
			p.remove(5)
			p.add(7, codes[8*g.w:9*g.w])
			m.apply([]uint64{2003, 5}, []uint64{7}, codes[8*g.w:9*g.w])
			rm, bids, bcodes := m.batch(100, 300, wc.radius)
			done := make(chan error)
			go func() { done <- p.mih.Update(context.Background(), rm, bids, bcodes) }()
			for updating := false; !updating; runtime.Gosched() {
				p.mih.mu.RLock()
				updating = p.mih.updating
				p.mih.mu.RUnlock()
			}
			close(release) // Update has stopped the rebuild and waits for it to end
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			p.mih.rebuildHook = nil
			if err := p.lin.Update(context.Background(), rm, bids, bcodes); err != nil {
				t.Fatal(err)
			}
			m.apply(rm, bids, bcodes)
			p.same(m.span)
			for range 10 {
				p.check(m.code(wc.radius), wc.radius, 4)
			}
			p.mih.wait()
			p.same(m.span)
		})
	}
}

func TestUpdateConcurrentChanges(t *testing.T) {
	for _, wc := range widthCases {
		t.Run(fmt.Sprintf("bits=%d", wc.bits), func(t *testing.T) {
			g := newGen(43, wc.bits)
			p := newPair(t, wc.bits, &Options{Pending: 30}, testCost)
			m := &model{g: g, live: map[uint64][]uint64{}, span: 3000}
			ids, codes := g.numbered(1500)
			p.build(ids, codes)
			m.apply(nil, ids, codes)
			rm, bids, bcodes := m.batch(100, 300, wc.radius)
			p.mih.updateHook = func() {
				// Changes while Update builds, some to ids of the batch:
				// those give way to the batch, installed after them.
				for i := range 60 {
					id := m.pick()
					switch i % 4 {
					case 0:
						id = bids[g.r.IntN(len(bids))]
					case 1:
						id = rm[g.r.IntN(len(rm))]
					}
					if g.r.IntN(3) == 0 {
						p.remove(id)
						m.apply([]uint64{id}, nil, nil)
					} else {
						code := m.code(wc.radius)
						p.add(id, code)
						m.apply(nil, []uint64{id}, code)
					}
				}
				// Searches see them, and none of the batch yet.
				p.same(m.span)
				p.check(m.code(wc.radius), wc.radius, 3)
				p.mih.mu.RLock()
				running := p.mih.rebuilding
				p.mih.mu.RUnlock()
				if running {
					t.Error("a rebuild started during Update")
				}
			}
			p.update(rm, bids, bcodes)
			p.mih.updateHook = nil
			m.apply(rm, bids, bcodes)
			p.same(m.span)
			for range 10 {
				p.check(m.code(wc.radius), wc.radius, 4)
			}
			p.mih.wait() // the replayed changes overflow the buffer
			p.same(m.span)
		})
	}
}

func TestUpdateAtomic(t *testing.T) {
	// Concurrent searches see a batch whole or not at all, whether it goes
	// through the pending buffer or new tables.
	for _, c := range []struct {
		name string
		n    int
	}{{"in-place", 40}, {"rebuild", 400}} {
		t.Run(c.name, func(t *testing.T) {
			g := newGen(47, 256)
			x, _ := NewMIH(256, &Options{Pending: 100})
			ids, codes := g.numbered(3000)
			if err := x.Build(context.Background(), ids, codes); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			stop := make(chan struct{})
			for range 2 {
				wg.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						for _, q := range [][]uint64{codes[:4], codes[4:8]} {
							r, err := x.Search(q, 0)
							if err != nil {
								t.Error(err)
								return
							}
							if len(r) != 1 && len(r) != c.n+1 {
								t.Errorf("search sees %d of a batch of %d", len(r)-1, c.n)
								return
							}
						}
					}
				})
			}
			for round := range 6 {
				// Alternate between c.n more ids on code 0 and on code 1,
				// removing those of the other.
				a, b := uint64(round%2), uint64(1-round%2)
				var rm, add, acodes []uint64
				for i := range uint64(c.n) {
					rm = append(rm, 10000*(b+1)+i)
					add = append(add, 10000*(a+1)+i)
					acodes = append(acodes, codes[a*4:a*4+4]...)
				}
				if err := x.Update(context.Background(), rm, add, acodes); err != nil {
					t.Fatal(err)
				}
			}
			close(stop)
			wg.Wait()
		})
	}
}

func TestUpdateCancel(t *testing.T) {
	g := newGen(53, 64)
	p := newPair(t, 64, &Options{Pending: 20}, testCost)
	ids, codes := g.numbered(1000)
	p.build(ids, codes)
	p.add(5000, g.code())
	p.remove(3)
	bids := []uint64{1, 2, 4000, 4001}
	var bcodes []uint64
	for range bids {
		bcodes = append(bcodes, g.code()...)
	}
	rm := make([]uint64, 500) // too many for the pending buffer
	for i := range rm {
		rm[i] = uint64(i)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.mih.Update(ctx, rm, bids, bcodes); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled before: %v", err)
	}
	p.same(6000)

	// Cancelled while the tables build: changes made meanwhile stay, and
	// the pending buffer they overflow is rebuilt.
	ctx, cancel = context.WithCancel(context.Background())
	p.mih.updateHook = func() {
		for i := range 25 {
			p.add(uint64(5100+i), g.code())
		}
		cancel()
	}
	if err := p.mih.Update(ctx, rm, bids, bcodes); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled during: %v", err)
	}
	p.mih.updateHook = nil
	p.same(6000)
	p.mih.wait()
	if p.mih.Len() != 1000-1+26 || len(p.mih.pids) != 0 {
		t.Errorf("after the rebuild: Len %d, %d pending", p.mih.Len(), len(p.mih.pids))
	}
	p.check(codes[:1], 10, 3)
}

func TestUpdateEdges(t *testing.T) {
	ctx := context.Background()
	for _, bits := range []int{64, 256} {
		m, _ := NewMIH(bits, nil)
		l, _ := NewLinear(bits)
		w := bits / 64
		for _, x := range []Index{m, l} {
			code := make([]uint64, w)
			cases := []struct {
				name        string
				remove, ids []uint64
				codes       []uint64
				want        error
				len         int
			}{
				{"empty", nil, nil, nil, nil, 0},
				{"mismatch", nil, []uint64{1, 2}, code, ErrCode, 0},
				{"codes without ids", nil, nil, code, ErrCode, 0},
				{"remove absent", []uint64{1, 2}, nil, nil, nil, 0},
				{"add", nil, []uint64{1, 2}, append(slices.Clone(code), code...), nil, 2},
				{"repeat", []uint64{2, 2}, []uint64{3, 3}, append(slices.Clone(code), code...), nil, 2},
				{"empty again", []uint64{}, []uint64{}, []uint64{}, nil, 2},
			}
			for _, c := range cases {
				if err := x.Update(ctx, c.remove, c.ids, c.codes); !errors.Is(err, c.want) || (err == nil) != (c.want == nil) {
					t.Errorf("%T %d bits %s: %v, want %v", x, bits, c.name, err, c.want)
				}
				if x.Len() != c.len {
					t.Errorf("%T %d bits %s: Len %d, want %d", x, bits, c.name, x.Len(), c.len)
				}
			}
		}
		if len(m.tabs) != 0 || m.rebuilding {
			t.Errorf("%d bits: tables built for batches that fit the pending buffer", bits)
		}
	}
}

func TestLastByID(t *testing.T) {
	cases := []struct {
		ids, codes, wantIDs, wantCodes []uint64
	}{
		{nil, nil, nil, nil},
		{[]uint64{1, 2, 5}, []uint64{10, 20, 50}, []uint64{1, 2, 5}, []uint64{10, 20, 50}},
		{[]uint64{5, 1, 5, 2, 1, 5}, []uint64{1, 2, 3, 4, 5, 6}, []uint64{1, 2, 5}, []uint64{5, 4, 6}},
		{[]uint64{1, 1, 1}, []uint64{7, 8, 9}, []uint64{1}, []uint64{9}},
		{[]uint64{1 << 40, 3, 1 << 40}, []uint64{1, 2, 3}, []uint64{3, 1 << 40}, []uint64{2, 3}},
	}
	for _, c := range cases {
		in := slices.Clone(c.ids)
		ids, codes := lastByID(c.ids, c.codes, 1)
		if !slices.Equal(ids, c.wantIDs) || !slices.Equal(codes, c.wantCodes) {
			t.Errorf("lastByID(%v, %v) = %v, %v", c.ids, c.codes, ids, codes)
		}
		if !slices.Equal(in, c.ids) {
			t.Errorf("lastByID changed its input %v to %v", in, c.ids)
		}
	}
}
