package tmk

import "slices"

// An Index holds the pure averages of many hashes, each under an id, and
// finds those whose level-1 score with a query reaches a threshold. It is
// exact: the candidates, and each score bit for bit, are those of
// [Level1] over every held hash. A search scans a coarse int8 copy of
// each row (256 bytes, a quarter of its floats), bounds each coarse
// cosine's error (filter.go), and rescores exactly only the rows that
// bound cannot rule out, so at 100k hashes it reads about 26 MB rather
// than 100 MB. A hash costs 1,300 bytes of rows (floats, code, norm,
// scales and id) and its map entry. An Index is not safe for concurrent
// writes; searches may run concurrently with each other.
type Index struct {
	ids    []uint64
	avgs   []float32 // Dim per row
	norms  []float32
	codes  []int8 // Dim per row
	scales []rowScale
	row    map[uint64]int
}

// A Candidate is a stored hash whose level-1 score passed.
type Candidate struct {
	ID     uint64
	Level1 float32
}

// NewIndex returns an empty index.
func NewIndex() *Index { return &Index{row: make(map[uint64]int)} }

// Len returns the number of hashes held.
func (x *Index) Len() int { return len(x.ids) }

// Add holds h's pure average under id, replacing any held under it.
func (x *Index) Add(id uint64, h *Hash) {
	i, ok := x.row[id]
	if !ok {
		i = len(x.ids)
		x.row[id] = i
		x.ids = append(x.ids, id)
		x.avgs = append(x.avgs, h.Average[:]...)
		x.norms = append(x.norms, 0)
		x.codes = slices.Grow(x.codes, Dim)[:(i+1)*Dim]
		x.scales = append(x.scales, rowScale{})
	}
	a := x.avgs[i*Dim : (i+1)*Dim]
	copy(a, h.Average[:])
	x.norms[i] = norm(a)
	x.scales[i] = code(a, x.codes[i*Dim:(i+1)*Dim])
}

// Remove drops the hash held under id, if any.
func (x *Index) Remove(id uint64) {
	i, ok := x.row[id]
	if !ok {
		return
	}
	last := len(x.ids) - 1
	if i != last {
		x.ids[i], x.norms[i], x.scales[i] = x.ids[last], x.norms[last], x.scales[last]
		copy(x.avgs[i*Dim:(i+1)*Dim], x.avgs[last*Dim:])
		copy(x.codes[i*Dim:(i+1)*Dim], x.codes[last*Dim:])
		x.row[x.ids[i]] = i
	}
	delete(x.row, id)
	x.ids, x.norms, x.scales = x.ids[:last], x.norms[:last], x.scales[:last]
	x.avgs, x.codes = x.avgs[:last*Dim], x.codes[:last*Dim]
}

// filterRows is how many rows' integer dot products a search holds at a
// time: enough to amortise the call, few enough to stay in L1.
const filterRows = 256

// Search returns the held hashes whose level-1 score with q is at least
// level1 (0 means [DefaultLevel1]), by descending score, then id.
func (x *Index) Search(q *Hash, level1 float32) []Candidate {
	if level1 == 0 {
		level1 = DefaultLevel1
	}
	qa := q.Average[:]
	nq := norm(qa)
	var qc [Dim]int16
	fq, bq, ok := codeQuery(qa, &qc)
	var out []Candidate
	if !ok {
		out = x.scan(qa, nq, level1)
	} else {
		cut := float64(level1) - exactSlack - approxSlack
		var d [filterRows]int32
		n := len(x.ids)
		for i := 0; i < n; i += filterRows {
			m := min(filterRows, n-i)
			dotCodes(&qc, x.codes[i*Dim:(i+m)*Dim], d[:m])
			sc := x.scales[i : i+m]
			for j, dj := range d[:m] {
				if float64(dj)*fq*float64(sc[j].f)+float64(sc[j].g)*bq >= cut {
					k := i + j
					out = x.keep(out, k, dot(qa, x.avgs[k*Dim:(k+1)*Dim]), nq, level1)
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b Candidate) int {
		switch {
		case a.Level1 > b.Level1:
			return -1
		case a.Level1 < b.Level1:
			return 1
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out
}

// scan scores every row exactly, for queries the filter cannot bound.
func (x *Index) scan(qa []float32, nq, level1 float32) []Candidate {
	var out []Candidate
	n := len(x.ids)
	i := 0
	// Four rows at a time: four independent sums, each in the
	// reference's order, so the float32 latency is hidden.
	for ; i+4 <= n; i += 4 {
		r := x.avgs[i*Dim : (i+4)*Dim : (i+4)*Dim]
		r0, r1, r2, r3 := r[:Dim:Dim], r[Dim:2*Dim:2*Dim], r[2*Dim:3*Dim:3*Dim], r[3*Dim:4*Dim:4*Dim]
		var s0, s1, s2, s3 float32
		for k := range Dim {
			v := qa[k]
			s0 += float32(v * r0[k])
			s1 += float32(v * r1[k])
			s2 += float32(v * r2[k])
			s3 += float32(v * r3[k])
		}
		for j, s := range [4]float32{s0, s1, s2, s3} {
			out = x.keep(out, i+j, s, nq, level1)
		}
	}
	for ; i < n; i++ {
		out = x.keep(out, i, dot(qa, x.avgs[i*Dim:(i+1)*Dim]), nq, level1)
	}
	return out
}

// keep appends row i to out if its score, from dot product d, passes:
// the reference's cosine, dot / (|q| × |row|), 0 when both are zero.
func (x *Index) keep(out []Candidate, i int, d, nq, level1 float32) []Candidate {
	nr := x.norms[i]
	s := float32(0)
	if nq != 0 || nr != 0 {
		s = d / float32(nq*nr)
	}
	if s >= level1 {
		out = append(out, Candidate{ID: x.ids[i], Level1: s})
	}
	return out
}
