package vpdq

import (
	"testing"
)

// hashOf builds a hash of frames given as (words, quality); frame i is at
// i seconds.
func hashOf(fs ...Feature) *Hash {
	for i := range fs {
		fs[i].Frame, fs[i].Seconds = uint32(i), float64(i)
	}
	return &Hash{Features: fs}
}

// at returns a PDQ hash with the n lowest bits of base flipped.
func at(base byte, n int) [32]byte {
	var h [32]byte
	for i := range h {
		h[i] = base
	}
	for i := 0; i < n; i++ {
		h[31-i/8] ^= 1 << (i % 8)
	}
	return h
}

func TestCompareRules(t *testing.T) {
	x, y := byte(0x00), byte(0xff) // 256 bits apart
	for _, c := range []struct {
		name       string
		q, c       *Hash
		o          CompareOptions
		pq, pc     float64
		cq, cc     float64 // C++ rule
		pyMatch    bool
		pyQ, pyC   int // pytx filtered frame counts
		cppQ, cppC int
	}{
		{name: "distance 31 agrees only for pytx",
			q: hashOf(Feature{PDQ: at(x, 0), Quality: 100}), c: hashOf(Feature{PDQ: at(x, 31), Quality: 100}),
			pq: 100, pc: 100, cq: 0, cc: 0, pyMatch: true, pyQ: 1, pyC: 1, cppQ: 1, cppC: 1},
		{name: "distance 30 agrees for both",
			q: hashOf(Feature{PDQ: at(x, 0), Quality: 100}), c: hashOf(Feature{PDQ: at(x, 30), Quality: 100}),
			pq: 100, pc: 100, cq: 100, cc: 100, pyMatch: true, pyQ: 1, pyC: 1, cppQ: 1, cppC: 1},
		{name: "pytx dedupes before the quality filter",
			// The first copy of the repeated hash is low quality: pytx keeps
			// it, then filters it out; the C++ keeps the later good copy.
			q:  hashOf(Feature{PDQ: at(x, 0), Quality: 100}, Feature{PDQ: at(y, 0), Quality: 100}),
			c:  hashOf(Feature{PDQ: at(y, 0), Quality: 10}, Feature{PDQ: at(y, 0), Quality: 90}, Feature{PDQ: at(x, 0), Quality: 90}),
			pq: 50, pc: 100, cq: 100, cc: 100, pyQ: 2, pyC: 1, cppQ: 2, cppC: 2},
		{name: "C++ counts repeats",
			q:  hashOf(Feature{PDQ: at(x, 0), Quality: 100}, Feature{PDQ: at(x, 0), Quality: 100}, Feature{PDQ: at(y, 0), Quality: 100}),
			c:  hashOf(Feature{PDQ: at(x, 1), Quality: 100}),
			pq: 50, pc: 100, cq: 100 * 2.0 / 3, cc: 100, pyQ: 2, pyC: 1, cppQ: 3, cppC: 1},
		{name: "empty after the filter",
			q: hashOf(Feature{PDQ: at(x, 0), Quality: 49}), c: hashOf(Feature{PDQ: at(x, 0), Quality: 100}),
			pyQ: 0, pyC: 1, cppQ: 0, cppC: 1},
		{name: "thresholds per call",
			q:  hashOf(Feature{PDQ: at(x, 0), Quality: 49}, Feature{PDQ: at(y, 0), Quality: 100}),
			c:  hashOf(Feature{PDQ: at(x, 10), Quality: 49}),
			o:  CompareOptions{Quality: -1, Distance: 10, QueryPercent: 50, ComparedPercent: 100},
			pq: 50, pc: 100, cq: 0, cc: 0, pyMatch: true, pyQ: 2, pyC: 1, cppQ: 2, cppC: 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := c.o
			r := Compare(c.q, c.c, &o)
			if r.QueryPercent != c.pq || r.ComparedPercent != c.pc || r.Match != c.pyMatch || r.QueryFrames != c.pyQ || r.ComparedFrames != c.pyC {
				t.Errorf("pytx: %+v, want %v/%v match %v frames %d/%d", r, c.pq, c.pc, c.pyMatch, c.pyQ, c.pyC)
			}
			o.Rule = CPP
			r = Compare(c.q, c.c, &o)
			if r.QueryPercent != c.cq || r.ComparedPercent != c.cc || r.QueryFrames != c.cppQ || r.ComparedFrames != c.cppC {
				t.Errorf("cpp: %+v, want %v/%v frames %d/%d", r, c.cq, c.cc, c.cppQ, c.cppC)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	d, q, qp, cp := (*CompareOptions)(nil).Params()
	if d != 31 || q != 50 || qp != 80 || cp != 0 {
		t.Errorf("defaults %d %d %v %v, want pytx's 31 50 80 0", d, q, qp, cp)
	}
	d, q, qp, _ = (&CompareOptions{Distance: -1, Quality: -1, QueryPercent: -1}).Params()
	if d != 0 || q != 0 || qp != 0 {
		t.Errorf("negative fields: %d %d %v, want 0s", d, q, qp)
	}
}

func TestPairsAndSegments(t *testing.T) {
	var qs, cs []Feature
	for i := 0; i < 10; i++ {
		qs = append(qs, Feature{PDQ: at(byte(i*25), 0), Quality: 100})
	}
	// The compared video holds query seconds 2–5 at its seconds 10–13
	// and query seconds 8–9 at its 0–1.
	for i := 0; i < 14; i++ {
		var f Feature
		switch {
		case i >= 10:
			f = Feature{PDQ: at(byte((i-8)*25), 3), Quality: 100}
		case i < 2:
			f = Feature{PDQ: at(byte((i+8)*25), 3), Quality: 100}
		default:
			f = Feature{PDQ: at(0x5a, i), Quality: 100}
		}
		cs = append(cs, f)
	}
	q, c := hashOf(qs...), hashOf(cs...)
	pq, pc := Prepare(q, PyTX, 50), Prepare(c, PyTX, 50)
	pairs := Pairs(pq, pc, nil, 0)
	if len(pairs) != 6 {
		t.Fatalf("%d pairs, want 6: %+v", len(pairs), pairs)
	}
	if p := pairs[0]; p.Query.Seconds != 2 || p.Compared.Seconds != 10 || p.Distance != 3 {
		t.Errorf("first pair %+v", p)
	}
	if got := Pairs(pq, pc, nil, 2); len(got) != 2 {
		t.Errorf("limit 2 gave %d pairs", len(got))
	}
	segs := Segments(pairs, 0)
	want := []Segment{{2, 5, 10, 13, 4}, {8, 9, 0, 1, 2}}
	if len(segs) != len(want) {
		t.Fatalf("segments %+v, want %+v", segs, want)
	}
	for i := range want {
		if segs[i] != want[i] {
			t.Errorf("segment %d = %+v, want %+v", i, segs[i], want[i])
		}
	}
}

func TestHMAString(t *testing.T) {
	// Python's f"{x:.0f}" rounds half to even, as Go does.
	for _, c := range []struct {
		q, c float64
		want string
	}{{100, 92.763, "100%[93%]"}, {92.5, 12.5, "92%[12%]"}, {99.5, 0.5, "100%[0%]"}} {
		r := Result{QueryPercent: c.q, ComparedPercent: c.c}
		if got := r.HMAString(); got != c.want {
			t.Errorf("%v/%v: %q, want %q", c.q, c.c, got, c.want)
		}
	}
}
