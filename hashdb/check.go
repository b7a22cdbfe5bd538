package hashdb

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/hashshare/hashshare/internal/store"
)

// A Problem is one inconsistency [DB.Check] found.
type Problem struct {
	// Bucket names where it was found: "items", "numbers", "opinions",
	// "changes", "counts", "codes" (the packed index codes), "meta", or
	// "bbolt" for the file's page structure.
	Bucket string
	// Key is the record's key in readable form, if the problem is about one.
	Key string
	// Reason says what is wrong.
	Reason string
}

// String returns "bucket key: reason".
func (p Problem) String() string {
	if p.Key == "" {
		return p.Bucket + ": " + p.Reason
	}
	return p.Bucket + " " + p.Key + ": " + p.Reason
}

// Check reads the whole database in one transaction and returns every
// inconsistency it finds: pages bbolt cannot account for, records that do
// not decode, an item number that does not lead back to its item or a
// number no item has, a change log that skips a number or disagrees
// with the metadata, items or opinions whose last change is not theirs,
// counters that disagree with a recount. A healthy database has none. The
// error reports only a failure to read (or ctx ending).
//
// Writes wait while bbolt checks the page structure (its check reads the
// free page list a writer changes); the record checks that follow read a
// snapshot alongside them.
func (db *DB) Check(ctx context.Context) (_ []Problem, err error) {
	defer wrapErr(&err, "check")
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := checker{ctx: ctx}
	db.wmu.Lock()
	err = db.checkView(func(v *view, err error) error {
		for err := range v.CheckPages() {
			c.add("bbolt", "", "%v", err)
		}
		return nil
	})
	db.wmu.Unlock()
	if err != nil {
		return nil, err
	}
	err = db.checkView(func(v *view, err error) error {
		if err != nil {
			// An unfinished staged write is checked as readers see the
			// file: as it was before the write. Its journal must decode.
			c.add("staged", "", "%v", err)
			return nil
		}
		c.v = v
		return c.run()
	})
	return c.probs, err
}

// checkView is [DB.view] for Check, which reports a staged write's
// journal that does not decode as a problem: fn gets the view, or the
// journal's error and a view of the pages only.
func (db *DB) checkView(fn func(v *view, journal error) error) error {
	if db.closed.Load() {
		return ErrClosed
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v, err := store.NewView(tx)
		if err != nil {
			return fn(&view{store.PagesView(tx)}, err)
		}
		return fn(&view{v}, nil)
	})
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

type checker struct {
	ctx   context.Context
	v     *view
	probs []Problem
	steps int
}

func (c *checker) add(bucket, key, format string, args ...any) {
	c.probs = append(c.probs, Problem{Bucket: bucket, Key: key, Reason: fmt.Sprintf(format, args...)})
}

// tick checks ctx now and then during long scans.
func (c *checker) tick() error {
	c.steps++
	if c.steps%4096 == 0 {
		return c.ctx.Err()
	}
	return nil
}

