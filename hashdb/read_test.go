package hashdb

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

func TestItemsFilter(t *testing.T) {
	db := openTest(t, nil)
	ctx := context.Background()
	var items []Item
	for i := range 1300 { // more than two pages
		it := testItem(fmt.Sprintf("%04d", i), i)
		it.Source = []string{"alpha", "beta", "beta-2"}[i%3]
		it.TLP = tlp.Level(1 + i%5)
		if i%2 == 0 {
			it.Labels = []string{"behaviour:recruitment", "type:video"}
		}
		items = append(items, it)
	}
	for i := 0; i < 1300; i += 10 {
		items[i].Retracted = true
	}
	if err := db.PutForeign(ctx, "test", items...); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		f    Filter
	}{
		{"all live", Filter{}},
		{"with retracted", Filter{Retracted: true}},
		{"source", Filter{Source: "beta"}},
		{"source prefix does not leak", Filter{Source: "bet"}},
		{"label", Filter{Labels: []string{"type:video"}}},
		{"two labels", Filter{Labels: []string{"behaviour:recruitment", "type:video"}}},
		{"missing label", Filter{Labels: []string{"type:video", "nope"}}},
		{"max TLP", Filter{MaxTLP: tlp.Green}},
		{"everything", Filter{Source: "alpha", Labels: []string{"type:video"}, MaxTLP: tlp.Amber, Retracted: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want []Key
			for _, it := range items {
				if (!it.Retracted || tc.f.Retracted) &&
					(tc.f.Source == "" || it.Source == tc.f.Source) &&
					(tc.f.MaxTLP == 0 || it.TLP <= tc.f.MaxTLP) &&
					!slices.ContainsFunc(tc.f.Labels, func(l string) bool { return !slices.Contains(it.Labels, l) }) {
					want = append(want, it.Key)
				}
			}
			slices.SortFunc(want, func(a, b Key) int { return strings.Compare(string(itemKey(a)), string(itemKey(b))) })
			var got []Key
			for it, err := range db.Items(ctx, tc.f) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, it.Key)
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %d items, want %d", len(got), len(want))
			}
		})
	}
	t.Run("break and cancel", func(t *testing.T) {
		n := 0
		for range db.Items(ctx, Filter{}) {
			n++
			if n == 3 {
				break
			}
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		for _, err := range db.Items(cctx, Filter{}) {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Items with a cancelled context yielded %v", err)
			}
		}
	})
}

