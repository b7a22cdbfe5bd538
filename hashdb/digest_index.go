package hashdb

import (
	"cmp"
	"context"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/hashshare/hashshare/match"
)

// digestIndex is the index of a digest algorithm (MD5, SHA-1, SHA-256):
// an exact lookup of a code (a digest's first 64 bits), which needs no
// Hamming machinery. It holds each id and code once, in id order, plus an
// open-addressing table of positions by code — 22 to 28 bytes per code,
// against about 60 for a multi-index hashing index of 64-bit codes.
//
// Codes are hashed with a random seed before they pick a slot: digests of
// real content are uniform, but a partner's list could hold digests ground
// to share their leading bits, and those must not pile up in one run of
// slots.
//
// Like match.MIH, adds go to a small pending part that searches scan and
// removals set a tombstone; when either grows, the index is rebuilt, in
// time proportional to its size, under the write lock (a digest index
// rebuilds in tens of milliseconds per million codes, so no background
// rebuild is needed).
type digestIndex struct {
	mu   sync.RWMutex
	seed uint64

	ids   []uint64 // ascending
	codes []uint64 // codes[i] is ids[i]'s
	slots []uint32 // 1 + a position in ids, by hashed code; 0 is empty
	shift uint     // 64 - log2(len(slots))
	dead  []uint64 // bitset over positions: removed or replaced
	ndead int

	pids, pcodes []uint64 // the pending part, in no order
	ppos         map[uint64]int
}

// digestPending is the least number of pending codes a digest index holds
// before it rebuilds; it holds up to an eighth of its size.
const digestPending = 4096

func newDigestIndex() *digestIndex {
	return &digestIndex{seed: rand.Uint64() | 1, ppos: make(map[uint64]int)}
}

// Bits returns 64: a digest is indexed by its first word.
func (x *digestIndex) Bits() int { return 64 }

// Len returns the number of ids stored.
func (x *digestIndex) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.ids) - x.ndead + len(x.pids)
}

func (x *digestIndex) slot(code uint64) uint64 {
	return ((code ^ x.seed) * 0x9e3779b97f4a7c15) >> x.shift
}

// Build replaces the contents with ids[i] ↦ codes[i]. It keeps neither
// slice.
func (x *digestIndex) Build(ctx context.Context, ids, codes []uint64) error {
	return x.Load(ctx, slices.Clone(ids), slices.Clone(codes))
}

