package hashdb

import (
	"bytes"
	"fmt"

	"github.com/hashshare/hashshare/internal/store"
)

// A feed's membership is the set of items it has delivered and not
// deleted since: one sub-bucket per feed of the feeds bucket,
//
//	feeds/members/<api NUL collab>: { itemkey → 1 }
//
// kept by [DB.Apply] in the transaction of each page. It is what the end
// of a full fetch may retract, as a peer's received set is what its FULL
// bundle may: several feeds, lists and peers file items under one source,
// and a feed speaks only for what it delivered itself.
//
// A feed state stored before memberships were kept has none: its
// membership starts empty and grows from the first page applied after.
// Nothing proves which feed delivered the items stored before, so the end
// of a full fetch never retracts them; those the feed still lists join
// its membership as that fetch delivers them again.
var feedMembers = []byte("members")

// members is a feed's membership as one write changes it.
type members struct {
	b *store.Bucket
}

// membersOf returns the membership of the feed named name, creating its
// bucket.
func (w *writer) membersOf(name []byte) (members, error) {
	if err := w.t.Create(store.BucketFeeds, feedMembers, name); err != nil {
		return members{}, err
	}
	return members{w.t.Bucket(store.BucketFeeds, feedMembers, name)}, nil
}

// add records that the feed delivered the item with key ik; a key held
// already is not written again, so that a page fetched twice dirties
// nothing.
func (m members) add(ik []byte) error {
	if m.b.Get(ik) != nil {
		return nil
	}
	return m.b.Put(ik, []byte{1})
}

// remove forgets the item with key ik, which the feed deleted.
func (m members) remove(ik []byte) error {
	if m.b.Get(ik) == nil {
		return nil
	}
	return m.b.Delete(ik)
}

// otherMembers returns the memberships of every feed but the one named
// name.
func (w *writer) otherMembers(name []byte) []*store.Bucket {
	var out []*store.Bucket
	c := w.t.Bucket(store.BucketFeeds, feedMembers).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil && !bytes.Equal(k, name) {
			out = append(out, w.t.Bucket(store.BucketFeeds, feedMembers, bytes.Clone(k)))
		}
	}
	return out
}

// retractUnseen ends the full fetch st: every member of the feed the
// fetch did not see leaves its membership, and is retracted for reason
// if it is filed under st.Source and no other feed's membership holds it
// (that feed still lists it). It then forgets what the fetch saw.
func (w *writer) retractUnseen(st *FeedState, reason string) (int, error) {
	name := feedKey(st.API, st.Collab)
	seen := w.t.Bucket(store.BucketFeeds, feedSeen, name)
	own := w.t.Bucket(store.BucketFeeds, feedMembers, name)
	prefix := store.SourcePrefix(st.Source)
	// Collect first: the loop below writes the buckets the cursor walks.
	var unseen [][]byte
	c := own.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if seen.Get(k) == nil {
			unseen = append(unseen, bytes.Clone(k))
		}
	}
	others := w.otherMembers(name)
	n := 0
	for i, ik := range unseen {
		if i%1024 == 1023 {
			if err := w.ctx.Err(); err != nil {
				return 0, err
			}
		}
		if err := own.Delete(ik); err != nil {
			return 0, err
		}
		// A key under another source was delivered before the feed was
		// filed elsewhere: it is no longer the feed's to withdraw.
		if !hasPrefix(ik, prefix) || heldByAny(others, ik) {
			continue
		}
		r, ok, err := w.load(ik)
		if err != nil {
			return 0, err
		}
		if !ok || r.Retracted {
			continue
		}
		r.Retracted, r.RetractReason = true, reason
		if _, err := w.putItem(r.Item); err != nil {
			return 0, fmt.Errorf("%s: %w", r.Key, err)
		}
		n++
	}
	if !seen.Exists() {
		return n, nil
	}
	return n, clearBucket(seen)
}

func heldByAny(sets []*store.Bucket, ik []byte) bool {
	for _, b := range sets {
		if b.Get(ik) != nil {
			return true
		}
	}
	return false
}

// FeedMembers returns the keys of the items the feed (api, collab) has
// delivered and not deleted since, in key order: what the end of its
// next full fetch retracts if the fetch does not list them (and no other
// feed's membership holds them). A feed never fetched has none.
func (db *DB) FeedMembers(api, collab string) (_ []Key, err error) {
	defer wrapErrOf(&err, func() string { return "feed members " + api + " " + collab })
	var out []Key
	err = db.view(func(v *view) error {
		b := v.Bucket(store.BucketFeeds, feedMembers, feedKey(api, collab))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, _ []byte) error {
			key, err := parseItemKey(k)
			if err != nil {
				return err
			}
			out = append(out, key)
			return nil
		})
	})
	return out, err
}
