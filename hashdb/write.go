package hashdb

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"google.golang.org/protobuf/proto"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// writer is one write transaction. Every write path (Put, Retract,
// SetOpinion, Import) goes through its methods, which keep the items,
// their numbers, the counters and the change log in step and collect the
// index delta the commit hook receives.
type writer struct {
	db     *DB
	tx     *bolt.Tx
	meta   *pb.Meta
	actor  string
	nowNs  int64
	items  *bolt.Bucket
	nums   *bolt.Bucket
	ops    *bolt.Bucket
	log    *bolt.Bucket
	counts map[countKey]int64
	delta  indexDelta
	seq0   uint64 // the last sequence number before this write

	// Scratch reused by every putItem: the wire forms are only read by
	// Marshal, which copies them out.
	change pb.Change
	ikey   pb.ItemKey
	rec    pb.ItemRecord
	item   pb.Item
	sigs   []pb.Signal
	psigs  []*pb.Signal
	arena  []byte // values handed to bbolt, which keeps them until commit
}

// update runs fn in one write transaction and, once it has committed,
// reports the index delta to the commit hook.
func (db *DB) update(ctx context.Context, fn func(w *writer) error) error {
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
	var delta *indexDelta
	var seq uint64
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		w, err := db.newWriter(ctx, tx)
		if err != nil {
			return err
		}
		if err := fn(w); err != nil {
			return err
		}
		delta, seq = &w.delta, w.meta.GetLastSeq()
		return w.finish()
	})
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	if err != nil {
		return err
	}
	if db.onCommit != nil {
		db.onCommit(delta, seq)
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
		tx:     tx,
		meta:   m,
		actor:  actorFrom(ctx),
		nowNs:  db.opts.now().UnixNano(),
		items:  tx.Bucket(bucketItems),
		nums:   tx.Bucket(bucketNumbers),
		ops:    tx.Bucket(bucketOpinions),
		log:    tx.Bucket(bucketChanges),
		counts: make(map[countKey]int64),
		seq0:   m.GetLastSeq(),
	}
	// The change log only ever appends: fill its pages.
	w.log.FillPercent = 1
	w.nums.FillPercent = 1
	w.items.FillPercent = 0.9
	return w, nil
}

// load returns the stored record of the item whose encoded key is ik.
func (w *writer) load(ik []byte) (record, bool, error) {
	v := w.items.Get(ik)
	if v == nil {
		return record{}, false, nil
	}
	r, err := decodeRecord(ik, v)
	return r, err == nil, err
}

// putItem stores the normalized item it, replacing the stored one with the
// same key, and reports whether anything changed. It is the only place
// items and their numbers are written.
func (w *writer) putItem(it Item) (bool, error) {
	ik := itemKey(it.Key)
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
		var nk [8]byte
		binary.BigEndian.PutUint64(nk[:], r.num)
		if err := w.nums.Put(nk[:], ik); err != nil {
			return false, err
		}
		if r.FirstSeen.IsZero() {
			r.FirstSeen = fromUnixNano(w.nowNs)
			if !r.LastSeen.IsZero() && r.LastSeen.Before(r.FirstSeen) {
				r.FirstSeen = r.LastSeen
			}
		}
		if r.LastSeen.IsZero() {
			r.LastSeen = r.FirstSeen
		}
	}
	if r.Retracted && !(exists && old.Retracted) {
		kind = pb.ChangeKind_CHANGE_KIND_RETRACT
	}

	var oldLive, newLive []Signal
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

	w.ikey = pb.ItemKey{Source: it.Source, Id: it.ID}
	w.change = pb.Change{Kind: kind, Item: &w.ikey, PrevSeq: old.seq}
	if kind == pb.ChangeKind_CHANGE_KIND_RETRACT {
		w.change.Reason = r.RetractReason
	}
	if r.seq, err = w.appendChange(&w.change); err != nil {
		return false, err
	}
	v, err := w.encodeRecord(&r)
	if err != nil {
		return false, err
	}
	return true, w.items.Put(ik, v)
}

// encodeRecord is [encodeRecord] into the arena, with the writer's scratch
// wire forms.
func (w *writer) encodeRecord(r *record) ([]byte, error) {
	it := &r.Item
	n := len(it.Signals)
	if cap(w.sigs) < n {
		w.sigs = make([]pb.Signal, n)
		w.psigs = make([]*pb.Signal, n)
	}
	w.sigs, w.psigs = w.sigs[:n], w.psigs[:n]
	for i := range it.Signals {
		s := &it.Signals[i]
		w.sigs[i] = pb.Signal{Algorithm: pb.Algorithm(s.alg), Value: s.val[:s.alg.Bits()/8], Unreliable: it.IsUnreliable(*s)}
		w.psigs[i] = &w.sigs[i]
	}
	w.item = pb.Item{
		Signals:           w.psigs,
		Labels:            it.Labels,
		Tlp:               pb.TLP(it.TLP),
		FirstSeenUnixNano: unixNano(it.FirstSeen),
		LastSeenUnixNano:  unixNano(it.LastSeen),
		Note:              it.Note,
		Retracted:         it.Retracted,
		RetractReason:     it.RetractReason,
	}
	w.rec = pb.ItemRecord{Item: &w.item, Number: r.num, Seq: r.seq}
	return w.marshal(&w.rec)
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
func (w *writer) count(it *Item, d int64) {
	if it.Retracted {
		w.counts[countKey{kind: countRetracted}] += d
		return
	}
	w.counts[countKey{kind: countLive}] += d
	w.counts[countKey{countSourcePrefix, it.Source}] += d
	w.counts[countKey{countTLPPrefix, it.TLP.String()}] += d
	for _, s := range it.Signals {
		w.counts[countKey{countAlgPrefix, s.alg.String()}] += d
	}
	for _, l := range it.Labels {
		w.counts[countKey{countLabelPrefix, l}] += d
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
	return seq, w.log.Put(k[:], v)
}

// finish writes the counters and the metadata.
func (w *writer) finish() error {
	if err := w.applyCounts(); err != nil {
		return err
	}
	if w.meta.GetLastSeq() != w.seq0 {
		return writeMeta(w.tx, w.meta)
	}
	return nil
}

func (w *writer) applyCounts() error {
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
