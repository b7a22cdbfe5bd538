package hashdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Staged writes.
//
// An import or export can change millions of records, and bbolt keeps
// every page a transaction changes in memory until it commits: one
// transaction per bundle made memory grow with the bundle. A staged write
// commits every stagedChunk record writes and goes on in a new
// transaction, and stays all or nothing, and invisible until it is done,
// through what it keeps in the staged bucket:
//
//	staged: { "journal" → seq0(8) num0(8),
//	          "undo"    → { target → { key → 0 (was absent) | 1 old value } },
//	          "swap"    → { parent → { child → a set built whole } } }
//
// seq0 and num0 are the last change and the last item number before the
// write began. Only the write's last transaction advances the metadata's
// last sequence number and the counters and moves the swapped sets into
// place, so until it commits readers ([view]) see: the change log up to
// seq0; items whose record's sequence number is at most seq0, and for the
// others the undo record (none: the item did not exist); opinions through
// their undo records. Each record's undo entry is written in the same
// transaction as its first change, so a crash at any point leaves a file
// that reads as it was before the write, and that the next writable Open,
// or the next write, rolls back ([DB.rollbackStaged]).
var (
	bucketStaged = []byte("staged")
	keyJournal   = []byte("journal")
	bucketUndo   = []byte("undo")
	bucketSwap   = []byte("swap")
)

// stagedChunk is how many record writes a staged write makes per
// transaction: a few tens of MB of dirty pages.
const stagedChunk = 1 << 16

// Undo targets: the buckets a staged write changes record by record.
// Nested buckets are named parent "\x00" child.
var (
	undoItems    = bucketItems
	undoOpinions = bucketOpinions
)

func nestedTarget(parent []byte, child []byte) []byte {
	return append(append(append([]byte(nil), parent...), 0), child...)
}

// A journal is what a staged write records before it writes anything.
type journal struct{ seq0, num0 uint64 }

func readJournal(st *bolt.Bucket) (journal, error) {
	v := st.Get(keyJournal)
	if len(v) != 16 {
		return journal{}, fmt.Errorf("%w: staged write journal of %d bytes", ErrCorrupt, len(v))
	}
	return journal{binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:])}, nil
}

// beginStaged starts the staged write w, in its first transaction.
func (w *writer) beginStaged() error {
	st, err := w.tx.CreateBucket(bucketStaged)
	if err != nil {
		return fmt.Errorf("%w: a staged write is already pending: %v", ErrCorrupt, err)
	}
	w.staged = true
	w.j = journal{seq0: w.seq0, num0: w.items.Sequence()}
	v := binary.BigEndian.AppendUint64(nil, w.j.seq0)
	return st.Put(keyJournal, binary.BigEndian.AppendUint64(v, w.j.num0))
}

// step commits the staged write's transaction once it holds stagedChunk
// writes and begins the next, reporting whether it did: bucket handles
// and cursors from before are then invalid, and keys and values read
// through them must have been copied. Outside a staged write it does
// nothing.
func (w *writer) step() (bool, error) {
	if !w.staged || w.writes < w.db.chunk {
		return false, nil
	}
	return true, w.commitChunk()
}

// commitChunk commits the staged write's transaction and begins the next.
func (w *writer) commitChunk() error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	w.flushes++ // from here on, the commit may have happened
	err := w.tx.Commit()
	w.tx = nil
	if err != nil {
		return err
	}
	if w.db.testHookChunk != nil {
		w.db.testHookChunk()
	}
	tx, err := w.db.bolt.Begin(true)
	if err != nil {
		return err
	}
	w.bind(tx)
	return nil
}

// bind points w at the buckets of tx.
func (w *writer) bind(tx *bolt.Tx) {
	w.tx = tx
	w.items = tx.Bucket(bucketItems)
	w.cur = w.items.Cursor()
	w.nums = tx.Bucket(bucketNumbers)
	w.ops = tx.Bucket(bucketOpinions)
	w.log = tx.Bucket(bucketChanges)
	// The change log and the numbers only ever append: fill their pages.
	w.log.FillPercent = 1
	w.nums.FillPercent = 1
	w.items.FillPercent = 0.9
	w.writes = 0
	w.arena = nil // bbolt copied the last transaction's values at commit
	clear(w.undo)
}

