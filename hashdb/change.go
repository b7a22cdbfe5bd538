package hashdb

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"iter"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/internal/store"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// A ChangeKind says what a change did.
type ChangeKind uint8

// The kinds of change.
const (
	// KindAdd: an item was stored for the first time.
	KindAdd ChangeKind = iota + 1
	// KindUpdate: a stored item changed (including being un-retracted).
	KindUpdate
	// KindRetract: an item's source withdrew it.
	KindRetract
	// KindOpinion: an opinion was recorded or replaced.
	KindOpinion
)

var kindNames = [...]string{KindAdd: "add", KindUpdate: "update", KindRetract: "retract", KindOpinion: "opinion"}

// String returns "add", "update", "retract" or "opinion".
func (k ChangeKind) String() string {
	if k < KindAdd || k > KindOpinion {
		return fmt.Sprintf("ChangeKind(%d)", uint8(k))
	}
	return kindNames[k]
}

// A Change is one entry of the change log. Every committed change gets the
// next sequence number, from 1, without gaps. Item changes name the item;
// its current state is what [DB.Get] returns, so an exporter sends each
// changed item once, as it now is.
type Change struct {
	// Seq is the change's sequence number.
	Seq uint64
	// Time is when it was committed.
	Time time.Time
	// Actor is who made it: the actor on the context of the call that
	// made it ([WithActor]), the one way a change is attributed.
	Actor string
	// Origin is, for an item of another organisation stored by a local
	// write, where it came from ([DB.PutForeign]); empty otherwise.
	Origin string
	// Kind says what it did.
	Kind ChangeKind
	// Key is the item changed or, for an opinion on an item, the item
	// judged; zero for an opinion on a signal.
	Key Key
	// Reason is why the item was retracted (KindRetract).
	Reason string
	// Opinion is the opinion recorded (KindOpinion).
	Opinion Opinion
	// Prev is the sequence number of the previous change to the same item
	// (or the same opinion); 0 for the first.
	Prev uint64
}

// decodeChange decodes a change log entry and checks it is one the
// database could have written. Errors wrap [ErrCorrupt].
func decodeChange(key, val []byte) (Change, error) {
	if len(key) != 8 {
		return Change{}, fmt.Errorf("%w: change key %x", ErrCorrupt, key)
	}
	seq := binary.BigEndian.Uint64(key)
	var p pb.Change
	if err := proto.Unmarshal(val, &p); err != nil {
		return Change{}, fmt.Errorf("%w: change %d: %v", ErrCorrupt, seq, err)
	}
	c := Change{
		Seq:    p.GetSeq(),
		Time:   fromUnixNano(p.GetTimeUnixNano()),
		Actor:  p.GetActor(),
		Origin: p.GetOrigin(),
		Key:    Key{Source: p.GetItem().GetSource(), ID: p.GetItem().GetId(), Via: p.GetItem().GetVia()},
		Reason: p.GetReason(),
		Prev:   p.GetPrevSeq(),
	}
	if k := p.GetKind(); k >= 1 && k <= 4 {
		c.Kind = ChangeKind(k)
	}
	var err error
	switch {
	case c.Seq != seq:
		err = fmt.Errorf("records sequence %d", c.Seq)
	case c.Prev >= seq:
		err = fmt.Errorf("follows a later change %d", c.Prev)
	case c.Kind == 0:
		err = fmt.Errorf("unknown kind %d", p.GetKind())
	case c.Kind == KindOpinion:
		if c.Opinion, err = opinionFromProto(p.GetOpinion()); err == nil && c.Opinion.Key != c.Key {
			err = fmt.Errorf("opinion's item differs from the change's")
		}
	default:
		err = c.Key.validate()
	}
	if err != nil {
		return Change{}, fmt.Errorf("%w: change %d: %v", ErrCorrupt, seq, err)
	}
	return c, nil
}

// changesPage is how many changes Changes reads per read transaction.
const changesPage = 1024

// Changes returns an iterator over the changes after sequence number
// since, in order. Changes(ctx, 0) reads the whole log. Like [DB.Items] it
// reads in pages of short transactions; changes committed while it runs
// are seen if they come after the page being read. A read error, or ctx
// ending, is yielded once and ends the iteration.
func (db *DB) Changes(ctx context.Context, since uint64) iter.Seq2[Change, error] {
	return func(yield func(Change, error) bool) {
		next := since + 1
		for {
			if err := ctx.Err(); err != nil {
				yield(Change{}, opError("changes", err))
				return
			}
			var page []Change
			err := db.view(func(view *view) error {
				cur := view.Cursor(store.BucketChanges) // ends before a staged write's changes
				for k, v := cur.Seek(store.SeqKey(next)); k != nil && len(page) < changesPage; k, v = cur.Next() {
					c, err := decodeChange(k, v)
					if err != nil {
						return err
					}
					page = append(page, c)
				}
				return nil
			})
			if err != nil {
				yield(Change{}, opError("changes", err))
				return
			}
			for _, c := range page {
				if !yield(c, nil) {
					return
				}
			}
			if len(page) < changesPage {
				return
			}
			next = page[len(page)-1].Seq + 1
		}
	}
}

// History returns every change to the item with the given key, and to the
// opinions on it, oldest first. It follows each record's chain of
// changes, so it costs the length of the history, not of the log. The
// error wraps [ErrNotFound] if the database has no such item and no opinion
// on it.
func (db *DB) History(key Key) (_ []Change, err error) {
	defer wrapErrOf(&err, func() string { return "history of " + key.String() })
	var hist []Change
	err = db.view(func(view *view) error {
		var heads []uint64
		r, ok, err := view.item(itemKey(key))
		if err != nil {
			return err
		}
		if ok {
			heads = append(heads, r.seq)
		}
		prefix := opinionPrefix(key, signal.Signal{})
		c := view.Cursor(store.BucketOpinions)
		for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
			_, seq, err := decodeOpinion(k, v)
			if err != nil {
				return err
			}
			heads = append(heads, seq)
		}
		if len(heads) == 0 {
			return ErrNotFound
		}
		for _, seq := range heads {
			for seq != 0 {
				v := view.Get(store.BucketChanges, store.SeqKey(seq))
				if v == nil {
					return fmt.Errorf("%w: history of %s: change %d is missing", ErrCorrupt, key, seq)
				}
				ch, err := decodeChange(store.SeqKey(seq), v)
				if err != nil {
					return err
				}
				if ch.Key != key {
					return fmt.Errorf("%w: history of %s: change %d is about %s", ErrCorrupt, key, seq, ch.Key)
				}
				hist = append(hist, ch)
				seq = ch.Prev
			}
		}
		return nil
	})
	slices.SortFunc(hist, func(a, b Change) int { return cmp.Compare(a.Seq, b.Seq) })
	return hist, err
}
