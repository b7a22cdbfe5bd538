package hashdb

import (
	"bytes"
	"context"
	"fmt"

	"github.com/hashshare/hashshare/internal/bundle"
	"github.com/hashshare/hashshare/internal/pipeline"
	"github.com/hashshare/hashshare/internal/store"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// full sends every item the audience may have, then the organisation's
// opinions on them.
func (e *export) full(ctx context.Context) error {
	items := walk(e.wr.items.Cursor(), nil)
	err := e.send(ctx, func() (outgoing, bool, error) {
		k, v := items()
		return outgoing{ik: bytes.Clone(k), val: bytes.Clone(v)}, k != nil, nil
	})
	if err != nil {
		return err
	}
	ops := e.wr.ops.Cursor()
	for k, v := ops.First(); k != nil; k, v = ops.Next() {
		if err := e.tick(ctx); err != nil {
			return err
		}
		op, _, err := decodeOpinion(k, v)
		if err != nil {
			return err
		}
		if err := e.opinion(&op); err != nil {
			return err
		}
		if _, err := e.wr.step(); err != nil {
			return err
		}
	}
	return nil
}

// delta sends what changed after e.since, each item and opinion at its
// last change only, so once and as it now is.
func (e *export) delta(ctx context.Context) error {
	log := walk(e.wr.log.Cursor(), store.SeqKey(e.since+1))
	return e.send(ctx, func() (outgoing, bool, error) {
		k, v := log()
		if k == nil {
			return outgoing{}, false, nil
		}
		ch, err := decodeChange(k, v)
		if err != nil {
			return outgoing{}, false, err
		}
		if ch.Kind == KindOpinion {
			ok := opinionKey(&ch.Opinion)
			return outgoing{opinion: ok, val: bytes.Clone(e.wr.ops.Get(ok)), seq: ch.Seq}, true, nil
		}
		ik := itemKey(ch.Key)
		iv := e.wr.items.Get(ik)
		if iv == nil {
			return outgoing{}, false, fmt.Errorf("%w: change %d names missing item %s", ErrCorrupt, ch.Seq, ch.Key)
		}
		return outgoing{ik: ik, val: bytes.Clone(iv), seq: ch.Seq}, true, nil
	})
}

// An outgoing record is an item, or a delta's opinion, on its way into the
// bundle: read in the transaction, then decoded, judged and encoded on the
// export's worker goroutine, then sent in order.
type outgoing struct {
	ik      []byte // the item's key, or nil for an opinion
	opinion []byte // the opinion's key, or nil for an item
	val     []byte // the stored record, copied out of the transaction
	seq     uint64 // a delta's change naming it: sent only if it is its last

	// Set by prepare.
	err    error
	skip   bool // changed again later in the log
	share  bool // the audience may have it
	key    Key
	reason string // why the audience must drop it, if it may not have it
	frame  []byte // the upsert's bundle frame
	bad    error  // why the item cannot be sent, if it cannot
	hash   [32]byte
	op     Opinion
}

// outgoingBatch is how many records the worker prepares at a time, and
// outgoingAhead how many batches may be in flight.
const (
	outgoingBatch = 256
	outgoingAhead = 3
)

// send runs the records next yields through a worker goroutine, which
// decodes and encodes them while this one reads the next and writes the
// sent set and the bundle: the two halves of an export's work.
func (e *export) send(ctx context.Context, next func() (outgoing, bool, error)) error {
	var readErr error
	read := func() (outgoing, bool) {
		o, ok, err := next()
		if err != nil {
			readErr = err
		}
		return o, ok && err == nil
	}
	var c coder // the worker's
	p := pipeline.New(outgoingBatch, outgoingAhead, read, func(b []outgoing) {
		var frames []byte // one block for the batch's frames
		for i := range b {
			frames = e.prepare(&b[i], frames, &c)
		}
	})
	defer p.Close()
	for b := p.Next(); b != nil; b = p.Next() {
		for i := range b {
			if err := e.tick(ctx); err != nil {
				return err
			}
			if err := e.out(&b[i]); err != nil {
				return err
			}
			if _, err := e.wr.step(); err != nil {
				return err
			}
		}
		if readErr != nil {
			return readErr
		}
	}
	return readErr
}

// prepare decodes o and, if the audience may have it, encodes its frame
// at the end of frames, returning frames; c is the worker's scratch.
func (e *export) prepare(o *outgoing, frames []byte, c *coder) []byte {
	if o.opinion != nil {
		if o.val == nil {
			o.skip = true
			return frames
		}
		var seq uint64
		o.op, seq, o.err = decodeOpinion(o.opinion, o.val)
		o.skip = seq != o.seq
		return frames
	}
	r, err := decodeRecord(o.ik, o.val)
	if err != nil {
		o.err = err
		return frames
	}
	if o.seq != 0 && r.seq != o.seq {
		o.skip = true // a later change sends it
		return frames
	}
	o.key = r.Key
	if o.share = e.db.shareable(&r.Item, e.opts.Audience, e.share); o.share {
		p := c.itemProto(&r.Item)
		p.Source, p.Id = r.Source, r.ID
		n := len(frames)
		if frames, o.hash, o.bad = e.bw.AppendUpsert(frames, p); o.bad != nil {
			// Stored under looser limits than the bundle's: an error
			// only if the item must go.
			o.hash = bundle.ItemHash(p)
			return frames
		}
		o.frame = frames[n:len(frames):len(frames)]
		return frames
	}
	o.reason = "no longer shared"
	if r.Retracted {
		o.reason = r.RetractReason
	}
	return frames
}

// out sends the prepared o if the audience may have it and does not hold
// it as it is, or a retraction if the audience holds it and may no longer.
func (e *export) out(o *outgoing) error {
	switch {
	case o.err != nil:
		return o.err
	case o.skip:
		return nil
	case o.opinion != nil:
		return e.opinion(&o.op)
	}
	var old [32]byte
	held := false
	if v := e.sent.Get(o.ik); v != nil {
		if len(v) != len(old) {
			return fmt.Errorf("%w: sent record of %s", ErrCorrupt, o.key)
		}
		copy(old[:], v)
		held = true
	}
	if !o.share {
		if !held {
			return nil
		}
		e.set.Sub(old)
		if err := e.sent.Delete(o.ik); err != nil {
			return err
		}
		return e.bw.Write(&pb.Entry{Change: &pb.Entry_Retract{Retract: &pb.Retraction{
			Item: &pb.ItemKey{Source: o.key.Source, Id: o.key.ID}, Reason: o.reason,
		}}})
	}
	if held && o.hash == old && !e.resend {
		return nil
	}
	if o.bad != nil {
		return fmt.Errorf("%w: %s: %w", ErrInvalidItem, o.key, o.bad)
	}
	if held {
		e.set.Sub(old)
	}
	e.set.Add(o.hash)
	if err := e.sent.Put(o.ik, o.hash[:]); err != nil {
		return err
	}
	return e.bw.WriteFrame(o.frame)
}

// walk returns a function that yields the records of c from from on, one
// a call, across the staged write's commits; a nil key at the end.
func walk(c *store.Cursor, from []byte) func() (k, v []byte) {
	started := false
	return func() ([]byte, []byte) {
		if !started {
			started = true
			return c.Seek(from) // Seek(nil) is First
		}
		return c.Next()
	}
}
