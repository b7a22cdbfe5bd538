package hashdb

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// page applies one page of the feed (api, collab) filed under "feed":
// items delivered (ids with a signal number each), ids deleted, and with
// last the end of the full fetch it belongs to.
type page struct {
	collab       string
	full, last   bool
	items        map[string]int
	deleted      []string
	wantUnseen   int
	wantErr      error
	cancelledCtx bool
}

func applyPage(t *testing.T, db *DB, p page) {
	t.Helper()
	ctx := context.Background()
	if p.cancelledCtx {
		c, cancel := context.WithCancel(ctx)
		cancel()
		ctx = c
	}
	b := &Batch{Origin: "fetch ncmec", Feed: &FeedState{API: "ncmec", Collab: p.collab, Source: "feed", Full: p.full && !p.last}}
	ids := make([]string, 0, len(p.items))
	for id := range p.items {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		b.Items = append(b.Items, feedItem(id, p.items[id]))
	}
	for _, id := range p.deleted {
		b.Retract = append(b.Retract, Key{Source: "feed", ID: id})
	}
	if p.last {
		b.RetractUnseen, b.UnseenReason = true, "no longer listed"
	}
	a, err := db.Apply(ctx, b)
	if !errors.Is(err, p.wantErr) {
		t.Fatalf("page %+v: %v, want %v", p, err, p.wantErr)
	}
	if a.Unseen != p.wantUnseen {
		t.Fatalf("page %+v: unseen %d, want %d", p, a.Unseen, p.wantUnseen)
	}
}

// liveFeedItems lists the ids of the live items filed under "feed".
func liveFeedItems(t *testing.T, db *DB) string {
	t.Helper()
	var ids []string
	for it, err := range db.Items(context.Background(), Filter{Source: "feed"}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, it.Key.ID)
	}
	slices.Sort(ids)
	return strings.Join(ids, " ")
}

func membersOf(t *testing.T, db *DB, collab string) string {
	t.Helper()
	keys, err := db.FeedMembers("ncmec", collab)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.ID)
	}
	return strings.Join(ids, " ")
}

// TestFullFetchRetractsOnlyWhatTheFeedDelivered runs the feeds of two
// collaborations of one API, both filed under one source, with an item
// of that source ingested from a list: each full fetch retracts only
// what its own feed delivered before and no longer lists.
func TestFullFetchRetractsOnlyWhatTheFeedDelivered(t *testing.T) {
	type step struct {
		page
		live, membersA, membersB string
	}
	steps := []step{
		{page{collab: "A", full: true, items: map[string]int{"a1": 1, "a2": 2, "shared": 9}}, "a1 a2 list shared", "a1 a2 shared", ""},
		{page{collab: "A", full: true, last: true}, "a1 a2 list shared", "a1 a2 shared", ""},
		// B's first fetch is full: it lists none of A's items, nor the
		// list's, and retracts none of them.
		{page{collab: "B", full: true, last: true, items: map[string]int{"b1": 3, "b2": 4, "shared": 9}}, "a1 a2 b1 b2 list shared", "a1 a2 shared", "b1 b2 shared"},
		// A's full refetch no longer lists a2 nor shared: a2 is retracted,
		// shared stays (B still lists it).
		{page{collab: "A", full: true, last: true, items: map[string]int{"a1": 1}, wantUnseen: 1}, "a1 b1 b2 list shared", "a1", "b1 b2 shared"},
		// A delta of B deletes b1: it leaves B's membership.
		{page{collab: "B", deleted: []string{"b1"}}, "a1 b2 list shared", "a1", "b2 shared"},
		// B's full refetch no longer lists shared: now it goes.
		{page{collab: "B", full: true, last: true, items: map[string]int{"b2": 4}, wantUnseen: 1}, "a1 b2 list", "a1", "b2"},
		// A page that fails changes no membership.
		{page{collab: "A", full: true, items: map[string]int{"a3": 5}, cancelledCtx: true, wantErr: context.Canceled}, "a1 b2 list", "a1", "b2"},
		// A full refetch interrupted after its first page, then resumed:
		// the memberships are as after the last page stored.
		{page{collab: "A", full: true, items: map[string]int{"a3": 5}}, "a1 a3 b2 list", "a1 a3", "b2"},
		{page{collab: "A", full: true, last: true, items: map[string]int{"a4": 6}, wantUnseen: 1}, "a3 a4 b2 list", "a3 a4", "b2"},
	}
	db := openTest(t, nil)
	if err := db.PutForeign(context.Background(), "ingest list", feedItem("list", 7)); err != nil {
		t.Fatal(err)
	}
	for i, s := range steps {
		applyPage(t, db, s.page)
		if got := liveFeedItems(t, db); got != s.live {
			t.Errorf("step %d: live %q, want %q", i, got, s.live)
		}
		if got := membersOf(t, db, "A"); got != s.membersA {
			t.Errorf("step %d: members of A %q, want %q", i, got, s.membersA)
		}
		if got := membersOf(t, db, "B"); got != s.membersB {
			t.Errorf("step %d: members of B %q, want %q", i, got, s.membersB)
		}
	}
}