func TestChangesAndHistory(t *testing.T) {
	db := openTest(t, nil)
	ctx := WithActor(context.Background(), "bob")
	var keys []Key
	var items []Item
	for i := range 1500 {
		it := testItem(fmt.Sprint(i), i)
		keys = append(keys, it.Key)
		items = append(items, it)
	}
	if err := db.Put(ctx, items[:1]...); err != nil {
		t.Fatal(err)
	}
	if err := db.Put(ctx, items[1:]...); err != nil {
		t.Fatal(err)
	}
	// 1500 adds, then an update, a retraction and an opinion on keys[1].
	up := testItem(keys[1].ID, 1)
	up.Note = "seen again"
	if err := db.Put(ctx, up); err != nil {
		t.Fatal(err)
	}
	if err := db.Retract(ctx, keys[1], "why"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetOpinion(ctx, Opinion{Key: keys[1], Verdict: Disputed, Reason: "not ours"}); err != nil {
		t.Fatal(err)
	}

	var seqs []uint64
	var last Change
	for c, err := range db.Changes(ctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, c.Seq)
		last = c
	}
	if len(seqs) != 1503 || seqs[0] != 1 || seqs[1502] != 1503 {
		t.Fatalf("Changes(0): %d changes, first %d", len(seqs), seqs[0])
	}
	if last.Kind != KindOpinion || last.Opinion.Verdict != Disputed || last.Key != keys[1] || last.Actor != "bob" {
		t.Errorf("last change = %+v", last)
	}
	n := 0
	for c, err := range db.Changes(ctx, 1500) {
		if err != nil {
			t.Fatal(err)
		}
		if c.Seq != uint64(1501+n) {
			t.Errorf("Changes(1500) yielded %d at %d", c.Seq, n)
		}
		n++
	}
	if n != 3 {
		t.Errorf("Changes(1500) yielded %d changes, want 3", n)
	}
	hist, err := db.History(keys[1])
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range hist {
		got = append(got, fmt.Sprintf("%d %s", c.Seq, c.Kind))
	}
	if want := []string{"2 add", "1501 update", "1502 retract", "1503 opinion"}; !slices.Equal(got, want) {
		t.Errorf("History = %v, want %v", got, want)
	}
	if _, err := db.History(Key{Source: "local", ID: "never"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("History of a missing item = %v", err)
	}
}

func TestOpinions(t *testing.T) {
	opts := testOptions()
	db := openTest(t, opts)
	ctx := WithActor(context.Background(), "carol")
	it := testItem("o", 1)
	if err := db.Put(ctx, it); err != nil {
		t.Fatal(err)
	}
	sig := it.Signals[0]
	good := []Opinion{
		{Key: it.Key, Verdict: Confirmed},
		{Key: it.Key, Verdict: Disputed, Org: "partner", Actor: "dave", Reason: "r"},
		{Signal: sig, Verdict: FalsePositive, Reason: "stock photo"},
		{Key: it.Key, Verdict: FalsePositive, Reason: "replaces the first"},
	}
	for _, op := range good {
		if err := db.SetOpinion(ctx, op); err != nil {
			t.Fatal(err)
		}
	}
	ops, err := db.Opinions(it.Key)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 2 || ops[0].Org != "local" || ops[0].Verdict != FalsePositive || ops[0].Actor != "carol" || ops[1].Org != "partner" || ops[1].Actor != "dave" {
		t.Errorf("Opinions = %+v", ops)
	}
	if ops[0].Time.IsZero() {
		t.Error("opinion time not set")
	}
	// Every change is the context's actor's, whoever's the opinion is.
	for c, err := range db.Changes(ctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		if c.Actor != "carol" {
			t.Errorf("change %d (%s) by %q, want carol", c.Seq, c.Kind, c.Actor)
		}
	}
	sops, err := db.SignalOpinions(sig)
	if err != nil || len(sops) != 1 || sops[0].Signal != sig || sops[0].Reason != "stock photo" {
		t.Errorf("SignalOpinions = %+v, %v", sops, err)
	}
	if sops, _ := db.SignalOpinions(it.Signals[1]); len(sops) != 0 {
		t.Errorf("SignalOpinions of another signal = %v", sops)
	}
	// An opinion on key (s, "o") must not show under (s, "o2") and back.
	if err := db.SetOpinion(ctx, Opinion{Key: Key{Source: "local", ID: "o2"}, Verdict: Confirmed}); err != nil {
		t.Fatal(err)
	}
	if ops, _ := db.Opinions(it.Key); len(ops) != 2 {
		t.Errorf("Opinions picked up another key's: %v", ops)
	}
	if st, _ := db.Stats(); st.Opinions != 4 {
		t.Errorf("Stats.Opinions = %d, want 4", st.Opinions)
	}

	bad := []struct {
		name string
		op   Opinion
		msg  string
	}{
		{"no target", Opinion{Verdict: Confirmed}, "no target"},
		{"both targets", Opinion{Key: it.Key, Signal: sig, Verdict: Confirmed}, "both"},
		{"no verdict", Opinion{Key: it.Key}, "verdict"},
		{"bad key", Opinion{Key: Key{ID: "x"}, Verdict: Confirmed}, "source"},
		{"bad org", Opinion{Key: it.Key, Verdict: Confirmed, Org: "A B"}, "org"},
		{"long reason", Opinion{Key: it.Key, Verdict: Confirmed, Reason: strings.Repeat("r", 5000)}, "reason"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			err := db.SetOpinion(ctx, tc.op)
			if !errors.Is(err, ErrInvalidOpinion) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("SetOpinion = %v, want ErrInvalidOpinion mentioning %q", err, tc.msg)
			}
		})
	}
}

func TestStats(t *testing.T) {
	db := openTest(t, nil)
	ctx := context.Background()
	a := testItem("a", 1)
	a.Labels = []string{"type:video", "entity:x"}
	b := testItem("b", 2)
	b.Source, b.TLP, b.Signals = "partner", tlp.Red, []signal.Signal{testSignal(signal.SHA256, 2)}
	c := testItem("c", 3)
	if err := db.PutForeign(ctx, "test", a, b, c); err != nil {
		t.Fatal(err)
	}
	if err := db.Retract(ctx, c.Key, ""); err != nil {
		t.Fatal(err)
	}
	st, err := db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{
		Items:     2,
		Retracted: 1,
		Signals:   map[signal.Algorithm]int{signal.PDQ: 1, signal.PHash: 1, signal.MD5: 1, signal.SHA256: 1},
		Sources:   map[string]int{"local": 1, "partner": 1},
		Labels:    map[string]int{"type:video": 2, "entity:x": 1},
		TLP:       map[tlp.Level]int{tlp.Amber: 1, tlp.Red: 1},
		LastSeq:   4,
	}
	if st.Items != want.Items || st.Retracted != want.Retracted || st.LastSeq != want.LastSeq ||
		fmt.Sprint(st.Signals) != fmt.Sprint(want.Signals) || fmt.Sprint(st.Sources) != fmt.Sprint(want.Sources) ||
		fmt.Sprint(st.Labels) != fmt.Sprint(want.Labels) || fmt.Sprint(st.TLP) != fmt.Sprint(want.TLP) {
		t.Errorf("Stats = %+v\nwant    %+v", st, want)
	}
	if st.FileSize <= 0 {
		t.Errorf("FileSize = %d", st.FileSize)
	}
}

