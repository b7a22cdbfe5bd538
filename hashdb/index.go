package hashdb

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/internal/store"
	"github.com/hashshare/hashshare/match"
)

// indexes are the in-memory signal indexes, one per algorithm, over the
// signals of every live item: the only signal index there is (the file
// keeps none, so writes append instead of touching pages all over a
// bucket ordered by hash value).
//
// An id is num<<16 | pos: the item's number and the signal's position in
// the item's stored (sorted) signal list, which [storedLimits] keeps below
// 65536. The code of a perceptual signal is its value; the code of a
// digest is its first 64 bits, and a lookup checks the whole value against
// the item's record, where a search's ids lead (through the numbers
// bucket).
//
// The indexes follow commits: each commit's delta is applied right after
// it, under the write lock. A reader whose snapshot holds change seq waits
// (briefly) until the indexes have applied it, so it never misses an item
// its snapshot holds; indexes ahead of a snapshot are harmless, since
// every id found is checked against the snapshot's records.
type indexes struct {
	by [signal.SHA256 + 1]signalIndex

	mu   sync.Mutex
	cond sync.Cond
	seq  uint64 // the last change applied

	// building, if not nil, is closed when the background build of a
	// large commit's delta ends (see apply).
	building chan struct{}
}

// wait waits for a background build to end. It is called with the write
// lock held, so no other build starts meanwhile.
func (x *indexes) wait() {
	if x.building != nil {
		<-x.building
		x.building = nil
	}
}

// applied records that the indexes hold every change up to seq.
func (x *indexes) applied(seq uint64) {
	x.mu.Lock()
	x.seq = max(x.seq, seq)
	x.mu.Unlock()
	x.cond.Broadcast()
}

// await waits until the indexes hold every change up to seq: the snapshot
// a reader is about to search for.
func (x *indexes) await(seq uint64) {
	x.mu.Lock()
	for x.seq < seq {
		x.cond.Wait()
	}
	x.mu.Unlock()
}

// posBits is how many low bits of an id hold the signal's position.
const posBits = 16

// maxNum bounds item numbers so that ids, and a delta's flag bit above
// them, fit in 64 bits.
const maxNum = 1<<(63-posBits) - 1

func signalID(num uint64, pos int) uint64 { return num<<posBits | uint64(pos) }

func splitID(id uint64) (num uint64, pos int) {
	return id >> posBits, int(id & (1<<posBits - 1))
}

// codeBits is the width of algorithm a's index codes.
func codeBits(a signal.Algorithm) int {
	if a.Perceptual() {
		return a.Bits()
	}
	return 64
}

// appendCode appends the index code of s, as big-endian 64-bit words.
func appendCode(dst []uint64, s signal.Signal) []uint64 {
	if s.Algorithm().Perceptual() {
		return s.AppendWords(dst)
	}
	var words [4]uint64 // a digest is indexed by its first word
	return append(dst, s.AppendWords(words[:0])[0])
}

// signalIndex is what the index of one algorithm does: a [match.MIH] for
// a perceptual hash, a [digestIndex] for a digest.
type signalIndex interface {
	Len() int
	Add(id uint64, code []uint64) error
	Remove(id uint64) bool
	Load(ctx context.Context, ids, codes []uint64) error
	Update(ctx context.Context, remove, ids, codes []uint64) error
	Search(query []uint64, radius int) ([]match.Result, error)
	Code(id uint64) ([]uint64, bool)
}

// newIndex returns an empty index for algorithm a: exact for a digest,
// which matches only itself.
//
// The pending buffer every search scans is larger than match's default:
// with the default, each Put of 10,000 items made every index rebuild its
// tables twice, which at 1M items cost more than the writes themselves.
// 32Ki codes keep a search under sustained writes to tens of microseconds.
func newIndex(a signal.Algorithm) (signalIndex, error) {
	if !a.Perceptual() {
		return newDigestIndex(), nil
	}
	return match.NewMIH(codeBits(a), &match.Options{Radius: a.DefaultThreshold(), Pending: indexPending})
}

// indexPending is the indexes' pending buffer size (see newIndex).
const indexPending = 1 << 15

// removeBit marks an [indexDelta] op that removes its id.
const removeBit = 1 << 63

