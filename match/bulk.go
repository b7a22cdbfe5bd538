package match

import (
	"context"
	"fmt"
	"slices"
)

// Update removes the ids in remove that are stored, then stores
// ids[i] ↦ codes[i*w:(i+1)*w] for each i in turn, where w is Bits()/64,
// replacing the code an id had; an id given twice in ids keeps its last
// code and an id in both lists ends up stored. The result is that of those
// Removes and Adds made one by one, but searches see all of the batch or
// none of it.
//
// A batch that fits in the pending buffer (see [Options].Pending) is
// applied at once, like that many Adds. A larger one is folded with the
// current contents into new tables, built on up to GOMAXPROCS goroutines
// while searches and other changes go on against the old ones, and
// installed before Update returns. That costs about as much as a Build of
// the whole index, but leaves no pending buffer for every search to scan
// and no background rebuild to follow, as that many Adds would. Changes
// made while it builds are kept and, for ids the batch does not name, stay
// on top of it; for the others the batch, installed last, wins. A running
// background rebuild is stopped first, its work being about to go stale.
//
// Update does not keep ids, codes or remove, but reads them until it
// returns. A code of the wrong length is an [ErrCode] error; a batch that
// could take the index past 2³²-2 codes is [ErrFull]; ctx cancelled while
// the new tables build returns its error. In each case the index is left
// unchanged (but for changes made meanwhile by others).
func (x *MIH) Update(ctx context.Context, remove []uint64, ids []uint64, codes []uint64) error {
	if err := checkBuild(ids, codes, x.w); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(remove) == 0 && len(ids) == 0 {
		return nil
	}
	x.mu.Lock()
	if len(x.ids)-x.ndead+len(x.pids)+len(ids) > maxEntries {
		x.mu.Unlock()
		return fmt.Errorf("%w: %d", ErrFull, maxEntries)
	}
	if x.fits(len(remove), len(ids)) {
		for _, id := range remove {
			if x.remove(id) {
				x.changed(id, nil)
			}
		}
		for i, id := range ids {
			code := codes[i*x.w : (i+1)*x.w]
			x.add(id, code)
			x.changed(id, code)
		}
		x.mu.Unlock()
		return nil
	}
	x.mu.Unlock()
	return x.rebuildWith(ctx, remove, ids, codes)
}

// fits reports whether a batch of nr removals and na adds can go through
// the pending buffer without setting off a rebuild: with at most
// Options.Pending codes pending and fewer than a quarter of the main part
// dead afterwards (each change kills at most one live code).
func (x *MIH) fits(nr, na int) bool {
	dead := x.ndead + min(nr+na, len(x.ids)-x.ndead)
	return len(x.pids)+na <= x.pendingLimit() && (dead == 0 || dead < len(x.ids)/4)
}

// rebuildWith makes new tables from the contents and the batch, and
// installs them.
func (x *MIH) rebuildWith(ctx context.Context, remove, ids, codes []uint64) error {
	rm := slices.Compact(slices.Sorted(slices.Values(remove)))
	bids, bcodes := lastByID(ids, codes, x.w)

	x.buildMu.Lock()
	defer x.buildMu.Unlock()
	x.mu.Lock()
	x.updating = true // from now on no rebuild starts and changes are journaled
	for x.rebuilding {
		// Its result would lack the batch: stop it rather than share the
		// CPUs with it. Its changes are in the contents snapshotted below.
		x.stop()
		done := x.rebuilt
		x.mu.Unlock()
		<-done
		x.mu.Lock()
	}
	mids, mcodes, dead := x.ids, x.codes, slices.Clone(x.dead)
	pids, pcodes := slices.Clone(x.pids), slices.Clone(x.pcodes)
	x.journal = nil
	hook := x.updateHook
	x.mu.Unlock()

	if hook != nil {
		hook()
	}
	pids, pcodes = sortByID(pids, pcodes, x.w)
	nids, ncodes := fold(mids, mcodes, dead, pids, pcodes, rm, bids, bcodes, x.w)
	bcodes, pcodes, dead = nil, nil, nil // let the collector have them during the build
	tabs, err := x.makeTables(ctx, nids, ncodes)

	x.mu.Lock()
	defer x.mu.Unlock()
	x.updating = false
	journal := x.journal
	x.journal = nil
	if err == nil {
		x.install(nids, ncodes, tabs)
		// The batch takes effect now, after the changes made since the
		// snapshot: replay those but the ones to ids the batch overrides.
		for _, c := range journal {
			if _, ok := slices.BinarySearch(bids, c.id); ok {
				continue
			}
			if _, ok := slices.BinarySearch(rm, c.id); ok {
				continue
			}
			if c.code == nil {
				x.remove(c.id)
			} else {
				x.add(c.id, c.code)
			}
		}
	}
	if x.stale() {
		x.startRebuild()
	}
	return err
}

