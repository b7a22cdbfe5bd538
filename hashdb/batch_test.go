package hashdb

import (
	"context"
	"errors"
	"testing"
)

func feedItem(id string, n int) Item {
	it := testItem(id, n)
	it.Source = "feed"
	return it
}

func TestApplyWritesTheBatchAndTheFeedStateTogether(t *testing.T) {
	db := openTest(t, nil)
	ctx := context.Background()
	if err := db.PutForeign(ctx, "test", feedItem("old", 9)); err != nil {
		t.Fatal(err)
	}
	bad := feedItem("bad", 2)
	bad.Labels = []string{"Not A Label"}
	st := &FeedState{API: "tcap", Source: "feed", Checkpoint: "17,1", Pages: 1}
	a, err := db.Apply(ctx, &Batch{
		Origin:        "fetch tcap",
		Items:         []Item{feedItem("a", 1), bad, feedItem("a", 3)},
		Retract:       []Key{{Source: "feed", ID: "old"}, {Source: "feed", ID: "never"}},
		RetractReason: "deleted by tcap",
		Opinions:      []Opinion{{Key: Key{Source: "feed", ID: "a"}, Verdict: Confirmed, Org: "tcap-x"}, {Verdict: Confirmed}},
		Feed:          st,
	})
	if err != nil {
		t.Fatal(err)
	}
	if a.Items != 1 || a.Retracted != 1 || a.Opinions != 1 || len(a.Unknown) != 1 || len(a.Refused) != 3 {
		t.Fatalf("applied %+v", a)
	}
	for _, r := range a.Refused {
		if !errors.Is(r.Err, ErrInvalidItem) && !errors.Is(r.Err, ErrInvalidOpinion) {
			t.Errorf("refusal %+v", r)
		}
	}
	if it, err := db.Get(Key{Source: "feed", ID: "old"}); err != nil || !it.Retracted || it.RetractReason != "deleted by tcap" {
		t.Errorf("old: %+v, %v", it, err)
	}
	got, err := db.FeedState("tcap", "")
	if err != nil || got.Checkpoint != "17,1" || got.Origin != "fetch tcap" || got.Advanced.IsZero() {
		t.Fatalf("feed state %+v, %v", got, err)
	}
	// Applied again, the batch changes nothing and logs nothing.
	seq := lastSeqOf(t, db)
	if _, err := db.Apply(ctx, &Batch{Origin: "test", Items: []Item{feedItem("a", 1)}, Opinions: []Opinion{{Key: Key{Source: "feed", ID: "a"}, Verdict: Confirmed, Org: "tcap-x"}}}); err != nil {
		t.Fatal(err)
	}
	if s := lastSeqOf(t, db); s != seq {
		t.Errorf("the same batch again logged %d changes", s-seq)
	}
}

func lastSeqOf(t *testing.T, db *DB) uint64 {
	t.Helper()
	s, err := db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	return s.LastSeq
}

