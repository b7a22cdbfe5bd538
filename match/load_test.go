package match

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestLoad checks that Load stores what Build stores, keeps ascending
// input without copying it, and refuses what Build refuses.
func TestLoad(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		bits   int
		sorted bool
	}{
		{"256-bit ascending", 256, true},
		{"256-bit shuffled", 256, false},
		{"64-bit ascending", 64, true},
		{"64-bit shuffled", 64, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.bits / 64
			rng := rand.New(rand.NewPCG(uint64(tc.bits), 7))
			const n = 5000
			ids := make([]uint64, n)
			codes := make([]uint64, n*w)
			for i := range ids {
				ids[i] = uint64(i) * 3
				for j := range w {
					codes[i*w+j] = rng.Uint64()
				}
			}
			if !tc.sorted {
				rng.Shuffle(n, func(i, j int) {
					ids[i], ids[j] = ids[j], ids[i]
					for k := range w {
						codes[i*w+k], codes[j*w+k] = codes[j*w+k], codes[i*w+k]
					}
				})
			}
			built, _ := NewMIH(tc.bits, nil)
			if err := built.Build(ctx, ids, codes); err != nil {
				t.Fatal(err)
			}
			loaded, _ := NewMIH(tc.bits, nil)
			lids, lcodes := slices.Clone(ids), slices.Clone(codes)
			if err := loaded.Load(ctx, lids, lcodes); err != nil {
				t.Fatal(err)
			}
			if kept := &loaded.ids[0] == &lids[0]; kept != tc.sorted {
				t.Errorf("Load kept the caller's ids: %v, want %v", kept, tc.sorted)
			}
			for q := range 50 {
				query := codes[q*w : (q+1)*w]
				want, _ := built.Search(query, tc.bits/8)
				got, _ := loaded.Search(query, tc.bits/8)
				if !slices.Equal(got, want) {
					t.Fatalf("Search = %v, Build gives %v", got, want)
				}
			}
			if err := loaded.Load(ctx, []uint64{1, 1}, make([]uint64, 2*w)); !errors.Is(err, ErrDuplicate) {
				t.Errorf("duplicate ids: %v", err)
			}
			if err := loaded.Load(ctx, []uint64{1}, nil); !errors.Is(err, ErrCode) {
				t.Errorf("missing code: %v", err)
			}
		})
	}
}
