package hashdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	berrors "go.etcd.io/bbolt/errors"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tmk"
	"github.com/hashshare/hashshare/hashdb/vpdq"
	"github.com/hashshare/hashshare/internal/store"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// writer is one write: a [store.Tx], one bbolt transaction or for a
// staged write a series of them. Every write path (Put, Retract,
// SetOpinion, Import, Export) goes through its methods, which keep the
// items, their numbers, the counters and the change log in step and
// collect the index delta the commit hook receives. The store's bucket
// handles keep the undo records, the chunk budget and themselves across
// commits.
type writer struct {
	db     *DB
	ctx    context.Context
	t      *store.Tx
	meta   *pb.Meta
	actor  string
	origin string // of the items a PutForeign stores
	nowNs  int64
	items  *store.Bucket // undone record by record
	nums   *store.Bucket // appended: rolled back past the journal
	ops    *store.Bucket // undone record by record
	log    *store.Bucket // appended: rolled back past the journal
	counter
	delta indexDelta
	// vdelta is how the write changed the live video hashes, for the
	// frame index.
	vdelta []videoOp
	// tdelta is how the write changed the live TMK hashes, for the TMK
	// index.
	tdelta []tmkOp
	cw     codesWriter // writes delta into the packed codes
	// deferred holds the item records of a Put, when it is deferring them,
	// to write in key order at its end (see Put).
	deferred  []deferredRecord
	deferring bool
	seq0      uint64 // the last sequence number before this write

	coder
}

// update runs fn in one write transaction and, once it has committed,
// reports the index delta to the commit hook.
func (db *DB) update(ctx context.Context, fn func(w *writer) error) error {
	return db.write(ctx, false, fn)
}

// updateStaged runs fn as a staged write: in as many transactions as its
// calls to [writer.step] make, all or nothing, and seen by readers only
// once the last has committed.
func (db *DB) updateStaged(ctx context.Context, fn func(w *writer) error) error {
	return db.write(ctx, true, fn)
}

