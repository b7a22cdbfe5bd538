package match

import "slices"

// topK keeps the k smallest results seen, by distance then id, in a max-heap
// whose root is the worst of them.
type topK struct {
	k int
	h []Result
}

// full reports whether k results are held; worst is then the root.
func (t *topK) full() bool { return len(t.h) >= t.k }

// worst returns the largest result kept; only meaningful when full.
func (t *topK) worst() Result { return t.h[0] }

// admits reports whether a result at distance d with id would be kept.
func (t *topK) admits(d int, id uint64) bool {
	if !t.full() {
		return true
	}
	return t.k > 0 && less(Result{id, d}, t.h[0])
}

// push offers r; it is kept if it is among the k smallest so far.
func (t *topK) push(r Result) {
	if t.k <= 0 {
		return
	}
	if len(t.h) < t.k {
		t.h = append(t.h, r)
		// sift up
		i := len(t.h) - 1
		for i > 0 {
			p := (i - 1) / 2
			if !less(t.h[p], t.h[i]) {
				break
			}
			t.h[p], t.h[i] = t.h[i], t.h[p]
			i = p
		}
		return
	}
	if !less(r, t.h[0]) {
		return
	}
	t.h[0] = r
	// sift down
	i, n := 0, len(t.h)
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && less(t.h[c], t.h[c+1]) {
			c++
		}
		if !less(t.h[i], t.h[c]) {
			break
		}
		t.h[i], t.h[c] = t.h[c], t.h[i]
		i = c
	}
}

// sorted returns the kept results in ascending order.
func (t *topK) sorted() []Result {
	out := slices.Clone(t.h)
	slices.SortFunc(out, cmpResult)
	return out
}
