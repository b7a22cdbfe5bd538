package hashdb

import (
	"context"

	"github.com/hashshare/hashshare/internal/store"
)

// ForgetFeed removes the stored state of the feed (api, collab), its
// membership (see [DB.FeedMembers]) and the keys its full fetch in
// progress has seen, so that the next fetch of it starts from the
// beginning, as a full fetch, and as a new feed's: that fetch retracts
// none of the items stored before. The items it stored stay, and so do
// the records of opinions reported back (a new fetch does not send them
// again). Forgetting a feed never fetched is not an error.
func (db *DB) ForgetFeed(ctx context.Context, api, collab string) (err error) {
	defer wrapErrOf(&err, func() string { return "forget feed " + api + " " + collab })
	return db.update(ctx, func(w *writer) error {
		key := feedKey(api, collab)
		for _, set := range [][]byte{feedSeen, feedMembers} {
			if b := w.t.Bucket(store.BucketFeeds, set, key); b.Exists() {
				if err := clearBucket(b); err != nil {
					return err
				}
			}
		}
		if b := w.t.Bucket(store.BucketFeeds, feedStates); b.Exists() {
			return b.Delete(key)
		}
		return nil
	})
}
