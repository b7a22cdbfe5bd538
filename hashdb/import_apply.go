package hashdb

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/internal/store"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

func (im *importer) apply(en *entry) error {
	e := en.e
	switch c := e.GetChange().(type) {
	case *pb.Entry_Upsert:
		if en.bad != nil {
			return en.bad
		}
		return im.upsert(en)
	case *pb.Entry_Retract:
		k := Key{Source: c.Retract.GetItem().GetSource(), ID: c.Retract.GetItem().GetId()}
		if k.Source != im.peer.ID {
			// A producer withdraws only its own copy of another's item.
			k.Via = im.peer.ID
		}
		if err := k.validate(); err != nil {
			return fmt.Errorf("%w: retraction of %s: %v", ErrInvalidItem, k, err)
		}
		if err := im.db.opts.validateText("retract reason", c.Retract.GetReason()); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrInvalidItem, k, err)
		}
		ik := itemKey(k)
		held, err := im.untrack(ik)
		if err != nil {
			return err
		}
		if held || k.Source == im.peer.ID {
			return im.retract(ik, c.Retract.GetReason())
		}
		return nil
	case *pb.Entry_Opinion:
		return im.opinion(c.Opinion)
	}
	return fmt.Errorf("%w: empty entry", ErrMalformed)
}

func (im *importer) upsert(en *entry) error {
	it := &en.it
	if err := im.track(en.ik, en.hash); err != nil {
		return err
	}
	if im.refuses(it) {
		im.res.Refused++
		if it.Source == im.peer.ID {
			return im.retract(en.ik, "refused by the local policy for "+im.peer.ID)
		}
		return nil
	}
	_, err := im.w.putItemPre(*it, en.ik, &en.pre)
	return err
}

// refuses reports whether it may not be stored.
func (im *importer) refuses(it *Item) bool {
	pol := &im.peer.Policy
	switch {
	case it.Source == im.db.opts.Organization:
		return true // a partner does not rewrite the local organisation's items
	case it.Source != im.peer.ID && it.TLP > tlp.Green:
		return true // re-shared beyond what its level allows
	case pol.MaxTLP == 0 || it.TLP > pol.MaxTLP:
		return true
	case len(pol.Labels) > 0:
		return !slices.ContainsFunc(pol.Labels, func(l string) bool {
			_, ok := slices.BinarySearch(it.Labels, l)
			return ok
		})
	}
	return false
}

// track records that the peer holds the item with key ik, hashing to h.
func (im *importer) track(ik []byte, h [32]byte) error {
	fresh := im.old != nil && bytes.Compare(ik, im.last) > 0
	if fresh {
		im.last = ik
	}
	var v []byte
	if !fresh {
		v = im.recv.Get(ik)
	}
	if v != nil && im.old != nil {
		// A FULL bundle's set starts empty: the key came before in it.
		k, err := parseItemKey(ik)
		if err != nil {
			return err
		}
		return fmt.Errorf("%w: the full bundle holds %s twice", ErrMalformed, k.Own())
	}
	// Put replaces a held record: no need to delete it first.
	if v != nil {
		_, old, err := store.ParseReceived(ik, v)
		if err != nil {
			return err
		}
		im.set.Sub(old)
	}
	im.set.Add(h)
	return im.recv.Put(ik, store.AppendReceived(im.w.t.Alloc(40)[:0], im.gen, h))
}

// untrack forgets the item with key ik, reporting whether the database
// held it from the peer.
func (im *importer) untrack(ik []byte) (bool, error) {
	v := im.recv.Get(ik)
	if v == nil {
		// A FULL bundle's retraction of an item held before.
		return im.old != nil && im.old.Get(ik) != nil, nil
	}
	_, old, err := store.ParseReceived(ik, v)
	if err != nil {
		return false, err
	}
	im.set.Sub(old)
	return true, im.recv.Delete(ik)
}

// retract withdraws the stored item with key ik if the producer speaks
// for it: its own item, or its own copy of another's. Whatever the
// producer's received set holds (a file from before copies were kept
// apart may list another source's items), nothing else is retracted.
func (im *importer) retract(ik []byte, reason string) error {
	r, ok, err := im.w.load(ik)
	if err != nil || !ok || r.Retracted || r.Source == im.db.opts.Organization {
		return err
	}
	if r.Source != im.peer.ID && r.Via != im.peer.ID {
		return nil
	}
	r.Retracted, r.RetractReason = true, reason
	_, err = im.w.putItem(r.Item)
	return err
}

// sweep retracts what a FULL bundle did not carry: every item held from
// the peer before that the new set lacks.
func (im *importer) sweep() error {
	if im.old == nil {
		return nil
	}
	c := im.old.Cursor()
	for k, _ := c.Seek(store.FirstItemKey); k != nil; k, _ = c.Next() {
		if im.recv.Get(k) != nil {
			continue
		}
		if err := im.retract(bytes.Clone(k), "not in "+im.peer.ID+"'s full bundle"); err != nil {
			return err
		}
		if _, err := im.w.step(); err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) opinion(p *pb.Opinion) error {
	op, err := opinionFromProto(p)
	if err == nil && op.Org != im.peer.ID {
		err = fmt.Errorf("an opinion of %q in a bundle from %q", op.Org, im.peer.ID)
	}
	if err == nil {
		op, err = im.db.normalizeOpinion(context.Background(), op)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidOpinion, err)
	}
	k := opinionKey(&op)
	if v := im.w.ops.Get(k); v != nil {
		old, _, err := decodeOpinion(k, v)
		if err != nil {
			return err
		}
		if old == op {
			return nil
		}
	}
	return im.w.putOpinion(&op)
}