func (c *checker) run() error {
	view := c.v
	m, err := view.Meta()
	if err != nil {
		c.add("meta", "", "%v", err)
		return nil
	}
	// changeAt returns the change at seq, or nil with a problem reported.
	changeAt := func(bucket, key string, seq uint64) *Change {
		v := view.Get(store.BucketChanges, store.SeqKey(seq))
		if v == nil {
			c.add(bucket, key, "last change %d is not in the log", seq)
			return nil
		}
		ch, err := decodeChange(store.SeqKey(seq), v)
		if err != nil {
			return nil // reported by the change log scan
		}
		return &ch
	}

	// Items: each decodes, has a unique number that the numbers bucket
	// maps back to it, and its last change is about it.
	seq := view.Bucket(store.BucketItems).Sequence()
	counts := &counter{counts: make(map[countKey]int64)}
	numbers := make(map[uint64]Key)
	var live liveCodes
	err = forEach(view.Cursor(store.BucketItems), func(k, v []byte) error {
		if err := c.tick(); err != nil {
			return err
		}
		r, err := decodeRecord(k, v)
		if err != nil {
			c.add("items", fmt.Sprintf("%q", k), "%v", err)
			return nil
		}
		key := r.Key.String()
		if other, dup := numbers[r.num]; dup {
			c.add("items", key, "number %d is also %s's", r.num, other)
		}
		numbers[r.num] = r.Key
		if r.num > seq {
			c.add("items", key, "number %d is beyond the bucket's sequence %d", r.num, seq)
		}
		if r.num > maxNum {
			c.add("items", key, "number %d is beyond the largest an index id holds, %d", r.num, uint64(maxNum))
		}
		if view.Get(store.BucketNumbers, store.NumKey(r.num)) == nil {
			c.add("items", key, "number %d is not in the numbers bucket", r.num)
		}
		if ch := changeAt("items", key, r.seq); ch != nil && (ch.Key != r.Key || ch.Kind == KindOpinion) {
			c.add("items", key, "last change %d is a %s of %s", r.seq, ch.Kind, ch.Key)
		}
		counts.count(&r.Item, 1)
		live.add(&r)
		return nil
	})
	if err != nil {
		return err
	}
	if err := c.checkCodes(m.GetDatabaseId(), m.GetLastSeq(), &live); err != nil {
		return err
	}

	// Numbers: each names the item that has it. Together with the items
	// scan (every item's number is present, no two items share one), this
	// makes numbers and items one-to-one.
	err = forEach(view.Cursor(store.BucketNumbers), func(k, v []byte) error {
		if err := c.tick(); err != nil {
			return err
		}
		if len(k) != 8 {
			c.add("numbers", fmt.Sprintf("%x", k), "key is not a 64-bit number")
			return nil
		}
		n := binary.BigEndian.Uint64(k)
		owner, ok := numbers[n]
		switch {
		case !ok:
			c.add("numbers", fmt.Sprint(n), "no item has this number (the entry names %q)", v)
		case string(v) != string(itemKey(owner)):
			c.add("numbers", fmt.Sprint(n), "names %q, but the item with this number is %s", v, owner)
		}
		return nil
	})
	if err != nil {
		return err
	}

	// Change log: 1, 2, … without gaps, ending at the metadata's last_seq.
	var next uint64 = 1
	err = forEach(view.Cursor(store.BucketChanges), func(k, v []byte) error {
		if err := c.tick(); err != nil {
			return err
		}
		ch, err := decodeChange(k, v)
		if err != nil {
			c.add("changes", fmt.Sprintf("%x", k), "%v", err)
			if len(k) != 8 {
				return nil
			}
			ch.Seq = binary.BigEndian.Uint64(k)
		}
		if ch.Seq != next {
			c.add("changes", fmt.Sprint(ch.Seq), "follows change %d: the log skips %d to %d", next-1, next, ch.Seq-1)
		}
		next = ch.Seq + 1
		return nil
	})
	if err != nil {
		return err
	}
	if last := next - 1; last != m.GetLastSeq() {
		c.add("meta", "", "last sequence is %d but the log ends at %d", m.GetLastSeq(), last)
	}

	// Opinions: each decodes and its last change records it.
	err = forEach(view.Cursor(store.BucketOpinions), func(k, v []byte) error {
		op, seq, err := decodeOpinion(k, v)
		if err != nil {
			c.add("opinions", fmt.Sprintf("%q", k), "%v", err)
			return nil
		}
		counts.counts[countKey{kind: countOpinions}]++
		name := fmt.Sprintf("%q", k)
		if ch := changeAt("opinions", name, seq); ch != nil && (ch.Kind != KindOpinion || ch.Opinion != op) {
			c.add("opinions", name, "last change %d is not this opinion", seq)
		}
		return nil
	})
	if err != nil {
		return err
	}

	// Counters agree with the recount.
	stored := make(map[string]int64)
	err = view.Bucket(store.BucketCounts).ForEach(func(k, v []byte) error {
		n, err := store.ReadCount(v)
		if err != nil {
			c.add("counts", string(k), "%v", err)
		}
		stored[string(k)] = n
		return nil
	})
	if err != nil {
		return err
	}
	counts.tally()
	recount := flatCounts(counts.counts)
	maps.DeleteFunc(recount, func(_ string, n int64) bool { return n == 0 })
	for _, k := range slices.Sorted(maps.Keys(recount)) {
		if got, want := stored[k], recount[k]; got != want {
			c.add("counts", k, "stored %d, recount %d", got, want)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(stored)) {
		if _, ok := recount[k]; !ok {
			c.add("counts", k, "stored %d, recount 0", stored[k])
		}
	}
	return nil
}

// forEach calls fn for each record c yields, as seen by its view.
func forEach(c *store.ViewCursor, fn func(k, v []byte) error) error {
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}
