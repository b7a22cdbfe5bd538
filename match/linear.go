package match

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// Linear is an index that compares the query with every stored code. It is
// the reference the other index is tested against, and the fastest choice
// for a few thousand codes. The zero value is not usable; call [NewLinear].
type Linear struct {
	mu    sync.RWMutex
	bits  int
	w     int
	ids   []uint64
	codes []uint64 // w words per id, parallel to ids
	pos   map[uint64]int
}

// NewLinear returns an empty linear index of codes of the given width
// (64 or 256 bits).
func NewLinear(bits int) (*Linear, error) {
	w, err := words(bits)
	if err != nil {
		return nil, err
	}
	return &Linear{bits: bits, w: w, pos: make(map[uint64]int)}, nil
}

// Bits returns the code width.
func (x *Linear) Bits() int { return x.bits }

// Len returns the number of ids stored.
func (x *Linear) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.ids)
}

// Add stores code under id, replacing any code id had.
func (x *Linear) Add(id uint64, code []uint64) error {
	if err := checkCode(code, x.w); err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, ok := x.pos[id]; !ok && len(x.ids) >= maxEntries {
		return fmt.Errorf("%w: %d", ErrFull, len(x.ids))
	}
	x.add(id, code)
	return nil
}

// add stores code under id.
func (x *Linear) add(id uint64, code []uint64) {
	if i, ok := x.pos[id]; ok {
		copy(x.codes[i*x.w:], code)
		return
	}
	x.pos[id] = len(x.ids)
	x.ids = append(x.ids, id)
	x.codes = append(x.codes, code...)
}

// Remove deletes id and reports whether it was present.
func (x *Linear) Remove(id uint64) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.remove(id)
}

// remove deletes id and reports whether it was present.
func (x *Linear) remove(id uint64) bool {
	i, ok := x.pos[id]
	if !ok {
		return false
	}
	last := len(x.ids) - 1
	if i != last {
		x.ids[i] = x.ids[last]
		copy(x.codes[i*x.w:(i+1)*x.w], x.codes[last*x.w:])
		x.pos[x.ids[i]] = i
	}
	x.ids = x.ids[:last]
	x.codes = x.codes[:last*x.w]
	delete(x.pos, id)
	return true
}

// Build replaces the contents with ids[i] ↦ codes[i*w:(i+1)*w], where w is
// Bits()/64. An id given twice, or ctx already cancelled, is an error and
// leaves the index unchanged.
func (x *Linear) Build(ctx context.Context, ids []uint64, codes []uint64) error {
	if err := checkBuild(ids, codes, x.w); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	pos := make(map[uint64]int, len(ids))
	for i, id := range ids {
		if _, ok := pos[id]; ok {
			return fmt.Errorf("%w: %d", ErrDuplicate, id)
		}
		pos[id] = i
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.ids = slices.Clone(ids)
	x.codes = slices.Clone(codes)
	x.pos = pos
	return nil
}

// Update removes the ids in remove, then adds ids[i] ↦ codes[i*w:(i+1)*w]
// in turn, as one change: searches see all of it or none. See
// [MIH.Update]; Linear applies the batch one code at a time under its lock.
func (x *Linear) Update(ctx context.Context, remove []uint64, ids []uint64, codes []uint64) error {
	if err := checkBuild(ids, codes, x.w); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.ids)+len(ids) > maxEntries {
		return fmt.Errorf("%w: %d", ErrFull, maxEntries)
	}
	for _, id := range remove {
		x.remove(id)
	}
	for i, id := range ids {
		x.add(id, codes[i*x.w:(i+1)*x.w])
	}
	return nil
}

// Search returns every stored code within radius of query, sorted by
// distance then id.
func (x *Linear) Search(query []uint64, radius int) ([]Result, error) {
	if err := checkCode(query, x.w); err != nil {
		return nil, err
	}
	if radius < 0 {
		return nil, fmt.Errorf("%w: %d", ErrRadius, radius)
	}
	x.mu.RLock()
	out := scan(nil, x.ids, x.codes, query, radius, nil)
	x.mu.RUnlock()
	slices.SortFunc(out, cmpResult)
	return out, nil
}

// Nearest returns the k stored codes closest to query, sorted by distance
// then id.
func (x *Linear) Nearest(query []uint64, k int) ([]Result, error) {
	if err := checkCode(query, x.w); err != nil {
		return nil, err
	}
	if k < 0 {
		return nil, fmt.Errorf("%w: %d", ErrCount, k)
	}
	t := topK{k: k}
	x.mu.RLock()
	scanTop(&t, x.ids, x.codes, query, nil)
	x.mu.RUnlock()
	return t.sorted(), nil
}

// Code returns a copy of the code stored under id, and whether id is stored.
func (x *Linear) Code(id uint64) ([]uint64, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	i, ok := x.pos[id]
	if !ok {
		return nil, false
	}
	return slices.Clone(x.codes[i*x.w : (i+1)*x.w]), true
}
