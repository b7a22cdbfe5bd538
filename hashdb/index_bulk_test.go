package hashdb

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/hashshare/hashshare/match"
)

// perIDIndex applies the delta ops one id at a time, as apply does for
// a small commit.
func perIDIndex(t *testing.T, a Algorithm, ops, codes []uint64) *match.MIH {
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

// TestBuildDelta checks that building an empty index at once from a
// commit's delta stores exactly what adding its ids one at a time would,
// and that searches find the same ids.
func TestBuildDelta(t *testing.T) {
	const a = PDQ
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
	for _, tc := range []struct {
		name string
		ops  []op
		ok   bool
	}{
		{"adds", adds(1, 3000), true},
		{"removes and re-adds", append(adds(1, 3000), op{signalID(5, 0), true}, op{signalID(7, 1), true},
			op{id: signalID(7, 1)}, op{signalID(9, 0), true}, op{signalID(9, 1), true}, op{id: signalID(9, 0)}), true},
		{"everything removed", append(adds(1, 3), op{signalID(1, 0), true}, op{signalID(1, 1), true},
			op{signalID(2, 0), true}, op{signalID(2, 1), true}), true},
		{"an id added twice", append(adds(1, 100), op{id: signalID(3, 0)}), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ops, codes []uint64
			for _, o := range tc.ops {
				if o.remove {
					ops = append(ops, removeBit|o.id)
					continue
				}
				ops = append(ops, o.id)
				codes = append(codes, code()...)
			}
			bulk, err := newIndex(a)
			if err != nil {
				t.Fatal(err)
			}
			if got := buildDelta(bulk, ops, slices.Clone(codes), w); got != tc.ok {
				t.Fatalf("buildDelta = %v, want %v", got, tc.ok)
			}
			if !tc.ok {
				if bulk.Len() != 0 {
					t.Errorf("a failed build left %d ids", bulk.Len())
				}
				return
			}
			want := perIDIndex(t, a, ops, codes)
			if bulk.Len() != want.Len() {
				t.Fatalf("Len = %d, per-id adds give %d", bulk.Len(), want.Len())
			}
			for _, o := range tc.ops {
				got, gok := bulk.Code(o.id)
				exp, eok := want.Code(o.id)
				if gok != eok || !slices.Equal(got, exp) {
					t.Fatalf("Code(%x) = %x, %v; per-id adds give %x, %v", o.id, got, gok, exp, eok)
				}
				if !eok {
					continue
				}
				g, err1 := bulk.Search(exp, a.DefaultThreshold())
				e, err2 := want.Search(exp, a.DefaultThreshold())
				if err1 != nil || err2 != nil || !slices.Equal(g, e) {
					t.Fatalf("Search(%x) = %v, %v; per-id adds give %v, %v", o.id, g, err1, e, err2)
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
		s := testSignal(PDQ, int(n))
		d.add(n, []Signal{s})
		want = append(want, signalID(n, 0))
	}
	d.remove(3, []Signal{testSignal(PDQ, 3)})
	var x indexes
	x.cond.L = &x.mu
	for _, a := range Algorithms() {
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
	ref := perIDIndex(t, PDQ, d[PDQ].ops, d[PDQ].codes)
	if got := x.by[PDQ].Len(); got != len(want)-1 || got != ref.Len() {
		t.Fatalf("Len = %d, want %d", got, len(want)-1)
	}
	for _, id := range want {
		got, gok := x.by[PDQ].Code(id)
		exp, eok := ref.Code(id)
		if gok != eok || !slices.Equal(got, exp) {
			t.Fatalf("Code(%x) = %x, %v; per-id adds give %x, %v", id, got, gok, exp, eok)
		}
	}
	if x.by[PDQ].Substrings() == 0 {
		t.Error("the index was not built at once")
	}
	x.await(7)
}
