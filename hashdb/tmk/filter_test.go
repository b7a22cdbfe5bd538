package tmk

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// bruteSearch is Search's specification: Level1 against every held hash,
// by descending score, then id.
func bruteSearch(held map[uint64]*Hash, q *Hash, level1 float32) []Candidate {
	if level1 == 0 {
		level1 = DefaultLevel1
	}
	var out []Candidate
	for id, h := range held {
		if s := Level1(q, h); s >= level1 {
			out = append(out, Candidate{ID: id, Level1: s})
		}
	}
	slices.SortFunc(out, func(a, b Candidate) int {
		if a.Level1 != b.Level1 {
			if a.Level1 > b.Level1 {
				return -1
			}
			return 1
		}
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out
}

// checkSearch fails unless Search equals the brute force, score bits
// included.
func checkSearch(t *testing.T, x *Index, held map[uint64]*Hash, q *Hash, level1 float32) {
	t.Helper()
	got, want := x.Search(q, level1), bruteSearch(held, q, level1)
	if len(got) != len(want) {
		t.Fatalf("threshold %v: %d candidates, want %d", level1, len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i].ID || math.Float32bits(got[i].Level1) != math.Float32bits(want[i].Level1) {
			t.Fatalf("threshold %v: candidate %d is %+v, want %+v", level1, i, got[i], want[i])
		}
	}
}

// withCosine returns a row whose cosine with q is about c, of norm about
// scale, from a random direction orthogonal to q.
func withCosine(rng *rand.Rand, q *Hash, c, scale float64) *Hash {
	var p [Dim]float64
	var qq, pq float64
	for k := range p {
		p[k] = rng.NormFloat64()
		qq += float64(q.Average[k]) * float64(q.Average[k])
		pq += p[k] * float64(q.Average[k])
	}
	var pp float64
	for k := range p {
		p[k] -= pq / qq * float64(q.Average[k])
		pp += p[k] * p[k]
	}
	s := math.Sqrt(max(0, 1-c*c))
	h := &Hash{Periods: Periods, Coefficients: Coefficients}
	for k := range p {
		h.Average[k] = float32(scale * (c*float64(q.Average[k])/math.Sqrt(qq) + s*p[k]/math.Sqrt(pp)))
	}
	return h
}

// Rows planted within 1e-7…1e-3 of each threshold, either side, at
// ordinary and extreme magnitudes, are kept exactly as the brute force
// keeps them; so are rows whose score is the threshold itself or one
// float32 step from it.
func TestIndexNearThreshold(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	q := randomHash(rng, nil, 1)
	x := NewIndex()
	held := map[uint64]*Hash{}
	add := func(h *Hash) {
		id := uint64(len(held))
		x.Add(id, h)
		held[id] = h
	}
	for range 300 {
		add(randomHash(rng, nil, 1))
	}
	thresholds := []float32{-1, -0.5, -1e-3, 1e-9, 0.3, DefaultLevel1, 0.9, 0.99, 0.999999}
	scales := []float64{1, 1e-3, 1e5, 0x1p-39, 0x1p39, 0x1p-45, 0x1p45, 1e-30, 1e30}
	for _, th := range thresholds {
		for _, d := range []float64{1e-7, 1e-6, 1e-5, 3e-5, 1e-4, 1e-3} {
			for _, sign := range []float64{-1, 1} {
				c := min(1, max(-1, float64(th)+sign*d))
				add(withCosine(rng, q, c, scales[rng.IntN(len(scales))]))
			}
		}
	}
	add(&Hash{})
	add(q)
	for _, th := range thresholds {
		checkSearch(t, x, held, q, th)
	}
	// Rows whose every rounding error lies with the query's sign score
	// coarsely lower than exactly, by nearly the bound: at thresholds on
	// their own scores the filter must still keep them.
	for i := range 12 {
		id := uint64(len(held))
		add(underCoded(rng, q, []float64{1, -1, 0.3, 0.05}[i%4], math.Ldexp(1, 3*i-15)))
		s := Level1(q, held[id])
		for _, th := range []float32{s, math.Nextafter32(s, -2)} {
			checkSearch(t, x, held, q, th)
		}
	}
	for _, id := range []uint64{3, 301, 320, 400} {
		s := Level1(q, held[id])
		for _, th := range []float32{s, math.Nextafter32(s, 2), math.Nextafter32(s, -2)} {
			checkSearch(t, x, held, q, th)
		}
	}
	for _, sc := range []float32{0x1p-50, 1e-20, 1e20, 0x1p50} {
		qs := *q
		for k := range qs.Average {
			qs.Average[k] *= sc
		}
		checkSearch(t, x, held, &qs, 0.5)
	}
	checkSearch(t, x, held, &Hash{}, -1)
	checkSearch(t, x, held, q, float32(math.NaN()))
	checkSearch(t, x, held, q, float32(math.Inf(-1)))
}

// underCoded returns a row near s times q's direction, of largest
// magnitude m, placed just short of half a code step from its code, on
// the side that makes its coarse cosine with q lower than its exact one.
func underCoded(rng *rand.Rand, q *Hash, s, m float64) *Hash {
	var mq float64
	for _, v := range q.Average {
		mq = max(mq, math.Abs(float64(v)))
	}
	r := &Hash{}
	for k, v := range q.Average {
		j := math.Round(s*float64(v)/mq*(rowMax-2) + rng.NormFloat64())
		j = max(-(rowMax - 1), min(rowMax-1, j))
		off := 0.4999
		if v < 0 {
			off = -off
		}
		r.Average[k] = float32((j + off) * m / rowMax)
	}
	r.Average[rng.IntN(Dim)] = float32(m)
	return r
}

// Rows that are zero, tiny, huge or not finite score as Level1 scores
// them, whatever the query.
func TestIndexIrregularRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	q := randomHash(rng, nil, 1)
	x := NewIndex()
	held := map[uint64]*Hash{}
	one := func(v float32) *Hash {
		h := *q
		h.Average[17] = v
		return &h
	}
	scaled := func(s float32) *Hash {
		h := *q
		for k := range h.Average {
			h.Average[k] *= s
		}
		return &h
	}
	rows := []*Hash{
		{}, one(float32(math.NaN())), one(float32(math.Inf(1))), one(math.MaxFloat32),
		scaled(1e-38), scaled(1e-45), scaled(1e19), scaled(1e-19), scaled(1e25), scaled(-1),
		one(0), q,
	}
	for i, h := range rows {
		x.Add(uint64(i), h)
		held[uint64(i)] = h
	}
	for _, qh := range append(rows, q) {
		for _, th := range []float32{-1, 1e-9, 0.7, 1} {
			checkSearch(t, x, held, qh, th)
		}
	}
}

// Adds, replacements and removals keep the coarse copy in step with the
// rows: searches after each agree with the brute force.
func TestIndexRemoveThenSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	q := randomHash(rng, nil, 1)
	x := NewIndex()
	held := map[uint64]*Hash{}
	for id := range uint64(600) {
		h := withCosine(rng, q, rng.Float64()*2-1, 1)
		x.Add(id, h)
		held[id] = h
	}
	for round := range 6 {
		for range 80 {
			id := uint64(rng.IntN(700))
			if rng.IntN(3) == 0 {
				h := withCosine(rng, q, rng.Float64()*2-1, 1)
				x.Add(id, h)
				held[id] = h
			} else {
				x.Remove(id)
				delete(held, id)
			}
		}
		if x.Len() != len(held) || len(x.codes) != x.Len()*Dim || len(x.scales) != x.Len() {
			t.Fatalf("round %d: %d held, %d codes, %d scales, want %d", round, x.Len(), len(x.codes), len(x.scales), len(held))
		}
		for _, th := range []float32{-0.5, 0.2, 0.8} {
			checkSearch(t, x, held, q, th)
		}
	}
}

