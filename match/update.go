package match

import (
	"context"
	"fmt"
	"slices"
)

// change is an Add (code non-nil) or a Remove made while a rebuild runs.
type change struct {
	id   uint64
	code []uint64
}

// Add stores code under id, replacing any code id had. The code is found by
// the next search.
func (x *MIH) Add(id uint64, code []uint64) error {
	if err := checkCode(code, x.w); err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, ok := x.ppos[id]; !ok && len(x.ids)-x.ndead+len(x.pids) >= maxEntries {
		return fmt.Errorf("%w: %d", ErrFull, maxEntries)
	}
	x.add(id, code)
	x.changed(id, code)
	return nil
}

// Remove deletes id and reports whether it was present.
func (x *MIH) Remove(id uint64) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	ok := x.remove(id)
	if ok {
		x.changed(id, nil)
	}
	return ok
}

// add stores code under id in the pending buffer, tombstoning any older
// code of id.
func (x *MIH) add(id uint64, code []uint64) {
	if i, ok := x.ppos[id]; ok {
		copy(x.pcodes[i*x.w:], code)
		return
	}
	x.kill(id)
	x.ppos[id] = len(x.pids)
	x.pids = append(x.pids, id)
	x.pcodes = append(x.pcodes, code...)
}

// remove deletes id from the pending buffer or tombstones it.
func (x *MIH) remove(id uint64) bool {
	i, ok := x.ppos[id]
	if !ok {
		return x.kill(id)
	}
	last := len(x.pids) - 1
	if i != last {
		x.pids[i] = x.pids[last]
		copy(x.pcodes[i*x.w:(i+1)*x.w], x.pcodes[last*x.w:])
		x.ppos[x.pids[i]] = i
	}
	x.pids = x.pids[:last]
	x.pcodes = x.pcodes[:last*x.w]
	delete(x.ppos, id)
	return true
}

// kill tombstones id in the main part and reports whether it was live.
func (x *MIH) kill(id uint64) bool {
	i, ok := slices.BinarySearch(x.ids, id)
	if !ok || isDead(x.dead, i) {
		return false
	}
	x.dead[i>>6] |= 1 << (i & 63)
	x.ndead++
	return true
}

// changed records an Add of code under id (a Remove if code is nil) for
// the running rebuild or Update, or starts a rebuild if the pending buffer
// or the tombstones have grown too large.
func (x *MIH) changed(id uint64, code []uint64) {
	if x.rebuilding || x.updating {
		x.journal = append(x.journal, change{id, slices.Clone(code)})
		return
	}
	if x.stale() {
		x.startRebuild()
	}
}

// Build replaces the contents with ids[i] ↦ codes[i*w:(i+1)*w], where w is
// Bits()/64, and builds the tables at once (using up to GOMAXPROCS
// goroutines). An id given twice, or ctx cancelled before the end, is an
// error and leaves the index unchanged.
func (x *MIH) Build(ctx context.Context, ids []uint64, codes []uint64) error {
	return x.build(ctx, ids, codes, false)
}

// Load is Build for a caller that hands ids and codes over: when ids
// ascend, the index keeps both slices as its own rather than copying
// them, and the caller must not use them again. Loading millions of codes
// read from storage so needs no second copy of them, at any moment.
func (x *MIH) Load(ctx context.Context, ids []uint64, codes []uint64) error {
	return x.build(ctx, ids, codes, true)
}

func (x *MIH) build(ctx context.Context, ids, codes []uint64, keep bool) error {
	if err := checkBuild(ids, codes, x.w); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	sids, scodes := ids, codes
	if !keep || !slices.IsSorted(ids) {
		sids, scodes = sortByID(ids, codes, x.w)
	} else {
		advise(scodes) // candidates' codes are read at random, like the tables
	}
	for i := 1; i < len(sids); i++ {
		if sids[i] == sids[i-1] {
			return fmt.Errorf("%w: %d", ErrDuplicate, sids[i])
		}
	}
	// One Build or Update at a time: each would overwrite the other's
	// tables with contents that lack the other's changes.
	x.buildMu.Lock()
	defer x.buildMu.Unlock()
	tabs, err := x.makeTables(ctx, sids, scodes)
	if err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.gen++ // a running rebuild's result is now out of date
	if x.rebuilding {
		x.stop()
	}
	x.install(sids, scodes, tabs)
	return nil
}

