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
	// stamped now), and the batch is the feed's page: the keys of its
	// Items join the feed's membership (what it has delivered, see
	// [DB.FeedMembers]) and those of Retract leave it. While Feed.Full
	// is set, the keys of Items and Retract are also remembered as seen
	// by the full fetch (and so they are with RetractUnseen, whose batch
	// is its last page).
	Feed *FeedState
	// RetractUnseen ends a full fetch: after the batch's own writes,
	// every member of the feed the fetch did not see leaves its
	// membership and, if it is filed under Feed.Source and no other
	// feed's membership holds it, is retracted for UnseenReason; the
	// seen keys are forgotten. As a FULL bundle retracts only what its
	// producer's received set holds, a full fetch retracts only what
	// this feed delivered before and no longer lists: never the items
	// of Feed.Source that another feed (another collaboration of the
	// same API), a list ingested under that source or a peer delivered,
	// nor those stored before the database kept memberships. It needs
	// Feed.
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
	var held members
	if b.Feed != nil {
		name := feedKey(b.Feed.API, b.Feed.Collab)
		if len(items) > 0 || len(retract) > 0 {
			var err error
			if held, err = w.membersOf(name); err != nil {
				return err
			}
		}
		if b.Feed.Full || b.RetractUnseen {
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
	}
	// see records that the feed's page names the item with key ik:
	// delivered (it joins the membership) or deleted (it leaves).
	see := func(ik []byte, delivered bool) error {
		if held.b == nil {
			return nil
		}
		if seen != nil {
			if err := seen.Put(ik, []byte{1}); err != nil {
				return err
			}
		}
		if delivered {
			return held.add(ik)
		}
		return held.remove(ik)
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
		if err := see(itemKey(items[i].Key), true); err != nil {
			return err
		}
	}
	for _, k := range retract {
		ik := itemKey(k)
		if err := see(ik, false); err != nil {
			return err
		}
		r, ok, err := w.load(ik)
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
