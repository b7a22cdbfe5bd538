package hashdb

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"iter"
	"slices"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/internal/store"
)

// Get returns the item with the given key, retracted or not. The error
// wraps [ErrNotFound] if there is none.
func (db *DB) Get(key Key) (_ Item, err error) {
	defer wrapErrOf(&err, func() string { return "get " + key.String() })
	var r record
	err = db.view(func(v *view) error {
		var ok bool
		var err error
		if r, ok, err = v.item(itemKey(key)); err == nil && !ok {
			err = ErrNotFound
		}
		return err
	})
	return r.Item, err
}

// Lookup returns every live item that carries exactly signal s, ordered by
// key; none is not an error. Retracted items no longer match. Lookup
// compares values for equality; near matches of perceptual hashes are
// [DB.Match]'s job.
func (db *DB) Lookup(s signal.Signal) (_ []Item, err error) {
	defer wrapErrOf(&err, func() string { return "lookup " + s.String() })
	if s.IsZero() {
		return nil, fmt.Errorf("%w: zero Signal", signal.ErrInvalid)
	}
	if err := db.useIndexes(context.Background()); err != nil {
		return nil, err
	}
	var hits []hit
	err = db.view(func(v *view) error {
		ids, err := db.idx.search(v, s, 0, nil)
		if err != nil {
			return err
		}
		hits, err = resolve(v, s.Algorithm(), ids, func(t signal.Signal) bool { return t == s })
		sortHits(hits) // while the keys, in the file's memory map, are valid
		return err
	})
	if err != nil {
		return nil, err
	}
	items := make([]Item, len(hits))
	for i := range hits {
		items[i] = hits[i].item
	}
	return items, nil
}

// A hit is a stored signal an index search found, and the live item that
// carries it.
type hit struct {
	sig  signal.Signal
	ik   []byte // the item's encoded key, valid for the transaction
	item Item
}

// resolve turns the ids a search of algorithm a's index found into the
// signals they stand for in the snapshot tx, keeping those that keep
// accepts, each with its live item. The index follows commits, so it may
// be ahead of or behind an older snapshot: an id whose item has since
// gone, been retracted or changed is left out or resolved as the snapshot
// holds it, never reported as corruption.
func resolve(view *view, a signal.Algorithm, ids []uint64, keep func(signal.Signal) bool) ([]hit, error) {
	slices.Sort(ids) // groups each item's ids
	var out []hit
	var r record
	var ik []byte
	var num uint64
	live := false
	for _, id := range ids {
		n, pos := splitID(id)
		if n != num {
			num, live = n, false
			if ik = view.Get(store.BucketNumbers, store.NumKey(n)); ik == nil {
				continue // gone, or created by an unfinished staged write
			}
			var ok bool
			var err error
			if r, ok, err = view.item(ik); err != nil {
				return nil, err
			}
			if !ok {
				return nil, fmt.Errorf("%w: item number %d names missing item %q", ErrCorrupt, n, ik)
			}
			live = !r.Retracted && r.num == n && !shadowed(view, &r.Item)
		}
		if !live || pos >= len(r.Signals) {
			continue
		}
		if s := r.Signals[pos]; s.Algorithm() == a && keep(s) {
			out = append(out, hit{sig: s, ik: ik, item: r.Item})
		}
	}
	return out, nil
}

// shadowed reports whether it is a re-shared copy of an item the database
// also holds from its source: the source's copy wins, retracted or not.
func shadowed(v *view, it *Item) bool {
	return it.Via != "" && v.Get(store.BucketItems, itemKey(it.Own())) != nil
}

// sortHits orders hits by item key, as the items bucket does.
func sortHits(hits []hit) {
	slices.SortFunc(hits, func(a, b hit) int { return bytes.Compare(a.ik, b.ik) })
}

// A Filter selects items for [DB.Items]. The zero Filter selects every live
// item.
type Filter struct {
	// Source, if set, selects the items of one source.
	Source string
	// Labels, if set, selects items carrying every one of these labels.
	Labels []string
	// MaxTLP, if set, selects items whose level is no more restrictive:
	// MaxTLP: tlp.Green selects CLEAR and GREEN items.
	MaxTLP tlp.Level
	// Retracted also selects retracted items.
	Retracted bool
	// StoredOrder iterates in the order the items were first stored
	// rather than in key order: the order of the list they were ingested
	// from, which an exporter needs to write the list back as it came.
	StoredOrder bool
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
	if f.StoredOrder {
		return db.itemsStored(ctx, f)
	}
	return func(yield func(Item, error) bool) {
		var prefix []byte
		if f.Source != "" {
			prefix = store.SourcePrefix(f.Source)
		}
		from := prefix
		after := false // whether from was already yielded
		for {
			if err := ctx.Err(); err != nil {
				yield(Item{}, opError("items", err))
				return
			}
			var page []Item
			var last []byte
			err := db.view(func(view *view) error {
				c := view.Cursor(store.BucketItems)
				k, v := c.Seek(from)
				if after && k != nil && string(k) == string(from) {
					k, v = c.Next()
				}
				for n := 0; k != nil && hasPrefix(k, prefix) && n < itemsPage; k, v = c.Next() {
					last = k
					n++
					r, ok, err := decodeVisible(k, v)
					if err != nil {
						return err
					}
					if ok && f.match(&r.Item) {
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
				yield(Item{}, opError("items", err))
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

// itemsStored is Items in the order items were first stored: the order of
// their numbers, which the numbers bucket is keyed by.
func (db *DB) itemsStored(ctx context.Context, f Filter) iter.Seq2[Item, error] {
	return func(yield func(Item, error) bool) {
		next := uint64(1)
		for {
			if err := ctx.Err(); err != nil {
				yield(Item{}, opError("items", err))
				return
			}
			var page []Item
			done := true
			err := db.view(func(view *view) error {
				c := view.Cursor(store.BucketNumbers)
				n := 0
				for k, ik := c.Seek(store.NumKey(next)); k != nil; k, ik = c.Next() {
					if n == itemsPage {
						done = false
						return nil
					}
					n++
					if len(k) != 8 {
						return fmt.Errorf("%w: item number key %x", ErrCorrupt, k)
					}
					num := binary.BigEndian.Uint64(k)
					next = num + 1
					r, ok, err := view.item(ik)
					if err != nil {
						return err
					}
					// A number whose item has gone, or now has another
					// number, was left by an undone write.
					if !ok || r.num != num || f.Source != "" && r.Source != f.Source || !f.match(&r.Item) {
						continue
					}
					page = append(page, r.Item)
				}
				return nil
			})
			if err != nil {
				yield(Item{}, opError("items", err))
				return
			}
			for _, it := range page {
				if !yield(it, nil) {
					return
				}
			}
			if done {
				return
			}
		}
	}
}
