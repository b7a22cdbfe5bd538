package hashdb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

func TestPutValidation(t *testing.T) {
	pdq, phash := testSignal(signal.PDQ, 1), testSignal(signal.PHash, 1)
	tests := []struct {
		name    string
		edit    func(*Item)
		wantErr []error
		wantMsg string
	}{
		{"empty id", func(it *Item) { it.ID = "" }, nil, "empty id"},
		{"bad source", func(it *Item) { it.Source = "Big Org" }, nil, "source"},
		{"id with control character", func(it *Item) { it.ID = "a\nb" }, nil, "control character"},
		{"id not UTF-8", func(it *Item) { it.ID = "\xff" }, nil, "UTF-8"},
		{"id too long", func(it *Item) { it.ID = strings.Repeat("x", maxIDLen+1) }, nil, "more than 512"},
		{"no signals", func(it *Item) { it.Signals = nil }, nil, "no signals"},
		{"zero signal", func(it *Item) { it.Signals = []signal.Signal{pdq, {}} }, nil, "zero Signal"},
		{"duplicate signal", func(it *Item) { it.Signals = []signal.Signal{pdq, phash, pdq} }, nil, "appears twice"},
		{"too many signals", func(it *Item) {
			it.Signals = nil
			for i := range 9 {
				it.Signals = append(it.Signals, testSignal(signal.MD5, i))
			}
		}, nil, "9 signals, more than 8"},
		{"unreliable not carried", func(it *Item) { it.Unreliable = []signal.Signal{testSignal(signal.DHash, 1)} }, nil, "not one of the item's signals"},
		{"bad label", func(it *Item) { it.Labels = []string{"Type:Video"} }, []error{ErrInvalidLabel}, "'T'"},
		{"empty label", func(it *Item) { it.Labels = []string{""} }, []error{ErrInvalidLabel}, "empty"},
		{"label colon edge", func(it *Item) { it.Labels = []string{"type:"} }, []error{ErrInvalidLabel}, "':'"},
		{"label over the limit", func(it *Item) { it.Labels = []string{strings.Repeat("a", 17)} }, []error{ErrInvalidLabel}, "more than 16"},
		{"duplicate label", func(it *Item) { it.Labels = []string{"x", "y", "x"} }, nil, `"x" appears twice`},
		{"too many labels", func(it *Item) { it.Labels = []string{"a", "b", "c", "d", "e"} }, nil, "5 labels, more than 4"},
		{"unset TLP", func(it *Item) { it.TLP = 0 }, []error{tlp.ErrInvalid}, "not set"},
		{"unknown TLP", func(it *Item) { it.TLP = 9 }, []error{tlp.ErrInvalid}, "9"},
		{"note too long", func(it *Item) { it.Note = strings.Repeat("n", 101) }, nil, "note: 101 bytes"},
		{"reason without retraction", func(it *Item) { it.RetractReason = "why" }, nil, "not retracted"},
		{"last seen before first", func(it *Item) { it.FirstSeen, it.LastSeen = t0, t0.Add(-time.Hour) }, nil, "before FirstSeen"},
		{"time out of range", func(it *Item) { it.FirstSeen = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC) }, nil, "out of range"},
	}
	opts := testOptions()
	opts.MaxSignals, opts.MaxLabels, opts.MaxLabelLen, opts.MaxNoteLen = 8, 4, 16, 100
	db := openTest(t, opts)
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			good := testItem("good", 1)
			bad := testItem("bad", 2)
			tc.edit(&bad)
			err := db.Put(ctx, good, bad)
			if err == nil {
				t.Fatal("Put succeeded")
			}
			for _, want := range append(tc.wantErr, ErrInvalidItem) {
				if !errors.Is(err, want) {
					t.Errorf("error %q does not wrap %v", err, want)
				}
			}
			for _, sub := range []string{"item 1", tc.wantMsg} {
				if !strings.Contains(err.Error(), sub) {
					t.Errorf("error %q does not mention %q", err, sub)
				}
			}
			if _, err := db.Get(good.Key); !errors.Is(err, ErrNotFound) {
				t.Errorf("the valid item of a failed Put was stored: %v", err)
			}
		})
	}
	t.Run("same key twice", func(t *testing.T) {
		err := db.Put(ctx, testItem("a", 1), testItem("a", 2))
		if !errors.Is(err, ErrInvalidItem) || !strings.Contains(err.Error(), "same key as item 0") {
			t.Errorf("Put = %v", err)
		}
	})
	t.Run("no source and no organization", func(t *testing.T) {
		o := testOptions()
		o.Organization = ""
		db := openTest(t, o)
		it := testItem("a", 1)
		it.Source = ""
		if err := db.Put(ctx, it); !errors.Is(err, ErrInvalidItem) || !strings.Contains(err.Error(), "no source") {
			t.Errorf("Put = %v", err)
		}
	})
}