// The assembly and the Go dot products of codes agree, extremes included.
func TestDotCodes(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	var q [Dim]int16
	const n = 37
	codes := make([]int8, n*Dim)
	for trial := range 3 {
		for k := range q {
			q[k] = int16(rng.IntN(2*queryMax+1) - queryMax)
		}
		for k := range codes {
			codes[k] = int8(rng.IntN(2*rowMax+1) - rowMax)
		}
		if trial == 1 { // the largest sums either way
			for k := range q {
				q[k] = queryMax
			}
			for k := range codes {
				codes[k] = rowMax
				if k >= Dim {
					codes[k] = -rowMax
				}
			}
		}
		got, want := make([]int32, n), make([]int32, n)
		dotCodes(&q, codes, got)
		dotCodesGeneric(&q, codes, want)
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d: %v, want %v", trial, got, want)
		}
	}
}

// Random rows and queries, with byte-chosen kinds of row (near copies of
// the query at several distances and scales, zero, raw float32 bits,
// rows coded against the query),
// search as the brute force does.
func FuzzIndexSearch(f *testing.F) {
	f.Add(uint64(1), float32(0.7), []byte{0, 1, 2, 3, 4, 5, 6, 7})
	f.Add(uint64(2), float32(-0.2), []byte{9, 9, 9, 200, 17, 33})
	f.Add(uint64(3), float32(0.99), []byte{1, 1, 1, 1, 1, 1, 8})
	f.Fuzz(func(t *testing.T, seed uint64, th float32, kinds []byte) {
		if len(kinds) > 64 {
			kinds = kinds[:64]
		}
		rng := rand.New(rand.NewPCG(seed, 15))
		q := randomHash(rng, nil, 1)
		x := NewIndex()
		held := map[uint64]*Hash{}
		for i, b := range kinds {
			var h *Hash
			switch b % 9 {
			case 0:
				h = randomHash(rng, nil, 1)
			case 1:
				h = randomHash(rng, q, float32(math.Pow(10, -float64(b/8%8))))
			case 2:
				h = withCosine(rng, q, float64(th)+(rng.Float64()*2-1)*1e-4, math.Ldexp(1, int(b/8)-16))
			case 3:
				h = &Hash{}
			case 4:
				h = &Hash{}
				for k := range h.Average {
					h.Average[k] = math.Float32frombits(rng.Uint32())
				}
			case 5:
				h = randomHash(rng, nil, 1)
				for k := range h.Average {
					h.Average[k] *= float32(math.Ldexp(1, int(b)-128))
				}
			case 6:
				h = &Hash{}
				for k := range h.Average {
					h.Average[k] = float32(rng.IntN(5) - 2)
				}
			case 7:
				h = underCoded(rng, q, rng.Float64()*2-1, math.Ldexp(1, int(b/9)-14))
			default:
				h = withCosine(rng, q, rng.Float64()*2-1, 1)
			}
			x.Add(uint64(i%50), h)
			held[uint64(i%50)] = h
		}
		checkSearch(t, x, held, q, th)
		if len(kinds) > 0 {
			qh := held[uint64(kinds[0]%50)]
			if qh != nil {
				checkSearch(t, x, held, qh, th)
			}
		}
	})
}