// save records, in a staged write, what must be restored if it fails: the
// value key k has in bucket b, known as target, before the write first
// changes it.
func (w *writer) save(target []byte, b *bolt.Bucket, k []byte) error {
	if !w.staged {
		return nil
	}
	u, err := w.undoBucket(target)
	if err != nil {
		return err
	}
	if u.Get(k) != nil {
		return nil // changed before in this write: the first value is kept
	}
	old := b.Get(k)
	v := w.alloc(1 + len(old))
	if old != nil {
		v[0] = 1
		copy(v[1:], old)
	}
	w.writes++
	return u.Put(k, v)
}

func (w *writer) undoBucket(target []byte) (*bolt.Bucket, error) {
	if u := w.undo[string(target)]; u != nil {
		return u, nil
	}
	root, err := w.tx.Bucket(bucketStaged).CreateBucketIfNotExists(bucketUndo)
	if err != nil {
		return nil, err
	}
	u, err := root.CreateBucketIfNotExists(target)
	if err != nil {
		return nil, err
	}
	if w.undo == nil {
		w.undo = make(map[string]*bolt.Bucket)
	}
	w.undo[string(target)] = u
	return u, nil
}

// swapBucket returns the empty bucket a staged write builds a new
// parent/child set in, to replace the old one whole: [writer.swapIn]
// moves it into place. Until then, the old set is there to read.
func (w *writer) swapBucket(parent, child []byte) (*bolt.Bucket, error) {
	if !w.staged {
		return nil, errors.New("hashdb: a swapped set outside a staged write")
	}
	sw, err := w.tx.Bucket(bucketStaged).CreateBucketIfNotExists(bucketSwap)
	if err != nil {
		return nil, err
	}
	p, err := sw.CreateBucketIfNotExists(parent)
	if err != nil {
		return nil, err
	}
	return p.CreateBucket(child)
}

// swapped returns the set swapBucket began, in the current transaction.
func (w *writer) swapped(parent, child []byte) *bolt.Bucket {
	return bucketPath(w.tx, bucketStaged, bucketSwap, parent, child)
}

// swapIn replaces parent/child by the set built in its swap bucket, and
// returns it. It must be called in the write's last transaction, and it
// commits the one before: bbolt moves a bucket as its parent records it,
// so changes made to it in the same transaction would be lost. Bucket
// handles and cursors from before it are invalid.
func (w *writer) swapIn(parent, child []byte) (*bolt.Bucket, error) {
	if err := w.commitChunk(); err != nil {
		return nil, err
	}
	p, err := w.tx.CreateBucketIfNotExists(parent)
	if err != nil {
		return nil, err
	}
	if p.Bucket(child) != nil {
		if err := p.DeleteBucket(child); err != nil {
			return nil, err
		}
	}
	src := bucketPath(w.tx, bucketStaged, bucketSwap, parent)
	if src == nil {
		return nil, fmt.Errorf("%w: the staged set %s/%s vanished", ErrCorrupt, parent, child)
	}
	if err := w.tx.MoveBucket(child, src, p); err != nil {
		return nil, err
	}
	return p.Bucket(child), nil
}

// bucketPath returns the bucket at path, or nil.
func bucketPath(tx *bolt.Tx, path ...[]byte) *bolt.Bucket {
	b := tx.Bucket(path[0])
	for _, name := range path[1:] {
		if b == nil {
			return nil
		}
		b = b.Bucket(name)
	}
	return b
}

// alloc returns n zeroed bytes from the arena.
func (w *writer) alloc(n int) []byte {
	if n > arenaChunk/4 {
		return make([]byte, n)
	}
	if cap(w.arena)-len(w.arena) < n {
		w.arena = make([]byte, 0, arenaChunk)
	}
	v := w.arena[len(w.arena) : len(w.arena)+n : len(w.arena)+n]
	w.arena = w.arena[:len(w.arena)+n]
	return v
}

// rollbackStaged undoes a staged write that did not finish, in
// transactions of stagedChunk records: it restores what the undo records
// hold, removes the items the write created and the changes it logged,
// and then the staged bucket. Readers see the database as it was before
// the write throughout. It runs under the write lock, or in Open.
func (db *DB) rollbackStaged() error {
	for {
		var done bool
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			var err error
			done, err = rollbackStep(tx, db.chunk)
			return err
		})
		if errors.Is(err, berrors.ErrDatabaseNotOpen) {
			return ErrClosed
		}
		if err != nil {
			db.pending.Store(true)
			return fmt.Errorf("rolling back an unfinished import or export: %w", err)
		}
		if done {
			db.pending.Store(false)
			return nil
		}
	}
}