func TestPutGetRoundTrip(t *testing.T) {
	db := openTest(t, nil)
	ctx := context.Background()
	full := Item{
		Key:           Key{Source: "partner-1", ID: "Vidéo 42/α"},
		Signals:       []signal.Signal{testSignal(signal.SHA256, 1), testSignal(signal.PDQ, 1), testSignal(signal.DHash, 1), testSignal(signal.PDQ, 2), testSignal(signal.SHA1, 1), testSignal(signal.AHash, 1), testSignal(signal.PHash, 1), testSignal(signal.MD5, 1)},
		Unreliable:    []signal.Signal{testSignal(signal.PDQ, 2)},
		Labels:        []string{"type:video", "behaviour:recruitment", "entity:example", "incident:christchurch-2019"},
		TLP:           tlp.AmberStrict,
		FirstSeen:     time.Date(2019, 3, 15, 1, 40, 0, 123, time.FixedZone("NZDT", 13*3600)),
		LastSeen:      time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC),
		Note:          "a note\nwith lines",
		Retracted:     true,
		RetractReason: "duplicate",
	}
	minimal := Item{Key: Key{ID: "m"}, Signals: []signal.Signal{testSignal(signal.MD5, 9)}, TLP: tlp.Clear}
	if err := db.PutForeign(ctx, "test", full, minimal); err != nil {
		t.Fatal(err)
	}

	got, err := db.Get(full.Key)
	if err != nil {
		t.Fatal(err)
	}
	want := full
	want.Signals = slices.Clone(full.Signals)
	slices.SortFunc(want.Signals, compareSignals)
	want.Labels = []string{"behaviour:recruitment", "entity:example", "incident:christchurch-2019", "type:video"}
	want.FirstSeen = full.FirstSeen.UTC()
	if !sameItem(&got, &want) {
		t.Errorf("Get = %+v\nwant  %+v", got, want)
	}
	if got.FirstSeen.Location() != time.UTC {
		t.Errorf("FirstSeen location = %v, want UTC", got.FirstSeen.Location())
	}
	if !got.IsUnreliable(testSignal(signal.PDQ, 2)) || got.IsUnreliable(testSignal(signal.PDQ, 1)) {
		t.Errorf("Unreliable = %v", got.Unreliable)
	}

	m, err := db.Get(Key{Source: "local", ID: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if m.FirstSeen.IsZero() || !m.LastSeen.Equal(m.FirstSeen) || m.Labels != nil || m.Unreliable != nil {
		t.Errorf("minimal item = %+v: want FirstSeen = LastSeen = now, no labels", m)
	}
	if _, err := db.Get(Key{Source: "local", ID: "nope"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get missing = %v", err)
	}
	// Key prefixes cannot collide: source "pa" with id "rtner-1…" is a
	// different item.
	if _, err := db.Get(Key{Source: "pa", ID: "rtner-1Vidéo 42/α"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("colliding key found: %v", err)
	}
}

// hookLog records what the commit hook reports, passing it on to next.
type hookLog struct {
	added, removed []string
	next           func(*indexDelta, uint64)
}

// follow makes h record the deltas db's commit hook receives.
func (h *hookLog) follow(db *DB) {
	h.next = db.onCommit
	db.onCommit = h.hook
}

// Entries read "num.pos algorithm".
func (h *hookLog) hook(d *indexDelta, seq uint64) {
	h.next(d, seq)
	for a := range d {
		for _, op := range d[a].ops {
			num, pos := splitID(op &^ removeBit)
			e := fmt.Sprintf("%d.%d %s", num, pos, signal.Algorithm(a))
			if op&removeBit != 0 {
				h.removed = append(h.removed, e)
			} else {
				h.added = append(h.added, e)
			}
		}
	}
	slices.Sort(h.added)
	slices.Sort(h.removed)
}

func (h *hookLog) take() (added, removed []string) {
	added, removed = h.added, h.removed
	h.added, h.removed = nil, nil
	return added, removed
}

func TestUpdateUnlinks(t *testing.T) {
	db := openTest(t, nil)
	var h hookLog
	h.follow(db)
	ctx := context.Background()
	a, b, c := testSignal(signal.PDQ, 1), testSignal(signal.PHash, 1), testSignal(signal.MD5, 1)
	shared := testSignal(signal.SHA256, 7)
	key := Key{Source: "local", ID: "x"}
	other := Key{Source: "partner", ID: "x"}

	if err := db.PutForeign(ctx, "test",
		Item{Key: key, Signals: []signal.Signal{a, b, shared}, TLP: tlp.Green},
		Item{Key: other, Signals: []signal.Signal{shared}, TLP: tlp.Green},
	); err != nil {
		t.Fatal(err)
	}
	added, removed := h.take()
	if len(added) != 4 || len(removed) != 0 {
		t.Errorf("hook after add: +%v -%v", added, removed)
	}
	first, _ := db.Get(key)

	// Replace signal a with c; b and shared stay, but move: the old
	// positions all leave the index and the new ones all join it.
	if err := db.Put(ctx, Item{Key: key, Signals: []signal.Signal{c, b, shared}, Labels: []string{"new"}, TLP: tlp.Green}); err != nil {
		t.Fatal(err)
	}
	added, removed = h.take()
	if want := []string{"1.0 phash", "1.1 md5", "1.2 sha256"}; !slices.Equal(added, want) {
		t.Errorf("hook added %v, want %v", added, want)
	}
	if want := []string{"1.0 pdq", "1.1 phash", "1.2 sha256"}; !slices.Equal(removed, want) {
		t.Errorf("hook removed %v, want %v", removed, want)
	}
	lookupKeys := func(s signal.Signal) []Key {
		items, err := db.Lookup(s)
		if err != nil {
			t.Fatal(err)
		}
		var keys []Key
		for _, it := range items {
			keys = append(keys, it.Key)
		}
		return keys
	}
	if got := lookupKeys(a); got != nil {
		t.Errorf("Lookup(old signal) = %v, want none", got)
	}
	if got := lookupKeys(c); !slices.Equal(got, []Key{key}) {
		t.Errorf("Lookup(new signal) = %v", got)
	}
	if got := lookupKeys(shared); !slices.Equal(got, []Key{key, other}) {
		t.Errorf("Lookup(shared) = %v, want both items", got)
	}
	got, _ := db.Get(key)
	if !got.FirstSeen.Equal(first.FirstSeen) || !slices.Equal(got.Labels, []string{"new"}) {
		t.Errorf("after update: FirstSeen %v (want %v), labels %v", got.FirstSeen, first.FirstSeen, got.Labels)
	}

	// Re-putting the same content changes nothing and logs nothing.
	st, _ := db.Stats()
	if err := db.Put(ctx, Item{Key: key, Signals: []signal.Signal{shared, b, c}, Labels: []string{"new"}, TLP: tlp.Green}); err != nil {
		t.Fatal(err)
	}
	st2, _ := db.Stats()
	if st2.LastSeq != st.LastSeq {
		t.Errorf("unchanged re-put logged changes %d..%d", st.LastSeq+1, st2.LastSeq)
	}
	// A later LastSeen is a change; an earlier one is ignored.
	later := got.LastSeen.Add(time.Hour)
	if err := db.Put(ctx, Item{Key: key, Signals: got.Signals, Labels: got.Labels, TLP: tlp.Green, LastSeen: later}); err != nil {
		t.Fatal(err)
	}
	if err := db.Put(ctx, Item{Key: key, Signals: got.Signals, Labels: got.Labels, TLP: tlp.Green, LastSeen: t0}); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Get(key)
	st3, _ := db.Stats()
	if !got.LastSeen.Equal(later) || st3.LastSeq != st.LastSeq+1 {
		t.Errorf("LastSeen = %v (want %v), changes %d (want %d)", got.LastSeen, later, st3.LastSeq, st.LastSeq+1)
	}
	if a, r := h.take(); a != nil || r != nil {
		t.Errorf("hook told of index changes by updates that kept the signals: +%v -%v", a, r)
	}
}

func TestRetract(t *testing.T) {
	db := openTest(t, nil)
	var h hookLog
	h.follow(db)
	ctx := WithActor(context.Background(), "alice")
	it := testItem("r", 1)
	if err := db.Put(ctx, it); err != nil {
		t.Fatal(err)
	}
	h.take()
	if err := db.Retract(ctx, it.Key, "false report"); err != nil {
		t.Fatal(err)
	}
	if _, removed := h.take(); len(removed) != 3 {
		t.Errorf("hook removed %v, want the 3 signals", removed)
	}
	got, err := db.Get(it.Key)
	if err != nil || !got.Retracted || got.RetractReason != "false report" || len(got.Signals) != 3 {
		t.Fatalf("Get retracted = %+v, %v", got, err)
	}
	if items, _ := db.Lookup(it.Signals[0]); len(items) != 0 {
		t.Errorf("Lookup found a retracted item: %v", items)
	}
	// Retracting again for the same reason is a no-op; a missing item is
	// not found.
	st, _ := db.Stats()
	if err := db.Retract(ctx, it.Key, "false report"); err != nil {
		t.Fatal(err)
	}
	if st2, _ := db.Stats(); st2.LastSeq != st.LastSeq {
		t.Error("second identical retraction was logged")
	}
	if err := db.Retract(ctx, Key{Source: "local", ID: "missing"}, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("Retract missing = %v", err)
	}
	if st.Items != 0 || st.Retracted != 1 || len(st.Signals) != 0 {
		t.Errorf("Stats after retraction = %+v", st)
	}
	// Putting the item again un-retracts it.
	if err := db.Put(ctx, it); err != nil {
		t.Fatal(err)
	}
	if added, _ := h.take(); len(added) != 3 {
		t.Errorf("hook added %v on un-retraction", added)
	}
	if items, _ := db.Lookup(it.Signals[0]); len(items) != 1 {
		t.Errorf("Lookup after un-retraction = %v", items)
	}
	hist, err := db.History(it.Key)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, c := range hist {
		kinds = append(kinds, c.Kind.String())
		if c.Actor != "alice" {
			t.Errorf("change %d actor %q, want alice", c.Seq, c.Actor)
		}
	}
	if want := []string{"add", "retract", "update"}; !slices.Equal(kinds, want) {
		t.Errorf("history kinds %v, want %v", kinds, want)
	}
	if hist[1].Reason != "false report" {
		t.Errorf("retract change reason %q", hist[1].Reason)
	}
}