// An indexDelta is how one commit changed the live signals, per algorithm
// and in the order the changes were made: each op is an id, leaving the
// index if removeBit is set, else joining it with the next code in codes.
// Order matters: one item may change twice in a transaction, and the same
// id stand for different signals in its versions.
type indexDelta [signal.SHA256 + 1]struct{ ops, codes []uint64 }

// remove records that the signals of item num leave the index.
func (d *indexDelta) remove(num uint64, sigs []signal.Signal) {
	for pos, s := range sigs {
		d[s.Algorithm()].ops = append(d[s.Algorithm()].ops, removeBit|signalID(num, pos))
	}
}

// add records that the signals of item num join the index.
func (d *indexDelta) add(num uint64, sigs []signal.Signal) {
	for pos, s := range sigs {
		a := &d[s.Algorithm()]
		a.ops = append(a.ops, signalID(num, pos))
		a.codes = appendCode(a.codes, s)
	}
}

// The indexes are built when first needed: by the first search, not by
// Open, so that a process that only writes (an import, "hashdb add")
// never pays for them, and the first Match of one that searches pays
// instead of Open. Until then commits only write the packed codes, which
// the build reads.

// settleCodes, in Open, makes sure a writable database has packed codes
// it can keep up to date: if their marker is not this database's last
// change, it builds the indexes now, by decoding the items, which
// rebuilds the codes. Damage the marker does not show (a bad chunk) is
// found by the build, which repairs it the same way.
func (db *DB) settleCodes() error {
	if db.opts.ReadOnly {
		return nil
	}
	var fresh bool
	var seq uint64
	err := db.view(func(v *view) error {
		m, err := v.Meta()
		if err != nil {
			return err
		}
		seq = m.GetLastSeq()
		mark, ok := decodeCodesMark(v.Get(store.BucketCodes, codesMarker))
		fresh = ok && mark.current(db.id, seq)
		return nil
	})
	if err != nil || fresh {
		return err
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if seq == 0 {
		// A new file: no items, so no codes, only the marker to write.
		return db.rebuildCodes(context.Background(), new([signal.SHA256 + 1]codeBatch), 0)
	}
	if err := db.buildIndexes(context.Background()); err != nil {
		return err
	}
	db.idxBuilt.Store(true)
	return nil
}

// useIndexes builds the indexes if they are not built yet. It holds the
// write lock meanwhile, so that no commit falls between the snapshot the
// build reads and the hook that applies later ones. Callers must not be
// inside a read transaction (a writer waiting for bbolt to grow its
// memory map would wait for it).
func (db *DB) useIndexes(ctx context.Context) error {
	if db.idxBuilt.Load() {
		return nil
	}
	db.idxMu.Lock()
	defer db.idxMu.Unlock()
	if db.idxBuilt.Load() {
		return nil
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.closed.Load() {
		return ErrClosed
	}
	if err := db.buildIndexes(ctx); err != nil {
		return err
	}
	db.idxBuilt.Store(true)
	return nil
}

// committed is the commit hook: it keeps the indexes, once built, in step.
func (db *DB) committed(d *indexDelta, seq uint64) {
	if db.idxBuilt.Load() {
		db.idx.apply(d, seq)
	}
}

// buildIndexes builds the index of each algorithm over the live items'
// signals, from the packed codes when it can trust them and otherwise by
// decoding every item (rebuilding the packed codes, opened for writing).
// The caller holds the write lock.
func (db *DB) buildIndexes(ctx context.Context) error {
	batches, seq, ok, err := db.readCodes(ctx)
	if err != nil {
		return err
	}
	db.codesRead = ok
	if !ok {
		if batches, seq, err = db.decodeItems(ctx); err != nil {
			return err
		}
		if !db.opts.ReadOnly {
			if err := db.rebuildCodes(ctx, &batches, seq); err != nil {
				return fmt.Errorf("rebuilding the packed index codes: %w", err)
			}
		}
	}
	for _, a := range signal.Algorithms() {
		idx, err := newIndex(a)
		if err != nil {
			return err
		}
		// Load keeps the batch, sorted by id, rather than copy it.
		if err := idx.Load(ctx, batches[a].ids, batches[a].codes); err != nil {
			return fmt.Errorf("%w: building the %s index: %w", ErrCorrupt, a, err)
		}
		batches[a] = codeBatch{} // let the garbage collector have it before the next build
		db.idx.by[a] = idx
	}
	db.idx.cond.L = &db.idx.mu
	db.idx.seq = seq
	return nil
}

// apply follows the commit of change seq. Called with the write lock
// held, in commit order.
//
// A large commit (see large: a first import of a million items, say) is
// applied with one rebuild of the tables, in the background: the write
// returns once it is durable, and searches of snapshots that include it
// wait for the build (see await), as do the next commit and Close.
// Searches of older snapshots go on meanwhile. Building the tables of a
// million PDQ codes takes about a second.
func (x *indexes) apply(d *indexDelta, seq uint64) {
	x.wait()
	if !x.bulk(d) {
		x.applyNow(d)
		x.applied(seq)
		return
	}
	done := make(chan struct{})
	x.building = done
	go func() {
		defer close(done)
		x.applyNow(d)
		x.applied(seq)
	}()
}

// bulk reports whether any part of d is large (see large).
func (x *indexes) bulk(d *indexDelta) bool {
	for a := range d {
		if x.large(signal.Algorithm(a), d) {
			return true
		}
	}
	return false
}

// large reports whether algorithm a's part of d is better applied with one
// rebuild of the index (see applyAtOnce): more codes than the pending
// buffer holds, and at least a quarter of what the index holds. Added one
// at a time, they would fill the buffer that every search scans, and set
// off a rebuild of everything each time it filled; a smaller part of a
// large index is better left to the buffer and one background rebuild.
func (x *indexes) large(a signal.Algorithm, d *indexDelta) bool {
	idx := x.by[a]
	if idx == nil {
		return false
	}
	n := len(d[a].codes) / (codeBits(a) / 64)
	return n > indexPending && n >= idx.Len()/4
}

func (x *indexes) applyNow(d *indexDelta) {
	for a := range d {
		idx, ops, codes := x.by[a], d[a].ops, d[a].codes
		if idx == nil {
			continue
		}
		w := codeBits(signal.Algorithm(a)) / 64
		if x.large(signal.Algorithm(a), d) && applyAtOnce(idx, ops, codes, w) {
			continue
		}
		for _, op := range ops {
			if op&removeBit != 0 {
				idx.Remove(op &^ removeBit)
				continue
			}
			// The code has the index's width by construction; an error
			// here would be a bug, and the index must not stop following.
			_ = idx.Add(op, codes[:w])
			codes = codes[w:]
		}
	}
}

// applyAtOnce applies a delta's ops and codes, each w words, to idx with
// one rebuild of its tables, and reports whether it did; if not, idx is
// as it was.
func applyAtOnce(idx signalIndex, ops, codes []uint64, w int) bool {
	var remove []uint64
	ids := ops
	if slices.ContainsFunc(ops, func(op uint64) bool { return op&removeBit != 0 }) {
		remove, ids, codes = net(ops, codes, w)
	}
	// Nothing cancels the context; the codes have idx's width.
	return idx.Update(context.Background(), remove, ids, codes) == nil
}

// net reduces ops, in order, to their effect: the ids whose last op
// removes them, and each other id once with its last code.
func net(ops, codes []uint64, w int) (remove, ids, kept []uint64) {
	at := make(map[uint64]int, len(ops)) // id → its code's offset, or -1
	off := 0
	for _, op := range ops {
		if op&removeBit != 0 {
			at[op&^removeBit] = -1
			continue
		}
		at[op] = off
		off += w
	}
	for _, id := range slices.Sorted(maps.Keys(at)) {
		if o := at[id]; o < 0 {
			remove = append(remove, id)
		} else {
			ids = append(ids, id)
			kept = append(kept, codes[o:o+w]...)
		}
	}
	return remove, ids, kept
}

// search returns the ids of the codes within radius of s's code, for a
// reader whose snapshot tx it waits for.
func (x *indexes) search(v *view, s signal.Signal, radius int, ids []uint64) ([]uint64, error) {
	m, err := v.Meta()
	if err != nil {
		return ids, err
	}
	x.await(m.GetLastSeq())
	found, err := x.by[s.Algorithm()].Search(appendCode(make([]uint64, 0, 4), s), radius)
	if err != nil {
		return ids, err
	}
	for _, f := range found {
		ids = append(ids, f.ID)
	}
	return ids, nil
}