// TestAFeedStateWithoutMembersRetractsNothingOld checks the rule for a
// feed state stored before memberships were kept (no members bucket):
// its first full fetch after retracts nothing stored before it, and what
// it delivers then is its membership.
func TestAFeedStateWithoutMembersRetractsNothingOld(t *testing.T) {
	db := openTest(t, nil)
	ctx := context.Background()
	// As the code before memberships left it: the items, and a state.
	if err := db.PutForeign(ctx, "fetch ncmec", feedItem("old1", 1), feedItem("old2", 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Apply(ctx, &Batch{Origin: "fetch ncmec", Feed: &FeedState{API: "ncmec", Collab: "A", Source: "feed", Checkpoint: "2025-01-01T00:00:00Z"}}); err != nil {
		t.Fatal(err)
	}
	applyPage(t, db, page{collab: "A", full: true, last: true, items: map[string]int{"old1": 1}})
	if got, want := liveFeedItems(t, db), "old1 old2"; got != want {
		t.Errorf("live after the first full fetch %q, want %q", got, want)
	}
	if got := membersOf(t, db, "A"); got != "old1" {
		t.Errorf("members %q, want old1", got)
	}
	applyPage(t, db, page{collab: "A", full: true, last: true, wantUnseen: 1})
	if got, want := liveFeedItems(t, db), "old2"; got != want {
		t.Errorf("live after the second full fetch %q, want %q", got, want)
	}
}

// TestFullFetchAfterTheSourceMoved checks that the members a feed
// delivered under another source leave its membership unretracted.
func TestFullFetchAfterTheSourceMoved(t *testing.T) {
	db := openTest(t, nil)
	ctx := context.Background()
	applyPage(t, db, page{collab: "A", items: map[string]int{"x": 1}})
	moved := feedItem("y", 2)
	moved.Source = "elsewhere"
	a, err := db.Apply(ctx, &Batch{Origin: "fetch ncmec", Items: []Item{moved}, Feed: &FeedState{API: "ncmec", Collab: "A", Source: "elsewhere"}, RetractUnseen: true})
	if err != nil || a.Unseen != 0 {
		t.Fatalf("full fetch under the new source: %+v, %v", a, err)
	}
	if got := liveFeedItems(t, db); got != "x" {
		t.Errorf("live under the old source %q, want x", got)
	}
	if got := membersOf(t, db, "A"); got != "y" {
		t.Errorf("members %q, want y", got)
	}
}

func TestForgetFeedForgetsItsMembers(t *testing.T) {
	db := openTest(t, nil)
	applyPage(t, db, page{collab: "A", items: map[string]int{"a1": 1}})
	applyPage(t, db, page{collab: "B", items: map[string]int{"b1": 2}})
	if err := db.ForgetFeed(context.Background(), "ncmec", "A"); err != nil {
		t.Fatal(err)
	}
	if got := membersOf(t, db, "A"); got != "" {
		t.Errorf("members after ForgetFeed %q", got)
	}
	if got := membersOf(t, db, "B"); got != "b1" {
		t.Errorf("another feed's members after ForgetFeed %q", got)
	}
	// The next full fetch is a new feed's: it retracts nothing before.
	applyPage(t, db, page{collab: "A", full: true, last: true})
	if got := liveFeedItems(t, db); got != "a1 b1" {
		t.Errorf("live %q", got)
	}
}
