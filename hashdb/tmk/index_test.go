package tmk

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

func randomHash(rng *rand.Rand, base *Hash, noise float32) *Hash {
	h := &Hash{Periods: Periods, Coefficients: Coefficients}
	for k := range h.Average {
		if base != nil {
			h.Average[k] = base.Average[k]
		}
		h.Average[k] += noise * float32(rng.NormFloat64())
	}
	return h
}

// The index's scores are Level1's, bit for bit, and it keeps exactly the
// hashes that pass, through adds, replacements and removals.
func TestIndexMatchesLevel1(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	base := randomHash(rng, nil, 1)
	x := NewIndex()
	held := map[uint64]*Hash{}
	for id := range uint64(103) {
		h := randomHash(rng, base, float32(id%7)*0.3)
		x.Add(id, h)
		held[id] = h
	}
	x.Add(5, base)
	held[5] = base
	for _, id := range []uint64{0, 50, 102, 7} {
		x.Remove(id)
		delete(held, id)
	}
	x.Remove(1000)
	x.Add(200, &Hash{}) // a zero average scores 0
	held[200] = &Hash{}
	if x.Len() != len(held) {
		t.Fatalf("%d held, want %d", x.Len(), len(held))
	}
	for _, th := range []float32{0, 0.9, -1} {
		got := x.Search(base, th)
		want := th
		if want == 0 {
			want = DefaultLevel1
		}
		n := 0
		for id, h := range held {
			if Level1(base, h) >= want {
				n++
			}
			_ = id
		}
		if len(got) != n {
			t.Fatalf("threshold %v: %d candidates, want %d", th, len(got), n)
		}
		for i, c := range got {
			if s := Level1(base, held[c.ID]); s != c.Level1 {
				t.Fatalf("id %d: score %v, Level1 %v", c.ID, c.Level1, s)
			}
			if i > 0 && got[i-1].Level1 < c.Level1 {
				t.Fatal("not by descending score")
			}
		}
	}
}

// BenchmarkIndexSearch100k is level 1 over 100,000 stored videos; the
// baseline, BenchmarkLevel1Loop100k, scores each stored average in turn
// with Level1's arithmetic. It reports the heap the index holds per hash.
func BenchmarkIndexSearch100k(b *testing.B) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	x, q := benchAverages(b)
	runtime.GC()
	runtime.ReadMemStats(&after)
	for b.Loop() {
		x.Search(q, 0.7)
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(x.Len()), "heap-B/hash")
}

func BenchmarkLevel1Loop100k(b *testing.B) {
	x, q := benchAverages(b)
	for b.Loop() {
		for i := range x.Len() {
			cosSim(q.Average[:], x.avgs[i*Dim:(i+1)*Dim])
		}
	}
}

// benchAverages returns an index of 100,000 random averages (10,000
// under -short) and a query.
func benchAverages(b *testing.B) (*Index, *Hash) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	rng := rand.New(rand.NewPCG(5, 6))
	x := NewIndex()
	h := &Hash{}
	for id := range uint64(n) {
		for k := range h.Average {
			h.Average[k] = float32(rng.NormFloat64())
		}
		x.Add(id, h)
	}
	for k := range h.Average {
		h.Average[k] = float32(rng.NormFloat64())
	}
	b.ResetTimer()
	return x, h
}