func (db *DB) write(ctx context.Context, staged bool, fn func(w *writer) error) (err error) {
	if db.opts.ReadOnly {
		return ErrReadOnly
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.closed.Load() {
		return ErrClosed
	}
	if err := db.recoverStaged(); err != nil {
		return err
	}
	t, err := store.Begin(db.bolt, store.Options{Staged: staged, Chunk: db.chunk, Context: ctx, AfterCommit: db.testHookChunk})
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		// On any failure the open transaction is dropped and what earlier
		// ones of a staged write committed is undone; after a panic, by
		// the next write.
		t.Discard()
		switch {
		case committed || t.Commits() == 0:
		case err == nil:
			db.pending.Store(true)
		default:
			if rerr := db.rollbackStaged(); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
	}()
	w, err := db.newWriter(ctx, t)
	if err == nil {
		err = fn(w)
	}
	if err == nil {
		err = w.finish()
	}
	if err == nil {
		err = t.Commit()
	}
	if err != nil {
		return err
	}
	committed = true
	if db.onCommit != nil {
		db.onCommit(&w.delta, w.meta.GetLastSeq())
	}
	if x := db.frames.Load(); x != nil {
		x.apply(w.vdelta, w.meta.GetLastSeq())
	}
	if x := db.tmks.Load(); x != nil {
		x.apply(w.tdelta, w.meta.GetLastSeq())
	}
	return nil
}

func (db *DB) newWriter(ctx context.Context, t *store.Tx) (*writer, error) {
	m, err := t.Meta()
	if err != nil {
		return nil, err
	}
	w := &writer{
		db:      db,
		ctx:     ctx,
		t:       t,
		meta:    m,
		actor:   actorFrom(ctx),
		nowNs:   db.opts.now().UnixNano(),
		counter: counter{counts: make(map[countKey]int64)},
		seq0:    m.GetLastSeq(),
		items:   t.Undoable(store.BucketItems),
		nums:    t.Bucket(store.BucketNumbers),
		ops:     t.Undoable(store.BucketOpinions),
		log:     t.Bucket(store.BucketChanges),
	}
	// The change log and the numbers only ever append: fill their pages.
	w.log.SetFillPercent(1)
	w.nums.SetFillPercent(1)
	w.items.SetFillPercent(0.9)
	if err := w.startCodes(); err != nil {
		return nil, err
	}
	t.BeforeCommit(w.flushCodes)
	return w, nil
}

// step lets a staged write commit what it holds (see [store.Tx.Step]):
// keys and values read before must have been copied.
func (w *writer) step() (bool, error) { return w.t.Step() }

// load returns the stored record of the item whose encoded key is ik.
func (w *writer) load(ik []byte) (record, bool, error) {
	return decodeVisible(ik, w.items.Get(ik))
}

// putItem stores the normalized item it, replacing the stored one with the
// same key, and reports whether anything changed. It is the only place
// items and their numbers are written.
func (w *writer) putItem(it Item) (bool, error) {
	return w.putItemPre(it, itemKey(it.Key), nil)
}

// putItemPre is putItem for the item whose encoded key is ik, with pre, if
// not nil, the item's records as [preEncode] encoded them in case it is
// new.
func (w *writer) putItemPre(it Item, ik []byte, pre *preEncoded) (bool, error) {
	old, exists, err := w.load(ik)
	if err != nil {
		return false, err
	}
	r := record{Item: it}
	kind := pb.ChangeKind_CHANGE_KIND_ADD
	if exists {
		r.num = old.num
		r.FirstSeen = old.FirstSeen
		if r.LastSeen.IsZero() || r.LastSeen.Before(old.LastSeen) {
			r.LastSeen = old.LastSeen
		}
		if sameItem(&old.Item, &r.Item) {
			return false, nil
		}
		kind = pb.ChangeKind_CHANGE_KIND_UPDATE
	} else {
		if r.num, err = w.items.NextSequence(); err != nil {
			return false, err
		}
		if r.num > maxNum {
			return false, fmt.Errorf("%w: item numbers exhausted", ErrCorrupt)
		}
		if err := w.nums.Put(store.NumKey(r.num), ik); err != nil {
			return false, err
		}
		firstStored(&r, w.nowNs)
	}
	if r.Retracted && !(exists && old.Retracted) {
		kind = pb.ChangeKind_CHANGE_KIND_RETRACT
	}

	var oldLive, newLive []signal.Signal
	if exists {
		w.count(&old.Item, -1)
		if !old.Retracted {
			oldLive = old.Signals
		}
	}
	w.count(&r.Item, +1)
	if !r.Retracted {
		newLive = r.Signals
	}
	// Positions are ids: unless the live signals stay exactly as they
	// were, the old ones all leave the index and the new ones all join it.
	if !slices.Equal(oldLive, newLive) {
		w.delta.remove(r.num, oldLive)
		w.delta.add(r.num, newLive)
	}
	var oldVideo, newVideo *vpdq.Hash
	if exists && !old.Retracted {
		oldVideo = old.Video
	}
	if !r.Retracted {
		newVideo = r.Video
	}
	w.videoChanged(r.num, oldVideo, newVideo)
	var oldTMK, newTMK *tmk.Hash
	if exists && !old.Retracted {
		oldTMK = old.TMK
	}
	if !r.Retracted {
		newTMK = r.TMK
	}
	w.tmkChanged(r.num, oldTMK, newTMK)

	if pre != nil && !exists {
		return true, w.putNew(ik, &r, pre)
	}
	w.ikey = pb.ItemKey{Source: it.Source, Id: it.ID, Via: it.Via}
	w.change = pb.Change{Kind: kind, Item: &w.ikey, PrevSeq: old.seq}
	if kind == pb.ChangeKind_CHANGE_KIND_RETRACT {
		w.change.Reason = r.RetractReason
	}
	if r.seq, err = w.appendChange(&w.change); err != nil {
		return false, err
	}
	v, err := w.t.Marshal(w.rec(&r))
	if err != nil {
		return false, err
	}
	return true, w.putRecord(ik, old.num, v)
}

// putRecord stores v as the record of the item whose encoded key is ik
// and number num (0 if new). An item a staged write created has no state
// before it to keep: its rollback removes it by its number.
func (w *writer) putRecord(ik []byte, num uint64, v []byte) error {
	isNew := num == 0 || num > w.t.Journal().Num0 && w.t.Staged()
	if w.deferring {
		w.deferred = append(w.deferred, deferredRecord{ik: ik, v: v, isNew: isNew})
		return nil
	}
	if isNew {
		return w.items.PutNew(ik, v)
	}
	return w.items.Put(ik, v)
}

// A deferredRecord is an item record a Put has yet to write.
type deferredRecord struct {
	ik, v []byte
	isNew bool
}

// writeDeferred writes the deferred item records in key order.
func (w *writer) writeDeferred() error {
	slices.SortFunc(w.deferred, func(a, b deferredRecord) int { return bytes.Compare(a.ik, b.ik) })
	for _, d := range w.deferred {
		put := w.items.Put
		if d.isNew {
			put = w.items.PutNew
		}
		if err := put(d.ik, d.v); err != nil {
			return err
		}
	}
	w.deferred = w.deferred[:0]
	return nil
}

// appendChange logs c as the next change and returns its sequence number.
func (w *writer) appendChange(c *pb.Change) (uint64, error) {
	seq := w.meta.GetLastSeq() + 1
	w.meta.LastSeq = seq
	c.Seq = seq
	c.TimeUnixNano = w.nowNs
	c.Actor = w.actor
	c.Origin = w.origin
	v, err := w.t.Marshal(c)
	if err != nil {
		return 0, err
	}
	return seq, w.log.Put(store.SeqKey(seq), v)
}

// finish writes the counters and the metadata, in the write's last
// transaction.
func (w *writer) finish() error {
	if err := w.finishCodes(); err != nil {
		return err
	}
	if err := w.applyCounts(w.t.Bucket(store.BucketCounts)); err != nil {
		return err
	}
	if w.meta.GetLastSeq() != w.seq0 {
		return w.t.WriteMeta(w.meta)
	}
	return nil
}

// Put stores the local organisation's items in one transaction: new keys
// are added, existing ones replaced (signals, labels, level, note;
// FirstSeen is kept from the first Put). Every item is checked before
// anything is written: one invalid item fails the call with an error
// wrapping [ErrInvalidItem] that names its index, its key and the reason,
// and nothing is stored. A key may appear only once per call.
//
// An item with an empty Source belongs to the local Organization, and
// only its items may be put: an item of another source is refused with
// [ErrForeignSource], so that a careless caller cannot mint another
// organisation's items. Items that really come from elsewhere (a list, a
// feed, a migration) are stored with [DB.PutForeign], which records where
// they came from.
//
// Each item that changes gets one change log entry, in the order given; an
// item stored again exactly as it is stored changes nothing and is not
// logged.
func (db *DB) Put(ctx context.Context, items ...Item) (err error) {
	defer wrapErr(&err, "put")
	return db.put(ctx, "", items)
}

// PutForeign stores items of other organisations, as [DB.Put] stores the
// local organisation's, recording origin — where they came from, such as
// "list tcap-2026-12.json" or "fetch ncmec" — in each change it logs.
// Each item's Source must name its organisation; a re-shared copy's Via
// is for imports to set, not for PutForeign. origin must not be empty.
func (db *DB) PutForeign(ctx context.Context, origin string, items ...Item) (err error) {
	defer wrapErr(&err, "put foreign")
	if origin == "" {
		return fmt.Errorf("%w: PutForeign needs an origin", ErrInvalidItem)
	}
	if err := db.opts.validateText("origin", origin); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidItem, err)
	}
	return db.put(ctx, origin, items)
}

