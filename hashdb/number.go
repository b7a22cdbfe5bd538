package hashdb

import (
	"fmt"

	"github.com/hashshare/hashshare/internal/store"
)

// Item numbers.
//
// Every item gets a number when it is first stored: 1, 2, 3, … in the
// order items were stored, never reused and kept across updates,
// retraction and restarts. It is the item's short local name, which a
// service can hand out where an API wants an integer id; it means nothing
// to partners, who name items by Key.

// Numbers returns the number of each item keys names, in order; 0 for a
// key with no item. Reading them all in one transaction costs one lookup
// per key.
func (db *DB) Numbers(keys ...Key) (_ []uint64, err error) {
	defer wrapErr(&err, "numbers")
	out := make([]uint64, len(keys))
	err = db.view(func(v *view) error {
		for i, k := range keys {
			r, ok, err := v.item(itemKey(k))
			if err != nil {
				return err
			}
			if ok {
				out[i] = r.num
			}
		}
		return nil
	})
	return out, err
}

// GetNumber returns the item numbered n, retracted or not. The error
// wraps [ErrNotFound] if there is none.
func (db *DB) GetNumber(n uint64) (_ Item, err error) {
	defer wrapErrOf(&err, func() string { return fmt.Sprintf("get number %d", n) })
	var r record
	err = db.view(func(v *view) error {
		ik := v.Get(store.BucketNumbers, store.NumKey(n))
		if ik == nil {
			return ErrNotFound
		}
		var ok bool
		var err error
		if r, ok, err = v.item(ik); err != nil {
			return err
		}
		// A number whose item has another number was left by an undone
		// write.
		if !ok || r.num != n {
			return ErrNotFound
		}
		return nil
	})
	return r.Item, err
}
