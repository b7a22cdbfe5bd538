package hashdb

import (
	"context"
	"fmt"
	"iter"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Get returns the item with the given key, retracted or not. The error
// wraps [ErrNotFound] if there is none.
func (db *DB) Get(key Key) (Item, error) {
	var r record
	err := db.view(func(tx *bolt.Tx) error {
		ik := itemKey(key)
		v := tx.Bucket(bucketItems).Get(ik)
		if v == nil {
			return fmt.Errorf("hashdb: get %s: %w", key, ErrNotFound)
		}
		var err error
		r, err = decodeRecord(ik, v)
		return err
	})
	return r.Item, err
}

// Lookup returns every live item that carries exactly signal s, ordered by
// key; none is not an error. Retracted items no longer match. Lookup
// compares values for equality; near matches of perceptual hashes are the
// match indexes' job.
func (db *DB) Lookup(s Signal) ([]Item, error) {
	if s.IsZero() {
		return nil, fmt.Errorf("%w: zero Signal", ErrInvalidSignal)
	}
	var items []Item
	err := db.view(func(tx *bolt.Tx) (err error) {
		items, err = lookup(tx, s)
		return err
	})
	return items, err
}

// lookup returns the live items carrying s, ordered by key.
func lookup(tx *bolt.Tx, s Signal) ([]Item, error) {
	var items []Item
	ib := tx.Bucket(bucketItems)
	prefix := signalPrefix(s)
	c := tx.Bucket(bucketIndex).Cursor()
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		ik := k[len(prefix):]
		v := ib.Get(ik)
		if v == nil {
			return nil, fmt.Errorf("%w: signal index links %s to missing item %q", ErrCorrupt, s, ik)
		}
		r, err := decodeRecord(ik, v)
		if err != nil {
			return nil, err
		}
		items = append(items, r.Item)
	}
	return items, nil
}

// A Filter selects items for [DB.Items]. The zero Filter selects every live
// item.
type Filter struct {
	// Source, if set, selects the items of one source.
	Source string
	// Labels, if set, selects items carrying every one of these labels.
	Labels []string
	// MaxTLP, if set, selects items whose level is no more restrictive:
	// MaxTLP: TLPGreen selects CLEAR and GREEN items.
	MaxTLP TLP
	// Retracted also selects retracted items.
	Retracted bool
}

func (f *Filter) match(it *Item) bool {
	if it.Retracted && !f.Retracted {
		return false
	}
	if f.MaxTLP != 0 && it.TLP > f.MaxTLP {
		return false
	}
	for _, l := range f.Labels {
		if _, ok := slices.BinarySearch(it.Labels, l); !ok {
			return false
		}
	}
	return true
}

// itemsPage is how many items Items reads per read transaction. Reading in
// pages keeps a slow consumer from holding a transaction open, which would
// stall writes that need to grow the file.
const itemsPage = 512

// Items returns an iterator over the items f selects, in key order
// (source, then id). It reads in pages of short transactions, so it is not
// one snapshot: an item written while it runs may or may not be seen, but
// none is seen twice. A read error, or ctx ending, is yielded once and ends
// the iteration.
func (db *DB) Items(ctx context.Context, f Filter) iter.Seq2[Item, error] {
	return func(yield func(Item, error) bool) {
		var prefix []byte
		if f.Source != "" {
			prefix = sourcePrefix(f.Source)
		}
		from := prefix
		after := false // whether from was already yielded
		for {
			if err := ctx.Err(); err != nil {
				yield(Item{}, err)
				return
			}
			var page []Item
			var last []byte
			err := db.view(func(tx *bolt.Tx) error {
				c := tx.Bucket(bucketItems).Cursor()
				k, v := c.Seek(from)
				if after && k != nil && string(k) == string(from) {
					k, v = c.Next()
				}
				for n := 0; k != nil && hasPrefix(k, prefix) && n < itemsPage; k, v = c.Next() {
					last = k
					n++
					r, err := decodeRecord(k, v)
					if err != nil {
						return err
					}
					if f.match(&r.Item) {
						page = append(page, r.Item)
					}
				}
				last = append([]byte(nil), last...)
				if k == nil || !hasPrefix(k, prefix) {
					last = nil // done
				}
				return nil
			})
			if err != nil {
				yield(Item{}, err)
				return
			}
			for _, it := range page {
				if !yield(it, nil) {
					return
				}
			}
			if last == nil {
				return
			}
			from, after = last, true
		}
	}
}
