package store

import (
	"errors"
	"slices"
	"testing"
)

func TestChunkRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ids   []uint64
		codes []uint64
		w     int
	}{
		{"empty", nil, nil, 4},
		{"one 256-bit", []uint64{7}, []uint64{1, 2, 3, 4}, 4},
		{"three 64-bit", []uint64{1, 2, 1 << 40}, []uint64{^uint64(0), 0, 42}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := AppendChunk([]byte("prefix"), tc.ids, tc.codes, tc.w)[6:]
			if n, err := ChunkLen(v, tc.w); err != nil || n != len(tc.ids) {
				t.Fatalf("ChunkLen = %d, %v", n, err)
			}
			ids, codes, err := ReadChunk(v, tc.w, []uint64{0}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids[1:], tc.ids) || !slices.Equal(codes, tc.codes) {
				t.Fatalf("read %v %v, want %v %v", ids[1:], codes, tc.ids, tc.codes)
			}
		})
	}
}

func TestChunkCorrupt(t *testing.T) {
	good := AppendChunk(nil, []uint64{1, 2}, []uint64{10, 20}, 1)
	flipped := slices.Clone(good)
	flipped[len(flipped)-1] ^= 1
	descending := AppendChunk(nil, []uint64{2, 1}, []uint64{10, 20}, 1)
	for _, tc := range []struct {
		name string
		v    []byte
		w    int
	}{
		{"empty value", nil, 1},
		{"truncated", good[:len(good)-3], 1},
		{"other width", good, 4},
		{"bit flipped", flipped, 1},
		{"ids descend", descending, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids, codes, err := ReadChunk(tc.v, tc.w, []uint64{9}, []uint64{9})
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
			if !slices.Equal(ids, []uint64{9}) || !slices.Equal(codes, []uint64{9}) {
				t.Fatalf("a bad chunk changed the output: %v %v", ids, codes)
			}
		})
	}
}

func TestCodesKey(t *testing.T) {
	alg, c, err := ParseCodesKey(CodesKey(5, 1<<33))
	if err != nil || alg != 5 || c != 1<<33 {
		t.Fatalf("ParseCodesKey = %d %d %v", alg, c, err)
	}
	if _, _, err := ParseCodesKey([]byte{1, 2}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("short key: %v", err)
	}
}

func FuzzReadChunk(f *testing.F) {
	f.Add(AppendChunk(nil, []uint64{1, 2}, []uint64{10, 20}, 1), 1)
	f.Add(AppendChunk(nil, []uint64{3}, []uint64{1, 2, 3, 4}, 4), 4)
	f.Add([]byte{0, 0, 0, 0}, 4)
	f.Fuzz(func(t *testing.T, v []byte, w int) {
		if w != 1 && w != 4 {
			return
		}
		ids, codes, err := ReadChunk(v, w, nil, nil)
		if err != nil {
			return
		}
		if len(codes) != len(ids)*w || !slices.IsSorted(ids) {
			t.Fatalf("accepted a bad chunk: %d ids, %d words", len(ids), len(codes))
		}
		if again := AppendChunk(nil, ids, codes, w); string(again) != string(v) {
			t.Fatalf("re-encoding differs")
		}
	})
}
