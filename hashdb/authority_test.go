package hashdb

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"slices"
	"testing"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// authorityTrio opens three databases: ours (org-b), the source org-c and
// a hostile peer org-a, both of which we accept up to AMBER+STRICT and
// both of which share up to AMBER with us.
func authorityTrio(t *testing.T) (a, b, c *DB) {
	t.Helper()
	a, b = orgPair(t)
	oc := testOptions()
	oc.Organization = "org-c"
	c = openTest(t, oc)
	ctx := context.Background()
	if err := c.AddPeer(ctx, Peer{ID: "org-b", Policy: Policy{Share: tlp.Amber}}); err != nil {
		t.Fatal(err)
	}
	if err := b.AddPeer(ctx, Peer{
		ID:     "org-c",
		Keys:   []PeerKey{{ID: "k1", Public: keyX.Public().(ed25519.PublicKey)}},
		Policy: Policy{MaxTLP: tlp.AmberStrict},
	}); err != nil {
		t.Fatal(err)
	}
	return a, b, c
}

// exportC exports org-c's database to org-b.
func exportC(t *testing.T, c *DB, full bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := c.Export(context.Background(), &buf, ExportOptions{Audience: "org-b", Full: full, KeyID: "k1", Signer: keyX}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestSourceAuthority replays the attack of issue #18: a validly signed
// bundle from peer A overwrote, downgraded and retracted an item we held
// from its source C, and the downgraded copy then left in our public
// export under C's name.
func TestSourceAuthority(t *testing.T) {
	ctx := context.Background()
	a, b, c := authorityTrio(t)
	own := orgItem("org-c", "t-green", 1, tlp.Amber)
	if err := c.Put(ctx, own); err != nil {
		t.Fatal(err)
	}
	mustImport(t, b, exportC(t, c, true))

	// A mints C's item in its own file, with another signal, at CLEAR.
	// Its own database must be told the items are foreign; a malicious
	// peer can always do so.
	forged := orgItem("org-c", "t-green", 2, tlp.Clear)
	if err := a.Put(ctx, forged); !errors.Is(err, ErrForeignSource) {
		t.Fatalf("Put of another organisation's item: %v, want ErrForeignSource", err)
	}
	if err := a.PutForeign(ctx, "test", forged, orgItem("org-c", "only-via-a", 3, tlp.Green)); err != nil {
		t.Fatal(err)
	}
	mustImport(t, b, func() []byte { d, _ := exportTo(t, a, true, false); return d }())

	key := Key{Source: "org-c", ID: "t-green"}
	got, err := b.Get(key)
	if err != nil || got.TLP != tlp.Amber || !slices.Equal(got.Signals, own.Signals) || got.Retracted {
		t.Fatalf("C's own copy after A's bundle: %+v, %v; want C's signal at AMBER", got, err)
	}
	via, err := b.Get(Key{Source: "org-c", ID: "t-green", Via: "org-a"})
	if err != nil || !slices.Equal(via.Signals, forged.Signals) {
		t.Fatalf("A's copy is not kept apart: %+v, %v", via, err)
	}
	// The source's copy wins: A's signal does not match under C's name.
	if items, err := b.Lookup(forged.Signals[0]); err != nil || len(items) != 0 {
		t.Errorf("A's shadowed copy matches: %v, %v", items, err)
	}
	// A copy only A vouches for still matches, as A's copy.
	items, err := b.Lookup(testSignal(signal.PDQ, 3))
	if err != nil || len(items) != 1 || items[0].Via != "org-a" {
		t.Errorf("a copy held only via A: %v, %v", items, err)
	}

	// Nothing of C's leaves in our public export, downgraded or not.
	var pub bytes.Buffer
	if _, err := b.Export(ctx, &pub, ExportOptions{Full: true, KeyID: "k1", Signer: keyA2}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(pub.Bytes(), []byte("t-green")) || bytes.Contains(pub.Bytes(), []byte("only-via-a")) {
		t.Error("our public export carries C's item as A re-shared it")
	}

	// A retracts C's item: only A's copy goes.
	if err := a.Retract(ctx, key, "withdrawn"); err != nil {
		t.Fatal(err)
	}
	d, _ := exportTo(t, a, false, false)
	mustImport(t, b, d)
	if got, err := b.Get(key); err != nil || got.Retracted {
		t.Errorf("A's retraction reached C's own copy: %+v, %v", got, err)
	}
	if via, err := b.Get(Key{Source: "org-c", ID: "t-green", Via: "org-a"}); err != nil || !via.Retracted {
		t.Errorf("A's own copy after its retraction: %+v, %v", via, err)
	}

	// And a FULL bundle from A that lacks C's item retracts nothing of C's.
	if err := a.PutForeign(ctx, "test", orgItem("org-c", "t-green", 4, tlp.Clear)); err != nil {
		t.Fatal(err)
	}
	full, _ := exportTo(t, a, true, false)
	mustImport(t, b, full)
	if got, err := b.Get(key); err != nil || got.Retracted || got.TLP != tlp.Amber {
		t.Errorf("after A's FULL bundle: %+v, %v", got, err)
	}

	// C itself can retract its item.
	if err := c.Retract(ctx, key, "mistake"); err != nil {
		t.Fatal(err)
	}
	mustImport(t, b, exportC(t, c, false))
	if got, _ := b.Get(key); !got.Retracted || got.RetractReason != "mistake" {
		t.Errorf("C's retraction of its own item: %+v", got)
	}
	// Retracted by its source, the item stays shadowed: A's copy does not
	// bring it back.
	if items, err := b.Lookup(testSignal(signal.PDQ, 4)); err != nil || len(items) != 0 {
		t.Errorf("A's copy matches after C retracted the item: %v, %v", items, err)
	}
}

// TestRetractOnlyReceived checks a producer cannot retract what it never
// sent us, even an item of its own source name held from elsewhere.
func TestRetractOnlyReceived(t *testing.T) {
	ctx := context.Background()
	a, b, c := authorityTrio(t)
	if err := c.Put(ctx, orgItem("org-c", "x", 1, tlp.Green)); err != nil {
		t.Fatal(err)
	}
	mustImport(t, b, exportC(t, c, true))
	// A's file claims a retraction of C's item it never sent us.
	if err := a.PutForeign(ctx, "test", orgItem("org-c", "x", 2, tlp.Green)); err != nil {
		t.Fatal(err)
	}
	if err := a.Retract(ctx, Key{Source: "org-c", ID: "x"}, "gone"); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, b)
	d, _ := exportTo(t, a, true, false)
	mustImport(t, b, d)
	after := snapshot(t, b)
	if it, err := b.Get(Key{Source: "org-c", ID: "x"}); err != nil || it.Retracted {
		t.Errorf("C's item after A's retraction: %+v, %v", it, err)
	}
	if _, err := b.Get(Key{Source: "org-c", ID: "x", Via: "org-a"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("A's tombstone of an item it never sent was stored: %v", err)
	}
	if before == after {
		return // only the peer's checkpoint may differ; nothing of C's did
	}
	for it, err := range b.Items(ctx, Filter{Source: "org-c", Retracted: true}) {
		if err != nil {
			t.Fatal(err)
		}
		if it.Retracted {
			t.Errorf("%s retracted by A's bundle", it.Key)
		}
	}
}

// TestPutForeign checks the rule for local writes: Put writes the local
// organisation's items only, PutForeign records where others' came from.
func TestPutForeign(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, nil) // organisation "local"
	tests := []struct {
		name    string
		put     func() error
		wantErr error
	}{
		{"own item", func() error { return db.Put(ctx, testItem("mine", 1)) }, nil},
		{"empty source is ours", func() error { it := testItem("mine2", 2); it.Source = ""; return db.Put(ctx, it) }, nil},
		{"another's item", func() error { return db.Put(ctx, orgItem("partner", "x", 3, tlp.Green)) }, ErrForeignSource},
		{"a via copy", func() error {
			it := orgItem("partner", "x", 3, tlp.Green)
			it.Via = "other"
			return db.PutForeign(ctx, "test", it)
		}, ErrInvalidItem},
		{"no origin", func() error { return db.PutForeign(ctx, "", orgItem("partner", "x", 3, tlp.Green)) }, ErrInvalidItem},
		{"foreign with origin", func() error { return db.PutForeign(ctx, "list tcap.json", orgItem("partner", "x", 3, tlp.Green)) }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(t, db)
			err := tc.put()
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if err != nil && snapshot(t, db) != before {
				t.Error("a refused write changed the database")
			}
		})
	}
	h, err := db.History(Key{Source: "partner", ID: "x"})
	if err != nil || len(h) != 1 || h[0].Origin != "list tcap.json" {
		t.Errorf("history of a foreign item: %+v, %v", h, err)
	}
	if h, _ := db.History(Key{Source: "local", ID: "mine"}); len(h) != 1 || h[0].Origin != "" {
		t.Errorf("history of an own item: %+v", h)
	}
}