func TestApplyFailingLeavesNothing(t *testing.T) {
	db := openTest(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := db.Apply(ctx, &Batch{Origin: "test", Items: []Item{feedItem("a", 1)}, Feed: &FeedState{API: "x"}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply with a cancelled context: %v", err)
	}
	if _, err := db.FeedState("x", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("feed state after a failed Apply: %v", err)
	}
	if _, err := db.Get(Key{Source: "feed", ID: "a"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("item after a failed Apply: %v", err)
	}
	for _, b := range []*Batch{
		{Feed: &FeedState{}},
		{Feed: &FeedState{API: "a\x00b"}},
		{RetractUnseen: true},
		{RetractUnseen: true, Feed: &FeedState{API: "x"}},
	} {
		if _, err := db.Apply(context.Background(), b); !errors.Is(err, ErrInvalidItem) {
			t.Errorf("Apply(%+v): %v, want ErrInvalidItem", b, err)
		}
	}
}

func TestApplyRetractsWhatAFullFetchDidNotSee(t *testing.T) {
	db := openTest(t, nil)
	ctx := context.Background()
	if err := db.PutForeign(ctx, "test", testItem("other-source", 4)); err != nil {
		t.Fatal(err)
	}
	// The feed delivers a, b and c in an earlier fetch.
	if _, err := db.Apply(ctx, &Batch{Origin: "test", Items: []Item{feedItem("a", 1), feedItem("b", 2), feedItem("c", 3)}, Feed: &FeedState{API: "stopncii", Source: "feed"}}); err != nil {
		t.Fatal(err)
	}
	for pass := range 2 {
		st := &FeedState{API: "stopncii", Source: "feed", Full: true}
		if _, err := db.Apply(ctx, &Batch{Origin: "test", Items: []Item{feedItem("a", 1)}, Feed: st}); err != nil {
			t.Fatal(err)
		}
		st.Full = false
		a, err := db.Apply(ctx, &Batch{Retract: []Key{{Source: "feed", ID: "c"}}, Feed: st, RetractUnseen: true, UnseenReason: "no longer listed"})
		if err != nil {
			t.Fatal(err)
		}
		want := 1 // b; c is retracted as a delete
		if pass == 1 {
			want = 0
		}
		if a.Unseen != want {
			t.Fatalf("pass %d: unseen %d, want %d", pass, a.Unseen, want)
		}
	}
	for id, live := range map[string]bool{"a": true, "b": false, "c": false} {
		it, err := db.Get(Key{Source: "feed", ID: id})
		if err != nil || it.Retracted == live {
			t.Errorf("%s: %+v, %v; want live %v", id, it, err, live)
		}
	}
	if it, err := db.Get(Key{Source: "local", ID: "other-source"}); err != nil || it.Retracted {
		t.Errorf("another source's item: %+v, %v", it, err)
	}
}

func TestUnreportedAndMarkReported(t *testing.T) {
	db := openTest(t, nil)
	ctx := context.Background()
	if err := db.PutForeign(ctx, "test", feedItem("a", 1), feedItem("b", 2)); err != nil {
		t.Fatal(err)
	}
	for _, op := range []Opinion{
		{Key: Key{Source: "feed", ID: "a"}, Verdict: FalsePositive},
		{Key: Key{Source: "feed", ID: "b"}, Verdict: Confirmed, Org: "someone-else"},
		{Key: Key{Source: "local", ID: "x"}, Verdict: Confirmed},
	} {
		if err := db.SetOpinion(ctx, op); err != nil {
			t.Fatal(err)
		}
	}
	ops, err := db.Unreported("ncmec", "feed")
	if err != nil || len(ops) != 1 || ops[0].Key.ID != "a" {
		t.Fatalf("unreported: %+v, %v", ops, err)
	}
	if err := db.MarkReported(ctx, "ncmec", ops[0]); err != nil {
		t.Fatal(err)
	}
	if ops, err := db.Unreported("ncmec", "feed"); err != nil || len(ops) != 0 {
		t.Fatalf("after the mark: %+v, %v", ops, err)
	}
	if ops, err := db.Unreported("stopncii", "feed"); err != nil || len(ops) != 1 {
		t.Fatalf("another API: %+v, %v", ops, err)
	}
	if err := db.SetOpinion(ctx, Opinion{Key: Key{Source: "feed", ID: "a"}, Verdict: Disputed}); err != nil {
		t.Fatal(err)
	}
	if ops, err := db.Unreported("ncmec", "feed"); err != nil || len(ops) != 1 || ops[0].Verdict != Disputed {
		t.Fatalf("a changed opinion: %+v, %v", ops, err)
	}
}

func TestANewFullFetchForgetsAnAbandonedOne(t *testing.T) {
	db := openTest(t, nil)
	ctx := context.Background()
	if err := db.PutForeign(ctx, "test", feedItem("a", 1), feedItem("b", 2)); err != nil {
		t.Fatal(err)
	}
	// A full fetch sees b, then is abandoned (a fetch --since).
	if _, err := db.Apply(ctx, &Batch{Origin: "test", Items: []Item{feedItem("b", 2)}, Feed: &FeedState{API: "x", Source: "feed", Full: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Apply(ctx, &Batch{Feed: &FeedState{API: "x", Source: "feed"}}); err != nil {
		t.Fatal(err)
	}
	// The next full fetch sees a only.
	st := &FeedState{API: "x", Source: "feed", Full: true}
	if _, err := db.Apply(ctx, &Batch{Origin: "test", Items: []Item{feedItem("a", 1)}, Feed: st}); err != nil {
		t.Fatal(err)
	}
	st.Full = false
	a, err := db.Apply(ctx, &Batch{Feed: st, RetractUnseen: true, UnseenReason: "gone"})
	if err != nil || a.Unseen != 1 {
		t.Fatalf("end of the full fetch: %+v, %v; want b retracted", a, err)
	}
}

// TestApplyAuthority checks a batch without an Origin stores only the
// local organisation's items, as Put does, and one with an Origin records
// it in each change.
func TestApplyAuthority(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, nil)
	a, err := db.Apply(ctx, &Batch{Items: []Item{feedItem("a", 1), testItem("mine", 2)}})
	if err != nil || a.Items != 1 || len(a.Refused) != 1 || !errors.Is(a.Refused[0].Err, ErrForeignSource) {
		t.Fatalf("a batch without an origin: %+v, %v", a, err)
	}
	if _, err := db.Apply(ctx, &Batch{Origin: "fetch tcap", Items: []Item{feedItem("a", 1)}}); err != nil {
		t.Fatal(err)
	}
	h, err := db.History(Key{Source: "feed", ID: "a"})
	if err != nil || len(h) != 1 || h[0].Origin != "fetch tcap" {
		t.Errorf("history: %+v, %v", h, err)
	}
}
