package hashdb

import (
	"context"
	"fmt"

	"github.com/hashshare/hashshare/internal/store"
)

// A Batch is a set of writes [DB.Apply] makes in one transaction, all or
// nothing: a page of a live exchange, with the feed's new state.
type Batch struct {
	// Origin says where the writes come from, e.g. "fetch ncmec": it is
	// recorded in every change the batch logs and in Feed. With an
	// Origin, Items may be any organisation's, as [DB.PutForeign] stores
	// them; without, only the local organisation's, as [DB.Put] does.
	Origin string
	// Items are stored as [DB.Put] stores them; a key may appear once.
	Items []Item
	// Retract names items withdrawn by their source, retracted for
	// RetractReason as [DB.Retract] does. A key that is not stored is
	// reported in [Applied.Unknown], not an error.
	Retract       []Key
	RetractReason string
	// Opinions are recorded as [DB.SetOpinion] records them, except that
	// an opinion the database already holds, the same but for a Time or
	// Actor left unset, is not recorded (and logged) again.
	Opinions []Opinion
	// Feed, if not nil, is stored with the writes ([FeedState.Advanced]
	// stamped now). While Feed.Full is set, the keys of Items and
	// Retract are remembered as seen by the full fetch (and so they are
	// with RetractUnseen, whose batch is its last page).
	Feed *FeedState
	// RetractUnseen ends a full fetch: after the batch's own writes,
	// every live item of Feed.Source the fetch did not see is retracted
	// for UnseenReason, as a FULL bundle retracts what it no longer
	// lists, and the seen keys are forgotten. It needs Feed.
	RetractUnseen bool
	UnseenReason  string
}

// Applied says what [DB.Apply] did.
type Applied struct {
	// Items, Retracted and Opinions count the entries of the batch
	// applied (including those that changed nothing).
	Items, Retracted, Opinions int
	// Unseen counts the items RetractUnseen retracted.
	Unseen int
	// Unknown lists the retractions of items that are not stored.
	Unknown []Key
	// Refused lists the entries the database refuses; the others are
	// applied without them.
	Refused []Refusal
}

// A Refusal is an entry of a [Batch] that cannot be stored.
type Refusal struct {
	// Kind is "item", "retract" or "opinion"; Index is the entry's
	// position in the batch's slice of that kind.
	Kind  string
	Index int
	// Err wraps [ErrInvalidItem] (and [ErrForeignSource] for another
	// organisation's item in a batch without an Origin), [ErrInvalidLabel] or
	// [ErrInvalidOpinion] and names what was wrong.
	Err error
}

// Apply makes the writes of b in one transaction, in this order: its
// valid items, retractions and opinions, the retraction of what a full
// fetch did not see, and its feed state (whose Origin and Advanced it
// sets). Entries the database refuses are left out and listed in
// Applied.Refused; any other failure (the database, ctx) leaves the
// database as it was and returns a zero Applied. Each change is logged as
// the single-entry writes log it.
func (db *DB) Apply(ctx context.Context, b *Batch) (_ Applied, err error) {
	defer wrapErr(&err, "apply")
	var res Applied
	if b.Feed != nil {
		if err := validateFeed(b.Feed); err != nil {
			return res, fmt.Errorf("%w: %v", ErrInvalidItem, err)
		}
	}
	if b.RetractUnseen && (b.Feed == nil || b.Feed.Source == "") {
		return res, fmt.Errorf("%w: RetractUnseen without a Feed and its Source", ErrInvalidItem)
	}
	if err := db.opts.validateText("origin", b.Origin); err != nil {
		return res, fmt.Errorf("%w: %v", ErrInvalidItem, err)
	}
	for _, reason := range []string{b.RetractReason, b.UnseenReason} {
		if err := db.opts.validateText("retract reason", reason); err != nil {
			return res, fmt.Errorf("%w: %v", ErrInvalidItem, err)
		}
	}
	items := make([]Item, 0, len(b.Items))
	seen := make(map[Key]int, len(b.Items))
	for i, it := range b.Items {
		n, err := db.opts.normalize(it)
		if err == nil {
			err = db.mayPut(n, b.Origin)
		}
		if err == nil {
			if j, dup := seen[n.Key]; dup {
				err = fmt.Errorf("same key as item %d", j)
			}
		}
		if err != nil {
			res.Refused = append(res.Refused, Refusal{"item", i, fmt.Errorf("%w: item %d (%s): %w", ErrInvalidItem, i, n.Key, err)})
			continue
		}
		seen[n.Key] = i
		items = append(items, n)
	}
	var retract []Key
	for i, k := range b.Retract {
		if err := k.validate(); err != nil {
			res.Refused = append(res.Refused, Refusal{"retract", i, fmt.Errorf("%w: retraction %d (%s): %v", ErrInvalidItem, i, k, err)})
			continue
		}
		retract = append(retract, k)
	}
	ops := make([]batchOpinion, 0, len(b.Opinions))
	for i, op := range b.Opinions {
		n, err := db.normalizeOpinion(ctx, op)
		if err != nil {
			res.Refused = append(res.Refused, Refusal{"opinion", i, fmt.Errorf("%w: opinion %d: %v", ErrInvalidOpinion, i, err)})
			continue
		}
		ops = append(ops, batchOpinion{op: n, anyTime: op.Time.IsZero(), anyActor: op.Actor == ""})
	}
	err = db.update(ctx, func(w *writer) error {
		w.origin = b.Origin
		res.Items, res.Retracted, res.Opinions, res.Unseen, res.Unknown = 0, 0, 0, 0, nil
		return w.apply(b, items, retract, ops, &res)
	})
	if err != nil {
		return Applied{}, err
	}
	return res, nil
}