// lastByID returns ids and codes (w words per id) ordered by id, with only
// the last code of an id given more than once. Ids already strictly
// ascending are returned as they are, without a copy.
func lastByID(ids, codes []uint64, w int) ([]uint64, []uint64) {
	ascending := true
	for i := 1; i < len(ids) && ascending; i++ {
		ascending = ids[i-1] < ids[i]
	}
	if ascending {
		return ids, codes
	}
	ids, codes = sortByID(ids, codes, w) // stable: repeats stay in order
	k := 0
	for i, id := range ids {
		if i+1 < len(ids) && ids[i+1] == id {
			continue
		}
		ids[k] = id
		copy(codes[k*w:(k+1)*w], codes[i*w:(i+1)*w])
		k++
	}
	return ids[:k], codes[:k*w]
}

// fold returns, ordered by id, the contents after a batch: the live codes
// of the main part (ids/codes less the slots in the bitset dead) and of
// the pending part (pids/pcodes), without the ids in rm, with bids/bcodes
// added or replacing. Every list is sorted by id and holds each id once;
// a pending id is dead in the main part.
func fold(ids, codes, dead, pids, pcodes, rm, bids, bcodes []uint64, w int) ([]uint64, []uint64) {
	n := 0
	walkFold(ids, codes, dead, pids, pcodes, rm, bids, bcodes, w, func(uint64, []uint64) { n++ })
	out, outCodes := make([]uint64, 0, n), makeHuge[uint64](n * w)[:0]
	walkFold(ids, codes, dead, pids, pcodes, rm, bids, bcodes, w, func(id uint64, code []uint64) {
		out = append(out, id)
		outCodes = append(outCodes, code...)
	})
	return out, outCodes
}

// walkFold calls emit with each id and code of fold's result, in order.
func walkFold(ids, codes, dead, pids, pcodes, rm, bids, bcodes []uint64, w int, emit func(uint64, []uint64)) {
	i, p, b, r := 0, 0, 0, 0
	for {
		for i < len(ids) && isDead(dead, i) {
			i++
		}
		// the next old code, from the main or the pending part
		var (
			id   uint64
			code []uint64
			old  = true
		)
		switch {
		case i < len(ids) && (p == len(pids) || ids[i] < pids[p]):
			id, code = ids[i], codes[i*w:(i+1)*w]
			i++
		case p < len(pids):
			id, code = pids[p], pcodes[p*w:(p+1)*w]
			p++
		default:
			old = false
		}
		if !old {
			for ; b < len(bids); b++ {
				emit(bids[b], bcodes[b*w:(b+1)*w])
			}
			return
		}
		for ; b < len(bids) && bids[b] < id; b++ {
			emit(bids[b], bcodes[b*w:(b+1)*w])
		}
		if b < len(bids) && bids[b] == id {
			emit(id, bcodes[b*w:(b+1)*w]) // replaced
			b++
			continue
		}
		for r < len(rm) && rm[r] < id {
			r++
		}
		if r < len(rm) && rm[r] == id {
			continue
		}
		emit(id, code)
	}
}