// rollbackStep is one transaction of a rollback: it undoes up to budget
// records of the unfinished staged write in tx, in the order
// rollbackStaged needs, and reports whether it is all undone.
func rollbackStep(tx *bolt.Tx, budget int) (done bool, err error) {
	st := tx.Bucket(bucketStaged)
	if st == nil {
		return true, nil
	}
	j, err := readJournal(st)
	if err != nil {
		return false, err
	}
	if budget, err = restoreUndo(tx, st, budget); err != nil || budget == 0 {
		return false, err
	}
	items, nums := tx.Bucket(bucketItems), tx.Bucket(bucketNumbers)
	budget, err = deleteFrom(nums, numKey(j.num0+1), budget, func(_, ik []byte) error {
		return items.Delete(ik)
	})
	if err != nil || budget == 0 {
		return false, err
	}
	if err := items.SetSequence(j.num0); err != nil {
		return false, err
	}
	budget, err = deleteFrom(tx.Bucket(bucketChanges), seqKey(j.seq0+1), budget, nil)
	if err != nil || budget == 0 {
		return false, err
	}
	return true, tx.DeleteBucket(bucketStaged)
}

// restoreUndo puts back up to budget undo records, removing them, and
// returns what is left of the budget.
func restoreUndo(tx *bolt.Tx, st *bolt.Bucket, budget int) (int, error) {
	undo := st.Bucket(bucketUndo)
	if undo == nil {
		return budget, nil
	}
	var targets [][]byte
	err := undo.ForEachBucket(func(k []byte) error {
		targets = append(targets, bytes.Clone(k))
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, t := range targets {
		dst := undoTarget(tx, t)
		if dst == nil {
			return 0, fmt.Errorf("%w: staged write undo records for missing bucket %q", ErrCorrupt, t)
		}
		u := undo.Bucket(t)
		var keys, vals [][]byte
		c := u.Cursor()
		for k, v := c.First(); k != nil && len(keys) < budget; k, v = c.Next() {
			keys, vals = append(keys, bytes.Clone(k)), append(vals, bytes.Clone(v))
		}
		for i, k := range keys {
			v := vals[i]
			switch {
			case len(v) == 1 && v[0] == 0:
				err = dst.Delete(k)
			case len(v) > 0 && v[0] == 1:
				err = dst.Put(k, v[1:])
			default:
				err = fmt.Errorf("%w: staged write undo record %q of %q", ErrCorrupt, k, t)
			}
			if err == nil {
				err = u.Delete(k)
			}
			if err != nil {
				return 0, err
			}
		}
		if budget -= len(keys); budget == 0 {
			return 0, nil
		}
		if err := undo.DeleteBucket(t); err != nil {
			return 0, err
		}
	}
	return budget, nil
}

// undoTarget returns the bucket an undo target names.
func undoTarget(tx *bolt.Tx, t []byte) *bolt.Bucket {
	parent, child, nested := bytes.Cut(t, []byte{0})
	if !nested {
		return tx.Bucket(parent)
	}
	return bucketPath(tx, parent, child)
}

// deleteFrom deletes up to budget keys of b from from on, calling each
// (if not nil) first, and returns what is left of the budget.
func deleteFrom(b *bolt.Bucket, from []byte, budget int, each func(k, v []byte) error) (int, error) {
	var keys, vals [][]byte
	c := b.Cursor()
	for k, v := c.Seek(from); k != nil && len(keys) < budget; k, v = c.Next() {
		keys, vals = append(keys, bytes.Clone(k)), append(vals, bytes.Clone(v))
	}
	for i, k := range keys {
		if each != nil {
			if err := each(k, vals[i]); err != nil {
				return 0, err
			}
		}
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return budget - len(keys), nil
}

// recoverStaged rolls back what an interrupted staged write left, if
// anything; writes call it before they begin.
func (db *DB) recoverStaged() error {
	if !db.pending.Load() {
		return nil
	}
	return db.rollbackStaged()
}

// settleStaged notes whether the file holds an unfinished staged write
// (a process stopped in the middle of an import, say) and, unless the
// database is read-only, rolls it back. Read-only, readers see the file
// as it was before the write.
func (db *DB) settleStaged() error {
	err := db.view(func(tx *bolt.Tx) error {
		db.pending.Store(tx.Bucket(bucketStaged) != nil)
		return nil
	})
	if err != nil || db.opts.ReadOnly {
		return err
	}
	return db.recoverStaged()
}
