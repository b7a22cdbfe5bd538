package pipeline

import (
	"fmt"
	"testing"
)

// TestOrdered runs jobs through pipelines of several shapes: every job is
// worked once and comes back in order.
func TestOrdered(t *testing.T) {
	tests := []struct{ jobs, batch, depth int }{
		{0, 4, 2}, {1, 4, 2}, {7, 1, 1}, {100, 8, 3}, {100, 0, 0}, {1000, 256, 64},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d/%d/%d", tt.jobs, tt.batch, tt.depth), func(t *testing.T) {
			i := 0
			next := func() ([2]int, bool) {
				if i == tt.jobs {
					return [2]int{}, false
				}
				i++
				return [2]int{i, 0}, true
			}
			p := New(tt.batch, tt.depth, next, func(b [][2]int) {
				for j := range b {
					b[j][1] = b[j][0] * b[j][0]
				}
			})
			defer p.Close()
			want := 1
			for b := p.Next(); b != nil; b = p.Next() {
				for _, j := range b {
					if j[0] != want || j[1] != want*want {
						t.Fatalf("got job %v, want %d worked", j, want)
					}
					want++
				}
			}
			if want != tt.jobs+1 {
				t.Errorf("%d jobs came back, want %d", want-1, tt.jobs)
			}
		})
	}
}

// TestClose stops a pipeline early, twice: the worker ends.
func TestClose(t *testing.T) {
	p := New(2, 2, func() (int, bool) { return 1, true }, func([]int) {})
	if b := p.Next(); len(b) != 2 {
		t.Fatalf("first batch %v", b)
	}
	p.Close()
	p.Close()
}