// A batchOpinion is a normalized opinion of a batch, and which of its
// fields the caller left to the defaults.
type batchOpinion struct {
	op                Opinion
	anyTime, anyActor bool
}

// holds reports whether the database holds o already. SetOpinion logs a
// change even when it replaces an opinion with its twin, and stamps an
// unset time with now, so without this check every page fetched again
// would log its opinions again.
func (w *writer) holds(o *batchOpinion) (bool, error) {
	k := opinionKey(&o.op)
	v := w.ops.Get(k)
	if v == nil {
		return false, nil
	}
	stored, _, err := decodeOpinion(k, v)
	if err != nil {
		return false, err
	}
	return stored.Verdict == o.op.Verdict && stored.Reason == o.op.Reason &&
		(o.anyActor || stored.Actor == o.op.Actor) &&
		(o.anyTime || stored.Time.Equal(o.op.Time)), nil
}

func (w *writer) apply(b *Batch, items []Item, retract []Key, ops []batchOpinion, res *Applied) error {
	var seen *store.Bucket
	if b.Feed != nil && (b.Feed.Full || b.RetractUnseen) {
		name := feedKey(b.Feed.API, b.Feed.Collab)
		if err := w.t.Create(store.BucketFeeds, feedSeen, name); err != nil {
			return err
		}
		seen = w.t.Bucket(store.BucketFeeds, feedSeen, name)
		if !w.fullInProgress(name) {
			// A new full fetch: what an abandoned one saw is not seen.
			if err := clearBucket(seen); err != nil {
				return err
			}
		}
	}
	see := func(k Key) error {
		if seen == nil {
			return nil
		}
		return seen.Put(itemKey(k), []byte{1})
	}
	w.deferring = true
	for i := range items {
		if i%1024 == 1023 {
			if err := w.ctx.Err(); err != nil {
				return err
			}
		}
		if _, err := w.putItem(items[i]); err != nil {
			return fmt.Errorf("%s: %w", items[i].Key, err)
		}
		res.Items++
	}
	w.deferring = false
	if err := w.writeDeferred(); err != nil {
		return err
	}
	for i := range items {
		if err := see(items[i].Key); err != nil {
			return err
		}
	}
	for _, k := range retract {
		if err := see(k); err != nil {
			return err
		}
		r, ok, err := w.load(itemKey(k))
		switch {
		case err != nil:
			return err
		case !ok:
			res.Unknown = append(res.Unknown, k)
			continue
		}
		r.Retracted, r.RetractReason = true, b.RetractReason
		if _, err := w.putItem(r.Item); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		res.Retracted++
	}
	for i := range ops {
		same, err := w.holds(&ops[i])
		if err != nil {
			return err
		}
		if !same {
			if err := w.putOpinion(&ops[i].op); err != nil {
				return err
			}
		}
		res.Opinions++
	}
	if b.RetractUnseen {
		n, err := w.retractUnseen(b.Feed, b.UnseenReason)
		if err != nil {
			return err
		}
		res.Unseen = n
	}
	if b.Feed != nil {
		b.Feed.Origin = b.Origin
		return w.putFeed(b.Feed)
	}
	return nil
}

// retractUnseen retracts the live items of st.Source that the full fetch
// st ends did not see, and forgets what it saw.
func (w *writer) retractUnseen(st *FeedState, reason string) (int, error) {
	name := feedKey(st.API, st.Collab)
	seen := w.t.Bucket(store.BucketFeeds, feedSeen, name)
	prefix := store.SourcePrefix(st.Source)
	// Collect first: putItem writes the bucket the cursor walks.
	var unseen [][]byte
	c := w.items.Cursor()
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		if seen.Get(k) == nil {
			unseen = append(unseen, append([]byte(nil), k...))
		}
	}
	n := 0
	for i, ik := range unseen {
		if i%1024 == 1023 {
			if err := w.ctx.Err(); err != nil {
				return 0, err
			}
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
			return 0, err
		}
		n++
	}
	return n, clearBucket(seen)
}

// fullInProgress reports whether the stored state of the feed named
// name is a full fetch in progress.
func (w *writer) fullInProgress(name []byte) bool {
	v := w.t.Bucket(store.BucketFeeds, feedStates).Get(name)
	var st FeedState
	return v != nil && decodeFeed(v, &st) == nil && st.Full
}

// clearBucket deletes every key of b.
func clearBucket(b *store.Bucket) error {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