// mayPut checks that a local write of origin ("" for Put, the local
// organisation's items only) may store the normalized item it.
func (db *DB) mayPut(it Item, origin string) error {
	org := db.opts.Organization
	switch {
	case it.Via != "":
		return fmt.Errorf("%w: a copy re-shared via a peer is stored by Import only", ErrInvalidItem)
	case origin == "" && org == "":
		return fmt.Errorf("%w: the database has no Organization to put items for (set Options.Organization, or store items of other sources with PutForeign)", ErrForeignSource)
	case origin == "" && it.Source != org:
		return fmt.Errorf("%w: %q is not the local organisation %q (store items of other sources with PutForeign)", ErrForeignSource, it.Source, org)
	}
	return nil
}

// put stores items for Put (origin "": the local organisation's only) and
// PutForeign.
func (db *DB) put(ctx context.Context, origin string, items []Item) error {
	if len(items) == 0 {
		return nil
	}
	norm := make([]Item, len(items))
	seen := make(map[Key]int, len(items))
	var foreign error // reported once the write may start: a closed or read-only database says so first
	for i, it := range items {
		n, err := db.opts.normalize(it)
		if err != nil {
			return fmt.Errorf("%w: item %d (%s): %w", ErrInvalidItem, i, n.Key, err)
		}
		if err := db.mayPut(n, origin); err != nil {
			if !errors.Is(err, ErrForeignSource) {
				return fmt.Errorf("item %d (%s): %w", i, n.Key, err)
			}
			if foreign == nil {
				foreign = fmt.Errorf("item %d (%s): %w", i, n.Key, err)
			}
		}
		if j, dup := seen[n.Key]; dup {
			return fmt.Errorf("%w: item %d (%s): same key as item %d", ErrInvalidItem, i, n.Key, j)
		}
		seen[n.Key] = i
		norm[i] = n
	}
	return db.update(ctx, func(w *writer) error {
		if foreign != nil {
			return foreign
		}
		w.origin = origin
		// Items are numbered and logged in the order given, but their
		// records are written in key order: bbolt inserts keys that
		// arrive in order by appending, and those that do not by moving
		// a node's entries along, which for a batch of keys without order
		// (a list keyed by hash value) cost more than all the rest. No key
		// is read after it is written, since each appears once.
		w.deferring = true
		for i := range norm {
			if i%1024 == 1023 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if _, err := w.putItem(norm[i]); err != nil {
				return fmt.Errorf("%s: %w", norm[i].Key, err)
			}
		}
		return w.writeDeferred()
	})
}

// Retract marks the item withdrawn by its source, for the given reason. The
// item stays stored, and is exchanged, as a tombstone; it no longer
// matches. Retracting a retracted item with the same reason changes
// nothing; the error wraps [ErrNotFound] if there is no such item.
func (db *DB) Retract(ctx context.Context, key Key, reason string) (err error) {
	defer wrapErrOf(&err, func() string { return "retract " + key.String() })
	if err := db.opts.validateText("retract reason", reason); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInvalidItem, key, err)
	}
	return db.update(ctx, func(w *writer) error {
		ik := itemKey(key)
		r, ok, err := w.load(ik)
		switch {
		case err != nil:
			return err
		case !ok:
			return ErrNotFound
		}
		r.Retracted, r.RetractReason = true, reason
		_, err = w.putItem(r.Item)
		return err
	})
}
