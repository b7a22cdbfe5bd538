package hashdb

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/hashshare/hashshare/hashdb/signal"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"google.golang.org/protobuf/proto"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// writer is one write: one bbolt transaction, or for a staged write (see
// staged.go) a series of them. Every write path (Put, Retract,
// SetOpinion, Import, Export) goes through its methods, which keep the
// items, their numbers, the counters and the change log in step and
// collect the index delta the commit hook receives.
type writer struct {
	db     *DB
	ctx    context.Context
	tx     *bolt.Tx
	meta   *pb.Meta
	actor  string
	nowNs  int64
	items  *bolt.Bucket
	cur    *bolt.Cursor // over items
	nums   *bolt.Bucket
	ops    *bolt.Bucket
	log    *bolt.Bucket
	counts map[countKey]int64
	shape  shape // the run of items count has yet to add to counts
	delta  indexDelta
	seq0   uint64 // the last sequence number before this write

	// A staged write's state: its journal, the record writes of the
	// current transaction, how many transactions it committed, and its
	// undo buckets in the current transaction by target.
	staged  bool
	j       journal
	writes  int
	flushes int
	undo    map[string]*bolt.Bucket

	coder
	arena []byte // values handed to bbolt, which keeps them until commit
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
	tx, err := db.bolt.Begin(true)
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	if err != nil {
		return err
	}
	w, err := db.newWriter(ctx, tx)
	if err != nil {
		tx.Rollback()
		return err
	}
	committed := false
	defer func() {
		// On any failure the open transaction is dropped and what earlier
		// ones of a staged write committed is undone; after a panic, by
		// the next write.
		if w.tx != nil {
			w.tx.Rollback()
		}
		switch {
		case committed || w.flushes == 0:
		case err == nil:
			db.pending.Store(true)
		default:
			if rerr := db.rollbackStaged(); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
	}()
	if staged {
		err = w.beginStaged()
	}
	if err == nil {
		err = fn(w)
	}
	if err == nil {
		err = w.finish()
	}
	if err != nil {
		return err
	}
	err = w.tx.Commit()
	w.tx = nil
	if err != nil {
		return err
	}
	committed = true
	if db.onCommit != nil {
		db.onCommit(&w.delta, w.meta.GetLastSeq())
	}
	return nil
}

func (db *DB) newWriter(ctx context.Context, tx *bolt.Tx) (*writer, error) {
	m, _, err := readMeta(tx)
	if err != nil {
		return nil, err
	}
	w := &writer{
		db:     db,
		ctx:    ctx,
		meta:   m,
		actor:  actorFrom(ctx),
		nowNs:  db.opts.now().UnixNano(),
		counts: make(map[countKey]int64),
		seq0:   m.GetLastSeq(),
	}
	w.bind(tx)
	return w, nil
}

// load returns the stored record of the item whose encoded key is ik.
func (w *writer) load(ik []byte) (record, bool, error) {
	// A cursor kept for the transaction saves Get's allocations; Seek
	// starts from the root, so writes in between do not matter.
	k, v := w.cur.Seek(ik)
	if !bytes.Equal(k, ik) {
		return record{}, false, nil
	}
	r, err := decodeRecord(ik, v)
	return r, err == nil, err
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
		// An item a staged write created has no state before it to keep.
		if old.num <= w.j.num0 {
			if err := w.save(undoItems, w.items, ik); err != nil {
				return false, err
			}
		}
	} else {
		if r.num, err = w.items.NextSequence(); err != nil {
			return false, err
		}
		if r.num > maxNum {
			return false, fmt.Errorf("%w: item numbers exhausted", ErrCorrupt)
		}
		var nk [8]byte
		binary.BigEndian.PutUint64(nk[:], r.num)
		if err := w.nums.Put(nk[:], ik); err != nil {
			return false, err
		}
		w.writes++
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

	if pre != nil && !exists {
		return true, w.putNew(ik, &r, pre)
	}
	w.ikey = pb.ItemKey{Source: it.Source, Id: it.ID}
	w.change = pb.Change{Kind: kind, Item: &w.ikey, PrevSeq: old.seq}
	if kind == pb.ChangeKind_CHANGE_KIND_RETRACT {
		w.change.Reason = r.RetractReason
	}
	if r.seq, err = w.appendChange(&w.change); err != nil {
		return false, err
	}
	v, err := w.marshal(w.rec(&r))
	if err != nil {
		return false, err
	}
	w.writes++
	return true, w.items.Put(ik, v)
}

// arenaChunk is the size of the blocks the arena hands values out of.
const arenaChunk = 256 << 10

// marshal encodes m into the arena: the values of one transaction share
// a few large blocks instead of taking an allocation each. A value is
// never written over once handed out, since bbolt keeps it until commit.
func (w *writer) marshal(m proto.Message) ([]byte, error) {
	if cap(w.arena)-len(w.arena) < 4<<10 {
		w.arena = make([]byte, 0, arenaChunk)
	}
	free := w.arena[len(w.arena):len(w.arena):cap(w.arena)]
	v, err := marshal.MarshalAppend(free, m)
	if err != nil {
		return nil, err
	}
	if len(v) <= cap(free) {
		// Encoded in place: take it from the arena, capacity and all,
		// so that nothing appended to v can reach the next value.
		w.arena = w.arena[:len(w.arena)+len(v)]
		v = v[:len(v):len(v)]
	}
	return v, nil
}

// count adds d times the item's contribution to the statistics counters.
// Items in a row mostly look alike to the counters (one source, level,
// label set and set of algorithms: a bundle's, say), so it tallies a run
// of them as one shape, and updates the counters when the shape changes.
func (w *writer) count(it *Item, d int64) {
	if it.Retracted {
		w.counts[countKey{kind: countRetracted}] += d
		return
	}
	if !w.shape.is(it) {
		w.tally()
		w.shape.set(it)
	}
	w.shape.n += d
}

// tally moves the run of counted items into the counters.
func (w *writer) tally() {
	s := &w.shape
	if s.n == 0 {
		return
	}
	w.counts[countKey{kind: countLive}] += s.n
	w.counts[countKey{countSourcePrefix, s.source}] += s.n
	w.counts[countKey{countTLPPrefix, s.tlp.String()}] += s.n
	for _, a := range s.algs {
		w.counts[countKey{countAlgPrefix, a.String()}] += s.n
	}
	for _, l := range s.labels {
		w.counts[countKey{countLabelPrefix, l}] += s.n
	}
	s.n = 0
}

// A shape is what the counters see of a live item, and how many times a
// run of items of that shape counted.
type shape struct {
	source string
	tlp    TLP
	labels []string
	algs   []signal.Algorithm
	n      int64
}

func (s *shape) is(it *Item) bool {
	if it.Source != s.source || it.TLP != s.tlp || len(it.Signals) != len(s.algs) || !slices.Equal(it.Labels, s.labels) {
		return false
	}
	for i := range it.Signals {
		if it.Signals[i].Algorithm() != s.algs[i] {
			return false
		}
	}
	return true
}

func (s *shape) set(it *Item) {
	s.source, s.tlp, s.labels = it.Source, it.TLP, it.Labels
	s.algs = s.algs[:0]
	for i := range it.Signals {
		s.algs = append(s.algs, it.Signals[i].Algorithm())
	}
}

// A countKey names a counter in the counts bucket: kind, one of the
// count constants, followed by name. Keeping the two apart spares count a
// string concatenation per counter per item.
type countKey struct{ kind, name string }

func (k countKey) String() string { return k.kind + k.name }

// flatCounts returns counts keyed by the counts bucket's keys.
func flatCounts(counts map[countKey]int64) map[string]int64 {
	m := make(map[string]int64, len(counts))
	for k, d := range counts {
		m[k.String()] += d
	}
	return m
}

// appendChange logs c as the next change and returns its sequence number.
func (w *writer) appendChange(c *pb.Change) (uint64, error) {
	seq := w.meta.GetLastSeq() + 1
	w.meta.LastSeq = seq
	c.Seq = seq
	c.TimeUnixNano = w.nowNs
	if c.Actor == "" {
		c.Actor = w.actor
	}
	v, err := w.marshal(c)
	if err != nil {
		return 0, err
	}
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	w.writes++
	return seq, w.log.Put(k[:], v)
}

// finish writes the counters and the metadata, and ends a staged write.
func (w *writer) finish() error {
	if err := w.applyCounts(); err != nil {
		return err
	}
	if w.meta.GetLastSeq() != w.seq0 {
		if err := writeMeta(w.tx, w.meta); err != nil {
			return err
		}
	}
	if w.staged {
		return w.tx.DeleteBucket(bucketStaged)
	}
	return nil
}

func (w *writer) applyCounts() error {
	w.tally()
	b := w.tx.Bucket(bucketCounts)
	for k, d := range flatCounts(w.counts) {
		if d == 0 {
			continue
		}
		n, err := readCount(b.Get([]byte(k)))
		if err != nil {
			return fmt.Errorf("counter %q: %w", k, err)
		}
		n += d
		switch {
		case n < 0:
			return fmt.Errorf("%w: counter %q would go negative", ErrCorrupt, k)
		case n == 0:
			err = b.Delete([]byte(k))
		default:
			err = b.Put([]byte(k), binary.AppendUvarint(nil, uint64(n)))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func readCount(v []byte) (int64, error) {
	if v == nil {
		return 0, nil
	}
	n, w := binary.Uvarint(v)
	if w != len(v) || n > 1<<62 {
		return 0, fmt.Errorf("%w: counter value %x", ErrCorrupt, v)
	}
	return int64(n), nil
}

// Counter keys in the counts bucket.
const (
	countLive         = "n:live"
	countRetracted    = "n:retracted"
	countOpinions     = "n:opinions"
	countSourcePrefix = "s:"
	countTLPPrefix    = "t:"
	countAlgPrefix    = "a:"
	countLabelPrefix  = "l:"
)

// Put stores items in one transaction: new keys are added, existing ones
// replaced (signals, labels, level, note; FirstSeen is kept from the first
// Put). Every item is checked before anything is written: one invalid item
// fails the call with an error wrapping [ErrInvalidItem] that names its
// index, its key and the reason, and nothing is stored. A key may appear
// only once per call.
//
// Each item that changes gets one change log entry, in the order given; an
// item stored again exactly as it is stored changes nothing and is not
// logged. An item with an empty Source belongs to the local Organization.
func (db *DB) Put(ctx context.Context, items ...Item) error {
	if len(items) == 0 {
		return nil
	}
	norm := make([]Item, len(items))
	seen := make(map[Key]int, len(items))
	for i, it := range items {
		n, err := db.opts.normalize(it)
		if err != nil {
			return fmt.Errorf("%w: item %d (%s): %w", ErrInvalidItem, i, n.Key, err)
		}
		if j, dup := seen[n.Key]; dup {
			return fmt.Errorf("%w: item %d (%s): same key as item %d", ErrInvalidItem, i, n.Key, j)
		}
		seen[n.Key] = i
		norm[i] = n
	}
	return db.update(ctx, func(w *writer) error {
		for i := range norm {
			if i%1024 == 1023 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if _, err := w.putItem(norm[i]); err != nil {
				return fmt.Errorf("hashdb: put %s: %w", norm[i].Key, err)
			}
		}
		return nil
	})
}

// Retract marks the item withdrawn by its source, for the given reason. The
// item stays stored, and is exchanged, as a tombstone; it no longer
// matches. Retracting a retracted item with the same reason changes
// nothing; the error wraps [ErrNotFound] if there is no such item.
func (db *DB) Retract(ctx context.Context, key Key, reason string) error {
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
			return fmt.Errorf("hashdb: retract %s: %w", key, ErrNotFound)
		}
		r.Retracted, r.RetractReason = true, reason
		_, err = w.putItem(r.Item)
		return err
	})
}
