package match

import (
	"math"
	"math/bits"
)

// probeCost is how many linear-scan entries one bucket probe is worth: a
// probe is a random memory access, a scanned entry a sequential one. When
// the probes a query needs cost more than scanning every code, it scans.
const probeCost = 8

// subRadius returns the radius to which substring i of m is probed for a
// search of radius r = m·q + a: q for the first a+1 substrings, q-1 for the
// rest (-1: not probed). A code none of these probes find differs in at
// least q+1 bits on a+1 substrings and q on the others, m·q+a+1 > r in all.
func subRadius(r, m, i int) int {
	q, a := r/m, r%m
	if i <= a {
		return q
	}
	return q - 1
}

// search appends the live main-part codes within radius r of q to dst.
func (x *MIH) search(dst []Result, q []uint64, r int, sc *scratch) []Result {
	n, m := len(x.ids), len(x.tabs)
	if n == 0 {
		return dst
	}
	probes := 0.0
	for i := range x.tabs {
		for s := 0; s <= subRadius(r, m, i); s++ {
			probes += binomial(int(x.tabs[i].width), s)
		}
	}
	if m == 0 || probes*x.probeCost > float64(n) {
		return scan(dst, x.ids, x.codes, q, r, x.dead)
	}
	sc.qs = sc.qs[:0]
	for i := range x.tabs {
		sc.qs = append(sc.qs, sub(q, x.tabs[i].start, x.tabs[i].width))
	}
	for i := range x.tabs {
		t := &x.tabs[i]
		rad := subRadius(r, m, i)
		if rad < 0 {
			break // radii only fall with i
		}
		sc.keys, sc.hs = t.appendUsed(sc.keys[:0], sc.hs, sc.qs[i], 0, rad)
		if x.w == 1 {
			dst = x.probe1(dst, t, i, q[0], r, sc)
		} else {
			dst = x.probe4(dst, t, i, q, r, sc)
		}
	}
	return dst
}

// The probes run in passes over buffers rather than bucket by bucket, so
// that the memory accesses of one pass do not depend on each other and the
// CPU overlaps their cache misses: first every bucket's range, then every
// range's slots, then every slot's code.

// fillRanges sets sc.ranges to the slot ranges of the buckets sc.keys,
// which are all non-empty.
func (sc *scratch) fillRanges(t *table) {
	sc.ranges = grow(sc.ranges, len(sc.keys))
	sc.ends = grow(sc.ends, len(sc.keys))
	sc.sink += t.ranges(sc.keys, sc.ranges, sc.ends)
}

// probe1 verifies the 64-bit candidates in the buckets sc.keys of table i.
func (x *MIH) probe1(dst []Result, t *table, i int, q uint64, r int, sc *scratch) []Result {
	sc.fillRanges(t)
	cands := 0
	for _, lh := range sc.ranges {
		lo, hi := uint32(lh), uint32(lh>>32)
		cands += int(hi - lo)
		if t.codes == nil {
			for p := lo; p < hi; p++ {
				s := t.slot(p)
				if d := bits.OnesCount64(x.codes[s] ^ q); d <= r {
					dst = x.accept(dst, s, d, i, r, sc)
				}
			}
			continue
		}
		for p, c := range t.codes[lo:hi] {
			if d := bits.OnesCount64(c ^ q); d <= r {
				dst = x.accept(dst, t.slot(lo+uint32(p)), d, i, r, sc)
			}
		}
	}
	x.cands.Add(int64(cands))
	return dst
}

// probe4 verifies the 256-bit candidates in the buckets sc.keys of table i.
func (x *MIH) probe4(dst []Result, t *table, i int, q []uint64, r int, sc *scratch) []Result {
	sc.fillRanges(t)
	n := 0
	for _, lh := range sc.ranges {
		n += int(uint32(lh>>32) - uint32(lh))
	}
	if cap(sc.slots) < n {
		sc.slots = make([]uint32, n)
	}
	sc.slots = sc.slots[:n]
	n = 0
	for _, lh := range sc.ranges {
		for p := uint32(lh); p < uint32(lh>>32); p++ {
			sc.slots[n] = t.slot(p)
			n++
		}
	}
	x.cands.Add(int64(n))
	q0, q1, q2, q3 := q[0], q[1], q[2], q[3]
	codes := x.codes
	for _, s := range sc.slots {
		c := codes[s*4 : s*4+4 : s*4+4]
		d := bits.OnesCount64(c[0]^q0) + bits.OnesCount64(c[1]^q1) +
			bits.OnesCount64(c[2]^q2) + bits.OnesCount64(c[3]^q3)
		if d <= r {
			dst = x.accept(dst, s, d, i, r, sc)
		}
	}
	return dst
}