// Load is Build keeping ids and codes, which the caller hands over.
func (x *digestIndex) Load(ctx context.Context, ids, codes []uint64) error {
	if len(codes) != len(ids) {
		return fmt.Errorf("%w: %d codes for %d ids", match.ErrCode, len(codes), len(ids))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b := codeBatch{ids, codes}
	sortBatch(&b, 1)
	ids, codes = b.ids, b.codes
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			return fmt.Errorf("%w: %d", match.ErrDuplicate, ids[i])
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.install(ids, codes)
	x.pids, x.pcodes, x.ppos = nil, nil, make(map[uint64]int)
	return nil
}

// install makes ids/codes, ascending and without repeats, the main part,
// and builds its table.
func (x *digestIndex) install(ids, codes []uint64) {
	x.ids, x.codes = ids, codes
	x.dead = make([]uint64, (len(ids)+63)/64)
	x.ndead = 0
	// A load of at most 0.7 keeps linear probing short.
	k := max(bits.Len(uint(len(ids)*10/7)), 4)
	x.slots = make([]uint32, 1<<k)
	x.shift = uint(64 - k)
	mask := uint64(len(x.slots) - 1)
	for p, c := range codes {
		s := x.slot(c)
		for x.slots[s] != 0 {
			s = (s + 1) & mask
		}
		x.slots[s] = uint32(p + 1)
	}
}

// rebuild folds the pending part and the tombstones into a new main part.
func (x *digestIndex) rebuild() {
	n := len(x.ids) - x.ndead + len(x.pids)
	ids, codes := make([]uint64, 0, n), make([]uint64, 0, n)
	for p, id := range x.ids {
		if x.dead[p/64]&(1<<(p%64)) == 0 {
			ids, codes = append(ids, id), append(codes, x.codes[p])
		}
	}
	b := codeBatch{append(ids, x.pids...), append(codes, x.pcodes...)}
	sortBatch(&b, 1) // pending ids are dead in the main part: no repeats
	x.install(b.ids, b.codes)
	x.pids, x.pcodes, x.ppos = nil, nil, make(map[uint64]int)
}

// remove deletes id, reporting whether it was stored, and rebuilds when
// a quarter of the main part is dead.
func (x *digestIndex) remove(id uint64) bool {
	if i, ok := x.ppos[id]; ok {
		last := len(x.pids) - 1
		x.pids[i], x.pcodes[i] = x.pids[last], x.pcodes[last]
		x.ppos[x.pids[i]] = i
		x.pids, x.pcodes = x.pids[:last], x.pcodes[:last]
		delete(x.ppos, id)
		return true
	}
	p, ok := slices.BinarySearch(x.ids, id)
	if !ok || x.dead[p/64]&(1<<(p%64)) != 0 {
		return false
	}
	x.dead[p/64] |= 1 << (p % 64)
	if x.ndead++; x.ndead > len(x.ids)/4 && x.ndead > digestPending {
		x.rebuild()
	}
	return true
}

// add stores id ↦ code, replacing id's code, and rebuilds when the
// pending part is full.
func (x *digestIndex) add(id, code uint64) {
	x.remove(id)
	x.ppos[id] = len(x.pids)
	x.pids, x.pcodes = append(x.pids, id), append(x.pcodes, code)
	if len(x.pids) > max(digestPending, len(x.ids)/8) {
		x.rebuild()
	}
}

// Add stores code (one word) under id, replacing the code id had.
func (x *digestIndex) Add(id uint64, code []uint64) error {
	if len(code) != 1 {
		return fmt.Errorf("%w: %d words, want 1", match.ErrCode, len(code))
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.add(id, code[0])
	return nil
}

// Remove deletes id and reports whether it was present.
func (x *digestIndex) Remove(id uint64) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.remove(id)
}

// Update removes the ids in remove, then stores ids[i] ↦ codes[i] in turn,
// as one change searches see whole.
func (x *digestIndex) Update(ctx context.Context, remove, ids, codes []uint64) error {
	if len(codes) != len(ids) {
		return fmt.Errorf("%w: %d codes for %d ids", match.ErrCode, len(codes), len(ids))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range remove {
		x.remove(id)
	}
	for i, id := range ids {
		x.add(id, codes[i])
	}
	return nil
}

// Search returns the ids whose code is query's, sorted by id, at distance
// 0. A digest matches only itself: a radius other than 0 is an error.
func (x *digestIndex) Search(query []uint64, radius int) ([]match.Result, error) {
	if len(query) != 1 {
		return nil, fmt.Errorf("%w: %d words, want 1", match.ErrCode, len(query))
	}
	if radius != 0 {
		return nil, fmt.Errorf("%w: %d for an exact digest index", match.ErrRadius, radius)
	}
	q := query[0]
	var out []match.Result
	x.mu.RLock()
	if len(x.slots) > 0 {
		mask := uint64(len(x.slots) - 1)
		for s := x.slot(q); x.slots[s] != 0; s = (s + 1) & mask {
			p := int(x.slots[s] - 1)
			if x.codes[p] == q && x.dead[p/64]&(1<<(p%64)) == 0 {
				out = append(out, match.Result{ID: x.ids[p]})
			}
		}
	}
	for i, c := range x.pcodes {
		if c == q {
			out = append(out, match.Result{ID: x.pids[i]})
		}
	}
	x.mu.RUnlock()
	slices.SortFunc(out, func(a, b match.Result) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// Code returns the code stored under id, and whether id is stored.
func (x *digestIndex) Code(id uint64) ([]uint64, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if i, ok := x.ppos[id]; ok {
		return []uint64{x.pcodes[i]}, true
	}
	p, ok := slices.BinarySearch(x.ids, id)
	if !ok || x.dead[p/64]&(1<<(p%64)) != 0 {
		return nil, false
	}
	return []uint64{x.codes[p]}, true
}

// Size returns the bytes the index's arrays hold (the pending map aside).
func (x *digestIndex) Size() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return 8*len(x.ids) + 8*len(x.codes) + 4*len(x.slots) + 8*len(x.dead) + 16*len(x.pids)
}
