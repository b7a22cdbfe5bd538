package hashdb

import (
	bolt "go.etcd.io/bbolt"
)

// A view reads the database as the last finished write left it, in a read
// transaction. While a staged write is in progress, or was interrupted
// and awaits its rollback, the items and opinions it changed are read from
// its undo records, and what it created is not seen (see staged.go).
// Without one, a view costs one bucket lookup.
type view struct {
	tx        *bolt.Tx
	items     *bolt.Bucket
	pending   bool
	j         journal
	undoItems *bolt.Bucket
	undoOps   *bolt.Bucket
}

func newView(tx *bolt.Tx) (*view, error) {
	v := &view{tx: tx, items: tx.Bucket(bucketItems)}
	st := tx.Bucket(bucketStaged)
	if st == nil {
		return v, nil
	}
	var err error
	if v.j, err = readJournal(st); err != nil {
		return nil, err
	}
	v.pending = true
	v.undoItems = bucketPath(tx, bucketStaged, bucketUndo, undoItems)
	v.undoOps = bucketPath(tx, bucketStaged, bucketUndo, undoOpinions)
	return v, nil
}

// item returns the record of the item whose encoded key is ik.
func (v *view) item(ik []byte) (record, bool, error) {
	return v.record(ik, v.items.Get(ik))
}

// record returns the record of the item whose encoded key is ik, given
// the value val the items bucket holds for it (nil if none).
func (v *view) record(ik, val []byte) (record, bool, error) {
	if val == nil {
		return record{}, false, nil
	}
	r, err := decodeRecord(ik, val)
	if err != nil {
		return r, false, err
	}
	if !v.pending || r.seq <= v.j.seq0 {
		return r, true, nil
	}
	return v.before(ik)
}

// changed reports whether the raw record val of the item was written by
// an unfinished staged write, given its sequence number.
func (v *view) changed(seq uint64) bool { return v.pending && seq > v.j.seq0 }

// before returns the item's record from before the unfinished staged
// write changed it; none if the write created it.
func (v *view) before(ik []byte) (record, bool, error) {
	old := v.beforeRaw(ik)
	if old == nil {
		return record{}, false, nil
	}
	r, err := decodeRecord(ik, old)
	return r, err == nil, err
}

// beforeRaw is [view.before] without decoding: the old value, or nil.
func (v *view) beforeRaw(ik []byte) []byte {
	if v.undoItems == nil {
		return nil
	}
	if u := v.undoItems.Get(ik); len(u) > 1 && u[0] == 1 {
		return u[1:]
	}
	return nil
}

// opinion returns the stored opinion record under key k, given the value
// val the opinions bucket holds (nil if none); nil if there is none.
func (v *view) opinion(k, val []byte) []byte {
	if !v.pending || v.undoOps == nil {
		return val
	}
	switch u := v.undoOps.Get(k); {
	case u == nil:
		return val
	case len(u) > 1 && u[0] == 1:
		return u[1:]
	}
	return nil
}