// install makes ids/codes/tabs the main part, with no tombstones and an
// empty pending buffer.
func (x *MIH) install(ids, codes []uint64, tabs []table) {
	x.ids, x.codes, x.tabs = ids, codes, tabs
	x.dead = make([]uint64, (len(ids)+63)/64)
	x.ndead = 0
	x.pids, x.pcodes, x.ppos = nil, nil, make(map[uint64]int)
}

// pendingLimit is the size of the pending buffer beyond which the tables
// are rebuilt.
func (x *MIH) pendingLimit() int {
	if x.opts.Pending > 0 {
		return x.opts.Pending
	}
	// Every search scans the buffer: 2441 codes at 10M cost about 10 µs.
	return max(1024, len(x.ids)/4096)
}

// stale reports whether the tables should be rebuilt.
func (x *MIH) stale() bool {
	return len(x.pids) > x.pendingLimit() || (x.ndead > 0 && x.ndead >= len(x.ids)/4)
}

// startRebuild snapshots the contents and rebuilds the tables from it in a
// goroutine. The main arrays are never written after install, so the
// snapshot copies only the tombstones and the pending buffer. The caller
// holds the write lock and no Update is under way.
func (x *MIH) startRebuild() {
	x.rebuilding = true
	done := make(chan struct{})
	x.rebuilt = done
	ctx, stop := context.WithCancel(context.Background())
	x.stop = stop
	gen, w := x.gen, x.w
	ids, codes, dead := x.ids, x.codes, slices.Clone(x.dead)
	pids, pcodes := slices.Clone(x.pids), slices.Clone(x.pcodes)
	hook := x.rebuildHook
	go func() {
		defer close(done)
		if hook != nil {
			hook()
		}
		nids, ncodes := merge(ids, codes, dead, pids, pcodes, w)
		tabs, err := x.makeTables(ctx, nids, ncodes) // fails only when stopped
		x.mu.Lock()
		defer x.mu.Unlock()
		stop()
		x.rebuilding = false
		journal := x.journal
		x.journal = nil
		if err == nil && x.gen == gen {
			x.install(nids, ncodes, tabs)
			for _, c := range journal {
				if c.code == nil {
					x.remove(c.id)
				} else {
					x.add(c.id, c.code)
				}
			}
		}
		if !x.updating && x.stale() {
			x.startRebuild()
		}
	}()
}

// wait blocks until no rebuild is running (for tests and benchmarks).
func (x *MIH) wait() {
	for {
		x.mu.RLock()
		running, done := x.rebuilding, x.rebuilt
		x.mu.RUnlock()
		if !running {
			return
		}
		<-done
	}
}

// merge returns the live codes of ids/codes (those not in the bitset dead)
// and the pending pids/pcodes together, ordered by id. ids are unique among
// them: a pending id's older code is dead.
func merge(ids, codes, dead, pids, pcodes []uint64, w int) ([]uint64, []uint64) {
	pids, pcodes = sortByID(pids, pcodes, w)
	n := len(ids) + len(pids)
	out, outCodes := make([]uint64, 0, n), makeHuge[uint64](n * w)[:0]
	i := 0
	live := func(end uint64, all bool) {
		for ; i < len(ids) && (all || ids[i] < end); i++ {
			if !isDead(dead, i) {
				out = append(out, ids[i])
				outCodes = append(outCodes, codes[i*w:(i+1)*w]...)
			}
		}
	}
	for p, id := range pids {
		live(id, false)
		out = append(out, id)
		outCodes = append(outCodes, pcodes[p*w:(p+1)*w]...)
	}
	live(0, true)
	return out, outCodes
}

// Code returns a copy of the code stored under id, and whether id is stored.
func (x *MIH) Code(id uint64) ([]uint64, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if i, ok := x.ppos[id]; ok {
		return slices.Clone(x.pcodes[i*x.w : (i+1)*x.w]), true
	}
	i, ok := slices.BinarySearch(x.ids, id)
	if !ok || isDead(x.dead, i) {
		return nil, false
	}
	return slices.Clone(x.codes[i*x.w : (i+1)*x.w]), true
}
