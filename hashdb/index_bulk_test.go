package hashdb

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/match"
)

// perIDIndex applies the delta ops one id at a time, as apply does for
// a small commit.
func perIDIndex(t *testing.T, a signal.Algorithm, ops, codes []uint64) signalIndex {
	t.Helper()
	idx, err := newIndex(a)
	if err != nil {
		t.Fatal(err)
	}
	w := codeBits(a) / 64
	for _, op := range ops {
		if op&removeBit != 0 {
			idx.Remove(op &^ removeBit)
			continue
		}
		if err := idx.Add(op, codes[:w]); err != nil {
			t.Fatal(err)
		}
		codes = codes[w:]
	}
	return idx
}

// TestApplyAtOnce checks that applying a commit's delta with one rebuild
// stores exactly what applying its ops one id at a time would, on an empty
// index and on one already holding ids the delta removes and replaces,
// and that searches find the same ids.
func TestApplyAtOnce(t *testing.T) {
	const a = signal.PDQ
	w := codeBits(a) / 64
	rng := rand.New(rand.NewPCG(1, 2))
	code := func() []uint64 {
		c := make([]uint64, w)
		for i := range c {
			c[i] = rng.Uint64()
		}
		return c
	}
	type op struct {
		id     uint64
		remove bool
	}
	adds := func(from, to uint64) []op {
		var ops []op
		for n := from; n < to; n++ {
			ops = append(ops, op{id: signalID(n, 0)}, op{id: signalID(n, 1)})
		}
		return ops
	}
	encode := func(os []op) (ops, codes []uint64) {
		for _, o := range os {
			if o.remove {
				ops = append(ops, removeBit|o.id)
				continue
			}
			ops = append(ops, o.id)
			codes = append(codes, code()...)
		}
		return ops, codes
	}
	for _, tc := range []struct {
		name      string
		base, ops []op
	}{
		{"adds", nil, adds(1, 3000)},
		{"removes and re-adds", nil, append(adds(1, 3000), op{signalID(5, 0), true}, op{signalID(7, 1), true},
			op{id: signalID(7, 1)}, op{signalID(9, 0), true}, op{signalID(9, 1), true}, op{id: signalID(9, 0)})},
		{"everything removed", nil, append(adds(1, 3), op{signalID(1, 0), true}, op{signalID(1, 1), true},
			op{signalID(2, 0), true}, op{signalID(2, 1), true})},
		{"an id added twice", nil, append(adds(1, 100), op{id: signalID(3, 0)})},
		{"onto a full index", adds(1, 2000), append(adds(2000, 4000),
			op{signalID(10, 0), true}, op{signalID(11, 0), true}, op{id: signalID(11, 0)}, op{id: signalID(12, 1)},
			op{signalID(2500, 1), true}, op{signalID(999999, 0), true})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			baseOps, baseCodes := encode(tc.base)
			ops, codes := encode(tc.ops)
			bulk := perIDIndex(t, a, baseOps, baseCodes)
			want := perIDIndex(t, a, baseOps, baseCodes)
			if !applyAtOnce(bulk, ops, slices.Clone(codes), w) {
				t.Fatal("applyAtOnce failed")
			}
			for _, o := range ops {
				if o&removeBit != 0 {
					want.Remove(o &^ removeBit)
					continue
				}
				if err := want.Add(o, codes[:w]); err != nil {
					t.Fatal(err)
				}
				codes = codes[w:]
			}
			if bulk.Len() != want.Len() {
				t.Fatalf("Len = %d, per-id ops give %d", bulk.Len(), want.Len())
			}
			for _, o := range append(tc.base, tc.ops...) {
				got, gok := bulk.Code(o.id)
				exp, eok := want.Code(o.id)
				if gok != eok || !slices.Equal(got, exp) {
					t.Fatalf("Code(%x) = %x, %v; per-id ops give %x, %v", o.id, got, gok, exp, eok)
				}
				if !eok {
					continue
				}
				g, err1 := bulk.Search(exp, a.DefaultThreshold())
				e, err2 := want.Search(exp, a.DefaultThreshold())
				if err1 != nil || err2 != nil || !slices.Equal(g, e) {
					t.Fatalf("Search(%x) = %v, %v; per-id ops give %v, %v", o.id, g, err1, e, err2)
				}
			}
		})
	}
}

// TestApplyLargeDelta checks that a commit large enough to build an empty
// index at once leaves it as per-id adds would.
func TestApplyLargeDelta(t *testing.T) {
	var d indexDelta
	var want []uint64
	for n := uint64(1); n <= indexPending+10; n++ {
		s := testSignal(signal.PDQ, int(n))
		d.add(n, []signal.Signal{s})
		want = append(want, signalID(n, 0))
	}
	d.remove(3, []signal.Signal{testSignal(signal.PDQ, 3)})
	var x indexes
	x.cond.L = &x.mu
	for _, a := range signal.Algorithms() {
		idx, err := newIndex(a)
		if err != nil {
			t.Fatal(err)
		}
		x.by[a] = idx
	}
	x.apply(&d, 7)
	if x.building == nil {
		t.Fatal("a delta filling an empty index did not build in the background")
	}
	x.await(7) // searches of the commit wait for the build
	ref := perIDIndex(t, signal.PDQ, d[signal.PDQ].ops, d[signal.PDQ].codes)
	if got := x.by[signal.PDQ].Len(); got != len(want)-1 || got != ref.Len() {
		t.Fatalf("Len = %d, want %d", got, len(want)-1)
	}
	for _, id := range want {
		got, gok := x.by[signal.PDQ].Code(id)
		exp, eok := ref.Code(id)
		if gok != eok || !slices.Equal(got, exp) {
			t.Fatalf("Code(%x) = %x, %v; per-id adds give %x, %v", id, got, gok, exp, eok)
		}
	}
	if x.by[signal.PDQ].(*match.MIH).Substrings() == 0 {
		t.Error("the index was not built at once")
	}
	x.await(7)
}
