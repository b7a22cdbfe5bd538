package hashdb

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hashshare/hashshare/internal/store"
)

// A FeedState is how far the database has followed one live exchange (an
// API such as "ncmec") for one collaboration (a privacy group, a member
// scope, or "" where the API has none). It is stored by [DB.Apply] in
// the same transaction as the page it follows, so that it never runs
// ahead of, or behind, what was stored.
type FeedState struct {
	// API and Collab name the feed; API must not be empty.
	API, Collab string
	// Source is where the feed's items are filed.
	Source string
	// Checkpoint is the API's own resume value (a time, a timestamp, a
	// "<ts>,<id>" string): what the next query starts from.
	Checkpoint string
	// Cursor is the position inside the query in progress (a next page
	// URL without credentials, a page token), or "" between queries.
	Cursor string
	// Query is what the query in progress asked for, where the API's
	// cursors are valid only for the same question (NCMEC's from/to).
	Query string
	// Mark is a value carried across the query's pages until it is
	// trusted (NCMEC's and ThreatExchange's running maximum timestamp).
	Mark string
	// Full reports a full fetch in progress: once it is exhausted, the
	// items this feed delivered before that it did not see are retracted
	// ([Batch.RetractUnseen]).
	Full bool
	// Started is when the query (or full fetch) in progress began.
	Started time.Time
	// Advanced is when the state was last stored; [DB.Apply] sets it.
	Advanced time.Time
	// Pages counts the pages stored since the feed was first fetched,
	// and Items, Retracted and Opinions the records those pages held.
	Pages, Items, Retracted, Opinions int64
	// Origin is the last batch's [Batch.Origin].
	Origin string
}

// The sub-buckets of the feeds bucket (and feedMembers, see
// feed_members.go).
var (
	feedStates   = []byte("state")
	feedSeen     = []byte("seen")
	feedReported = []byte("reported")
)

// feedKey is a feed's key in the state bucket and its seen bucket's name.
func feedKey(api, collab string) []byte { return []byte(api + "\x00" + collab) }

func validateFeed(st *FeedState) error {
	switch {
	case st.API == "" || len(st.API) > maxIDLen || strings.ContainsRune(st.API, 0):
		return fmt.Errorf("feed api %q: want 1 to %d bytes without NUL", st.API, maxIDLen)
	case len(st.Collab) > maxIDLen || strings.ContainsRune(st.Collab, 0):
		return fmt.Errorf("feed collab %q: want up to %d bytes without NUL", st.Collab, maxIDLen)
	}
	if st.Source != "" {
		if err := validateOrg(st.Source); err != nil {
			return fmt.Errorf("feed source: %v", err)
		}
	}
	return nil
}

// FeedState returns the stored state of the feed (api, collab); the
// error wraps [ErrNotFound] if it has never been fetched.
func (db *DB) FeedState(api, collab string) (_ FeedState, err error) {
	defer wrapErrOf(&err, func() string { return "feed state " + api + " " + collab })
	var st FeedState
	err = db.view(func(v *view) error {
		b := v.Bucket(store.BucketFeeds, feedStates)
		if b == nil {
			return ErrNotFound
		}
		val := b.Get(feedKey(api, collab))
		if val == nil {
			return ErrNotFound
		}
		return decodeFeed(val, &st)
	})
	return st, err
}

// FeedStates returns the state of every feed fetched, ordered by API and
// collaboration.
func (db *DB) FeedStates() (_ []FeedState, err error) {
	defer wrapErr(&err, "feed states")
	var out []FeedState
	err = db.view(func(v *view) error {
		b := v.Bucket(store.BucketFeeds, feedStates)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, val []byte) error {
			var st FeedState
			if err := decodeFeed(val, &st); err != nil {
				return err
			}
			out = append(out, st)
			return nil
		})
	})
	return out, err
}

func decodeFeed(val []byte, st *FeedState) error {
	if err := json.Unmarshal(val, st); err != nil {
		return fmt.Errorf("%w: feed state: %v", ErrCorrupt, err)
	}
	return nil
}

// putFeed stores st, stamped now.
func (w *writer) putFeed(st *FeedState) error {
	st.Advanced = fromUnixNano(w.nowNs)
	v, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := w.t.Create(store.BucketFeeds, feedStates); err != nil {
		return err
	}
	return w.t.Bucket(store.BucketFeeds, feedStates).Put(feedKey(st.API, st.Collab), v)
}
