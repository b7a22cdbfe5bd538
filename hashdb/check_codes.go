package hashdb

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/internal/store"
)

// liveCodes collects, during Check's scan of the items, what the packed
// codes should hold.
type liveCodes [signal.SHA256 + 1]codeBatch

func (l *liveCodes) add(r *record) {
	if r.Retracted || r.num == 0 || r.num > maxNum || len(r.Signals) > 1<<posBits {
		return
	}
	for pos, s := range r.Signals {
		b := &l[s.Algorithm()]
		b.ids = append(b.ids, signalID(r.num, pos))
		b.codes = appendCode(b.codes, s)
	}
}

// checkCodes compares the packed codes with the items: the marker must
// name this database and its last change, and the chunks hold exactly the
// live signals' codes.
func (c *checker) checkCodes(id []byte, lastSeq uint64, want *liveCodes) error {
	view := c.v
	mark, ok := decodeCodesMark(view.Get(store.BucketCodes, codesMarker))
	switch {
	case !ok:
		c.add("codes", "", "no marker: the packed index codes are missing or unfinished (a writable open rebuilds them)")
		return nil
	case !bytes.Equal(mark.id, id):
		c.add("codes", "", "the marker names database %x, not this one", mark.id)
		return nil
	case mark.seq != lastSeq:
		c.add("codes", "", "the marker is of change %d, the last is %d: stale (a writable open rebuilds them)", mark.seq, lastSeq)
		return nil
	}
	var got liveCodes
	err := forEach(view.Cursor(store.BucketCodes), func(k, v []byte) error {
		if err := c.tick(); err != nil {
			return err
		}
		if bytes.Equal(k, codesMarker) {
			return nil
		}
		a, chunk, err := store.ParseCodesKey(k)
		if err == nil && !signal.Algorithm(a).Valid() {
			err = fmt.Errorf("unknown algorithm %d", a)
		}
		if err != nil {
			c.add("codes", fmt.Sprintf("%x", k), "%v", err)
			return nil
		}
		b := &got[a]
		from := len(b.ids)
		if b.ids, b.codes, err = store.ReadChunk(v, codeBits(signal.Algorithm(a))/64, b.ids, b.codes); err != nil {
			c.add("codes", fmt.Sprintf("%s/%d", signal.Algorithm(a), chunk), "%v", err)
			return nil
		}
		for _, sid := range b.ids[from:] {
			if chunkOf(sid) != chunk {
				c.add("codes", fmt.Sprintf("%s/%d", signal.Algorithm(a), chunk), "holds id %x of chunk %d", sid, chunkOf(sid))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, a := range signal.Algorithms() {
		w := codeBits(a) / 64
		exp := want[a]
		sortBatch(&exp, w)
		if uint64(len(got[a].ids)) != mark.entries[a] {
			c.add("codes", a.String(), "the marker counts %d entries, the chunks hold %d", mark.entries[a], len(got[a].ids))
		}
		if !slices.Equal(got[a].ids, exp.ids) || !slices.Equal(got[a].codes, exp.codes) {
			c.add("codes", a.String(), "the chunks hold %d entries that differ from the %d live signals' codes", len(got[a].ids), len(exp.ids))
		}
	}
	return nil
}