// The coarse cosine is within g_r·B_q + exactSlack of Level1 for rows
// built so that every rounding error lines up against the query, and
// those rows come near the bound, so it is not slack that hides a flaw.
func TestFilterBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	var worst float64
	for trial := range 200 {
		q := randomHash(rng, nil, 1)
		var qc [Dim]int16
		fq, bq, ok := codeQuery(q.Average[:], &qc)
		if !ok {
			t.Fatal("ordinary query outside the regular range")
		}
		m := math.Ldexp(1, trial%40-20)
		r := &Hash{}
		for k := range r.Average {
			j := float64(rng.IntN(2*rowMax-1) - (rowMax - 1))
			if trial%2 == 1 {
				j = float64(rng.IntN(5) - 2) // small codes: large relative error
			}
			off := 0.4999
			if q.Average[k] > 0 {
				off = -off
			}
			r.Average[k] = float32((j + off) * m / rowMax)
		}
		r.Average[rng.IntN(Dim)] = float32(m) // the largest magnitude, exactly coded
		c := make([]int8, Dim)
		sc := code(r.Average[:], c)
		var d [1]int32
		dotCodes(&qc, c, d[:])
		a := float64(d[0]) * fq * float64(sc.f)
		bound := float64(sc.g) * bq
		gap := math.Abs(a - float64(Level1(q, r)))
		if gap > bound+exactSlack {
			t.Fatalf("trial %d: coarse %v, Level1 %v, gap %v over bound %v", trial, a, Level1(q, r), gap, bound)
		}
		worst = max(worst, gap/bound)
	}
	if worst < 0.5 {
		t.Fatalf("adversarial rows reach only %.2f of the bound", worst)
	}
	t.Logf("worst gap: %.3f of the bound", worst)
}
