package match

import "math/bits"

// scan appends to dst every entry of ids/codes within radius r of q,
// skipping slots marked in dead (a bitset, may be nil). The loops are
// specialised for one and four words, the two supported widths.
func scan(dst []Result, ids, codes, q []uint64, r int, dead []uint64) []Result {
	switch len(q) {
	case 1:
		q0 := q[0]
		for i, c := range codes {
			if d := bits.OnesCount64(c ^ q0); d <= r && !isDead(dead, i) {
				dst = append(dst, Result{ids[i], d})
			}
		}
	case 4:
		q0, q1, q2, q3 := q[0], q[1], q[2], q[3]
		for i := range ids {
			c := codes[i*4 : i*4+4 : i*4+4]
			d := bits.OnesCount64(c[0]^q0) + bits.OnesCount64(c[1]^q1) +
				bits.OnesCount64(c[2]^q2) + bits.OnesCount64(c[3]^q3)
			if d <= r && !isDead(dead, i) {
				dst = append(dst, Result{ids[i], d})
			}
		}
	}
	return dst
}

// scanTop offers every live entry of ids/codes to t.
func scanTop(t *topK, ids, codes, q []uint64, dead []uint64) {
	if len(q) != 4 {
		for i, id := range ids {
			d := distance(codes[i:i+1], q)
			if t.admits(d, id) && !isDead(dead, i) {
				t.push(Result{id, d})
			}
		}
		return
	}
	q0, q1, q2, q3 := q[0], q[1], q[2], q[3]
	for i, id := range ids {
		c := codes[i*4 : i*4+4 : i*4+4]
		d := bits.OnesCount64(c[0]^q0) + bits.OnesCount64(c[1]^q1) +
			bits.OnesCount64(c[2]^q2) + bits.OnesCount64(c[3]^q3)
		if t.admits(d, id) && !isDead(dead, i) {
			t.push(Result{id, d})
		}
	}
}

// isDead reports whether slot i is marked in the bitset dead.
func isDead(dead []uint64, i int) bool {
	return dead != nil && dead[i>>6]&(1<<(i&63)) != 0
}
