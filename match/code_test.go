package match

import (
	"context"
	"slices"
	"testing"
)

func TestCode(t *testing.T) {
	for _, bits := range []int{64, 256} {
		lin, _ := NewLinear(bits)
		mih, _ := NewMIH(bits, nil)
		for name, idx := range map[string]Index{"Linear": lin, "MIH": mih} {
			g := newGen(7, bits)
			want := map[uint64][]uint64{}
			var ids, codes []uint64
			for id := range uint64(500) {
				c := g.code()
				ids, codes = append(ids, id), append(codes, c...)
				want[id] = c
			}
			if err := idx.Build(context.Background(), ids, codes); err != nil {
				t.Fatal(err)
			}
			// A pending add, a replaced code, a removal.
			want[1000] = g.code()
			want[3] = g.code()
			for _, id := range []uint64{1000, 3} {
				if err := idx.Add(id, want[id]); err != nil {
					t.Fatal(err)
				}
			}
			idx.Remove(7)
			delete(want, 7)

			for id := range uint64(1001) {
				got, ok := idx.Code(id)
				w, present := want[id]
				if ok != present || !slices.Equal(got, w) {
					t.Fatalf("%s/%d: Code(%d) = %x, %v; want %x, %v", name, bits, id, got, ok, w, present)
				}
			}
			if got, _ := idx.Code(1000); len(got) > 0 {
				got[0] ^= 1 // a copy: changing it must not change the index
				if again, _ := idx.Code(1000); !slices.Equal(again, want[1000]) {
					t.Fatalf("%s/%d: Code returned the index's own memory", name, bits)
				}
			}
		}
	}
}