// accept appends slot s, found through table i at distance d ≤ r, unless it
// is dead or an earlier table's probes have already found it — which is so
// when its substring j < i is within that table's sub-radius. Checking this
// only for codes within the radius keeps duplicates out without a visited
// set.
func (x *MIH) accept(dst []Result, s uint32, d, i, r int, sc *scratch) []Result {
	if isDead(x.dead, int(s)) {
		return dst
	}
	code := x.codes[int(s)*x.w : int(s+1)*x.w]
	m := len(x.tabs)
	for j := range i {
		t := &x.tabs[j]
		if bits.OnesCount32(sub(code, t.start, t.width)^sc.qs[j]) <= subRadius(r, m, j) {
			return dst
		}
	}
	return append(dst, Result{x.ids[s], d})
}

// nearest offers the main part's codes to t, probing the substrings' rings
// in the order (ring 0 of every table, ring 1 of every table, …) until the
// k-th best is certainly final.
func (x *MIH) nearest(t *topK, q []uint64, sc *scratch) {
	n, m := len(x.ids), len(x.tabs)
	if n == 0 {
		return
	}
	sc.qs = sc.qs[:0]
	maxw := 0
	for i := range x.tabs {
		sc.qs = append(sc.qs, sub(q, x.tabs[i].start, x.tabs[i].width))
		maxw = max(maxw, int(x.tabs[i].width))
	}
	budget := math.Inf(1)
	if x.probeCost > 0 {
		// Rings grow fast: when the k-th neighbour is far, the tables cannot
		// beat a scan, so give up on them early, after probing 1/32 of what
		// a radius search may (enough for rings 0–2 of every table, which
		// cover distances up to 3m-1, from about 1M codes up).
		budget = float64(n) / (32 * x.probeCost)
	}
	for s := 0; s <= maxw && m > 0; s++ {
		for i := range x.tabs {
			tb := &x.tabs[i]
			if s > int(tb.width) {
				continue // every code was found at its own ring of this table
			}
			if budget -= binomial(int(tb.width), s); budget < 0 {
				x.nearestScan(t, q)
				return
			}
			sc.keys, sc.hs = tb.appendUsed(sc.keys[:0], sc.hs, sc.qs[i], s, s)
			for _, k := range sc.keys {
				lo, hi := tb.bucket(k)
				for p := lo; p < hi; p++ {
					slot := tb.slot(p)
					code := x.codes[int(slot)*x.w : int(slot+1)*x.w]
					d := distance(code, q)
					if !t.admits(d, x.ids[slot]) || isDead(x.dead, int(slot)) || x.seen(code, i, s, sc) {
						continue
					}
					t.push(Result{x.ids[slot], d})
				}
			}
			// Every unseen code now differs in ≥ s+1 bits on tables 0…i
			// and ≥ s on the rest: its distance exceeds m·s + i.
			if t.full() && t.worst().Distance <= m*s+i {
				return
			}
		}
	}
	if m == 0 {
		x.nearestScan(t, q)
	}
}

// seen reports whether code, met at ring s of table i, was met before: at a
// smaller ring of another table, or at ring s of an earlier one.
func (x *MIH) seen(code []uint64, i, s int, sc *scratch) bool {
	for j := range x.tabs {
		if j == i {
			continue
		}
		t := &x.tabs[j]
		dj := bits.OnesCount32(sub(code, t.start, t.width) ^ sc.qs[j])
		if dj < s || (dj == s && j < i) {
			return true
		}
	}
	return false
}

// nearestScan replaces whatever the main part offered t by a full scan.
func (x *MIH) nearestScan(t *topK, q []uint64) {
	t.h = t.h[:0]
	scanTop(t, x.pids, x.pcodes, q, nil)
	scanTop(t, x.ids, x.codes, q, x.dead)
}
