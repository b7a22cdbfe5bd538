package hashdb

import (
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/hashshare/hashshare/match"
)

// TestDigestIndex drives a digest index and a map with the same random
// adds, replacements, removals, batches and builds, across its rebuild
// thresholds, and checks every search against the map.
func TestDigestIndex(t *testing.T) {
	for _, tc := range []struct {
		name       string
		ops, codes int // ops to run; distinct codes drawn from (few: shared)
		build      int // ids built at the start
	}{
		{"empty, few codes", 3000, 7, 0},
		{"built, many codes", 30000, 1 << 40, 20000},
		{"built, shared codes", 30000, 50, 10000},
		{"past the pending limit", 20000, 1 << 40, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.ops), uint64(tc.build)))
			x := newDigestIndex()
			want := map[uint64]uint64{}
			code := func() uint64 { return rng.Uint64N(uint64(tc.codes)) * 0x9e3779b97f4a7c15 }
			id := func() uint64 { return rng.Uint64N(uint64(tc.build + tc.ops/2 + 1)) }
			var ids, codes []uint64
			for i := range tc.build {
				ids, codes = append(ids, uint64(i)), append(codes, code())
				want[uint64(i)] = codes[i]
			}
			rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j], codes[i], codes[j] = ids[j], ids[i], codes[j], codes[i] })
			if err := x.Build(context.Background(), ids, codes); err != nil {
				t.Fatal(err)
			}
			for i := range tc.ops {
				switch r := rng.IntN(10); {
				case r < 5:
					k, c := id(), code()
					if err := x.Add(k, []uint64{c}); err != nil {
						t.Fatal(err)
					}
					want[k] = c
				case r < 8:
					k := id()
					_, had := want[k]
					if got := x.Remove(k); got != had {
						t.Fatalf("Remove(%d) = %v, want %v", k, got, had)
					}
					delete(want, k)
				default:
					rm := []uint64{id(), id()}
					add := []uint64{id(), id(), id()}
					cs := []uint64{code(), code(), code()}
					if err := x.Update(context.Background(), rm, add, cs); err != nil {
						t.Fatal(err)
					}
					for _, k := range rm {
						delete(want, k)
					}
					for j, k := range add {
						want[k] = cs[j]
					}
				}
				if i%1499 == 0 || i == tc.ops-1 {
					checkDigestIndex(t, x, want)
				}
			}
		})
	}
}

func checkDigestIndex(t *testing.T, x *digestIndex, want map[uint64]uint64) {
	t.Helper()
	if x.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", x.Len(), len(want))
	}
	byCode := map[uint64][]uint64{}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		byCode[want[k]] = append(byCode[want[k]], k)
		if c, ok := x.Code(k); !ok || c[0] != want[k] {
			t.Fatalf("Code(%d) = %v, %v; want %x", k, c, ok, want[k])
		}
	}
	for c, ids := range byCode {
		got, err := x.Search([]uint64{c}, 0)
		if err != nil {
			t.Fatal(err)
		}
		var gotIDs []uint64
		for _, r := range got {
			gotIDs = append(gotIDs, r.ID)
		}
		if !slices.Equal(gotIDs, ids) {
			t.Fatalf("Search(%x) = %v, want %v", c, gotIDs, ids)
		}
	}
	if got, _ := x.Search([]uint64{12345}, 0); len(got) != 0 && want[got[0].ID] != 12345 {
		t.Fatalf("Search of an absent code = %v", got)
	}
}

func TestDigestIndexErrors(t *testing.T) {
	x := newDigestIndex()
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"radius", func() error { _, err := x.Search([]uint64{1}, 1); return err }(), match.ErrRadius},
		{"query words", func() error { _, err := x.Search([]uint64{1, 2}, 0); return err }(), match.ErrCode},
		{"add words", x.Add(1, []uint64{1, 2}), match.ErrCode},
		{"build lengths", x.Build(ctx, []uint64{1}, nil), match.ErrCode},
		{"duplicate", x.Build(ctx, []uint64{1, 1}, []uint64{2, 3}), match.ErrDuplicate},
		{"update lengths", x.Update(ctx, nil, []uint64{1}, nil), match.ErrCode},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
		}
	}
}

// TestDigestIndexConcurrent searches while another goroutine adds and
// removes (run with -race).
func TestDigestIndexConcurrent(t *testing.T) {
	x := newDigestIndex()
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range uint64(20000) {
			_ = x.Add(i, []uint64{i % 100})
			if i%3 == 0 {
				x.Remove(i / 2)
			}
		}
	})
	for range 2000 {
		if _, err := x.Search([]uint64{7}, 0); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	got, _ := x.Search([]uint64{7}, 0)
	for _, r := range got {
		if r.ID%100 != 7 {
			t.Fatalf("Search(7) found id %d", r.ID)
		}
	}
}
