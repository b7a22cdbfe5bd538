package match

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
)

// gen makes deterministic test data.
type gen struct {
	r *rand.Rand
	w int
}

func newGen(seed uint64, bits int) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), w: bits / 64}
}

// code returns a uniform random code.
func (g *gen) code() []uint64 {
	c := make([]uint64, g.w)
	for i := range c {
		c[i] = g.r.Uint64()
	}
	return c
}

// numbered returns the ids 0 to n-1, each with a random code.
func (g *gen) numbered(n int) (ids, codes []uint64) {
	for i := range n {
		ids = append(ids, uint64(i))
		codes = append(codes, g.code()...)
	}
	return ids, codes
}

// near returns a copy of c with exactly d distinct bits flipped.
func (g *gen) near(c []uint64, d int) []uint64 {
	out := slices.Clone(c)
	for _, b := range g.r.Perm(64 * g.w)[:d] {
		out[b/64] ^= 1 << (b % 64)
	}
	return out
}

// pair is an index under test and its oracle holding the same codes.
type pair struct {
	t    testing.TB
	mih  *MIH
	lin  *Linear
	bits int
}

func newPair(t testing.TB, bits int, opts *Options, probeCost float64) *pair {
	t.Helper()
	m, err := NewMIH(bits, opts)
	if err != nil {
		t.Fatal(err)
	}
	m.probeCost = probeCost
	l, err := NewLinear(bits)
	if err != nil {
		t.Fatal(err)
	}
	return &pair{t: t, mih: m, lin: l, bits: bits}
}

func (p *pair) add(id uint64, c []uint64) {
	p.t.Helper()
	if err := p.mih.Add(id, c); err != nil {
		p.t.Fatal(err)
	}
	if err := p.lin.Add(id, c); err != nil {
		p.t.Fatal(err)
	}
}

func (p *pair) remove(id uint64) {
	p.t.Helper()
	a, b := p.mih.Remove(id), p.lin.Remove(id)
	if a != b {
		p.t.Fatalf("Remove(%d): MIH %v, Linear %v", id, a, b)
	}
}

func (p *pair) build(ids []uint64, codes []uint64) {
	p.t.Helper()
	if err := p.mih.Build(context.Background(), ids, codes); err != nil {
		p.t.Fatal(err)
	}
	if err := p.lin.Build(context.Background(), ids, codes); err != nil {
		p.t.Fatal(err)
	}
}

// check compares Search at radius r and Nearest for k on query q.
func (p *pair) check(q []uint64, r, k int) {
	p.t.Helper()
	if p.mih.Len() != p.lin.Len() {
		p.t.Fatalf("Len: MIH %d, Linear %d", p.mih.Len(), p.lin.Len())
	}
	got, err := p.mih.Search(q, r)
	if err != nil {
		p.t.Fatal(err)
	}
	want, err := p.lin.Search(q, r)
	if err != nil {
		p.t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		p.t.Fatalf("Search(r=%d) with m=%d: MIH %d results, Linear %d\nMIH    %v\nLinear %v",
			r, p.mih.Substrings(), len(got), len(want), head(got), head(want))
	}
	if k < 0 {
		return
	}
	got, err = p.mih.Nearest(q, k)
	if err != nil {
		p.t.Fatal(err)
	}
	want, err = p.lin.Nearest(q, k)
	if err != nil {
		p.t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		p.t.Fatalf("Nearest(k=%d) with m=%d:\nMIH    %v\nLinear %v", k, p.mih.Substrings(), head(got), head(want))
	}
}

func head(r []Result) []Result { return r[:min(len(r), 12)] }