func TestPeers(t *testing.T) {
	db := openTest(t, nil)
	ctx := context.Background()
	pub, _, _ := ed25519.GenerateKey(nil)
	p := Peer{
		ID:   "partner",
		Name: "Partner Org",
		Keys: []PeerKey{{ID: "k1", Public: pub, Added: t0}, {ID: "k0", Public: pub, Added: t0.Add(-time.Hour), Revoked: t0}},
		Policy: Policy{
			MaxTLP: tlp.Amber,
			Labels: []string{"type:video"},
		},
		Checkpoint: Checkpoint{Seq: 42, BundleDigest: []byte{1, 2, 3}, Time: t0},
	}
	if err := db.AddPeer(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := db.AddPeer(ctx, Peer{ID: "another"}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Peer("partner")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(p) {
		t.Errorf("Peer = %+v\nwant   %+v", got, p)
	}
	ps, err := db.Peers()
	if err != nil || len(ps) != 2 || ps[0].ID != "another" || ps[1].ID != "partner" {
		t.Errorf("Peers = %v, %v", ps, err)
	}
	if st, _ := db.Stats(); st.Peers != 2 || st.LastSeq != 0 {
		t.Errorf("Stats: %d peers, last seq %d (peers are not logged)", st.Peers, st.LastSeq)
	}
	if err := db.RemovePeer(ctx, "partner"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Peer("partner"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Peer after remove = %v", err)
	}
	if err := db.RemovePeer(ctx, "partner"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second RemovePeer = %v", err)
	}
	for _, bad := range []Peer{
		{ID: ""},
		{ID: "Bad Id"},
		{ID: "p", Keys: []PeerKey{{ID: "k", Public: pub[:31]}}},
		{ID: "p", Keys: []PeerKey{{ID: "k", Public: pub}, {ID: "k", Public: pub}}},
		{ID: "p", Policy: Policy{MaxTLP: 7}},
		{ID: "p", Policy: Policy{Labels: []string{"BAD"}}},
	} {
		if err := db.AddPeer(ctx, bad); !errors.Is(err, ErrInvalidPeer) {
			t.Errorf("AddPeer(%+v) = %v, want ErrInvalidPeer", bad, err)
		}
	}
}

func TestValidateLabel(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"type:video", true}, {"behaviour:graphic-violence", true}, {"incident:christchurch-2019", true},
		{"entity:is.is_1", true}, {"free", true}, {"a:b:c", true},
		{"", false}, {"Type", false}, {"type video", false}, {":x", false}, {"x:", false},
		{"é", false}, {strings.Repeat("a", MaxLabelLen+1), false}, {"a/b", false},
	}
	for _, tc := range tests {
		err := ValidateLabel(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateLabel(%q) = %v, want ok %v", tc.in, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidLabel) {
			t.Errorf("ValidateLabel(%q) error does not wrap ErrInvalidLabel", tc.in)
		}
	}
}

func TestItemsStoredOrder(t *testing.T) {
	db := openTest(t, nil)
	ctx := context.Background()
	// Ids run against key order, over more than two pages, in two Puts.
	var items []Item
	for i := range 1300 {
		it := testItem(fmt.Sprintf("%04d", 1300-i), i)
		it.Source = []string{"alpha", "beta"}[i%2]
		it.Retracted = i%7 == 0
		items = append(items, it)
	}
	if err := db.PutForeign(ctx, "test", items[:700]...); err != nil {
		t.Fatal(err)
	}
	if err := db.PutForeign(ctx, "test", items[700:]...); err != nil {
		t.Fatal(err)
	}
	// Storing an early item again keeps its place.
	again := items[3]
	again.Note = "seen again"
	if err := db.PutForeign(ctx, "test", again); err != nil {
		t.Fatal(err)
	}
	for _, f := range []Filter{{StoredOrder: true}, {StoredOrder: true, Retracted: true}, {StoredOrder: true, Source: "beta"}, {StoredOrder: true, Source: "bet"}} {
		var want, got []Key
		for _, it := range items {
			if (!it.Retracted || f.Retracted) && (f.Source == "" || it.Source == f.Source) {
				want = append(want, it.Key)
			}
		}
		for it, err := range db.Items(ctx, f) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, it.Key)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%+v: got %d items, want %d in the order stored", f, len(got), len(want))
		}
	}
	n := 0
	for range db.Items(ctx, Filter{StoredOrder: true}) {
		if n++; n == 3 {
			break
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	for _, err := range db.Items(cctx, Filter{StoredOrder: true}) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled: %v", err)
		}
	}
}
