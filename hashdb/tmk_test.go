package hashdb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/hashdb/tmk"
	"github.com/hashshare/hashshare/internal/testenv"
)

func readTMK(t *testing.T, sub, name string) *tmk.Hash {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.Dir(t, "tmk/"+sub), name+".tmk"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := tmk.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func tmkItem(id string, h *tmk.Hash) Item {
	return Item{Key: Key{ID: id}, TLP: tlp.Green, TMK: h}
}

// TestTMKStoreMatchExchange stores upstream's sample hashes, matches one
// video's other encodings against them, follows a retraction and carries
// the hashes through a bundle.
func TestTMKStoreMatchExchange(t *testing.T) {
	ctx := context.Background()
	a, b := orgPair(t)
	names := []string{"chair-19-sd-bar", "chair-22-sd-grey-bar", "pattern-hd-no-bar", "doorknob-hd-no-bar"}
	for _, n := range names {
		it := tmkItem(n, readTMK(t, "upstream", n))
		it.Source = "org-a"
		if err := a.Put(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	got, err := a.Get(Key{Source: "org-a", ID: "chair-19-sd-bar"})
	if err != nil {
		t.Fatal(err)
	}
	if got.ContentType != ContentVideo || !sameTMK(got.TMK, readTMK(t, "upstream", "chair-19-sd-bar")) {
		t.Fatalf("stored item: content type %v, same hash %v", got.ContentType, sameTMK(got.TMK, readTMK(t, "upstream", "chair-19-sd-bar")))
	}
	q := readTMK(t, "reference-debian", "chair-20-sd-bar")
	ids := func(db *DB, o *TMKMatchOptions) map[string]tmk.Score {
		t.Helper()
		res, err := db.MatchTMK(ctx, q, o)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]tmk.Score{}
		for _, m := range res.Matches {
			out[m.Item.ID] = m.Score
		}
		return out
	}
	m := ids(a, nil)
	if len(m) != 2 || m["chair-19-sd-bar"].Level2 == 0 || m["chair-22-sd-grey-bar"].Level1 == 0 {
		t.Fatalf("matches %v, want the two chairs", m)
	}
	want, _, _ := tmk.Compare(q, readTMK(t, "upstream", "chair-19-sd-bar"), tmk.Thresholds{})
	if m["chair-19-sd-bar"] != want {
		t.Fatalf("score %v, want %v", m["chair-19-sd-bar"], want)
	}
	if m := ids(a, &TMKMatchOptions{Thresholds: tmk.Thresholds{Level1: 0.988}}); len(m) != 1 {
		t.Fatalf("at level 1 ≥ 0.988: %v", m)
	}
	if m := ids(a, &TMKMatchOptions{Thresholds: tmk.Thresholds{Level1: -1, Level2: -1}}); len(m) != 4 {
		t.Fatalf("thresholds −1: %v", m)
	}
	// Commits after the index was built are followed.
	if err := a.Retract(ctx, Key{Source: "org-a", ID: "chair-19-sd-bar"}, "test"); err != nil {
		t.Fatal(err)
	}
	if m := ids(a, nil); len(m) != 1 {
		t.Fatalf("after retraction: %v", m)
	}
	it := tmkItem("chair-20", q)
	it.Source = "org-a"
	if err := a.Put(ctx, it); err != nil {
		t.Fatal(err)
	}
	if m := ids(a, nil); len(m) != 2 || m["chair-20"].Level1 < 0.9999 {
		t.Fatalf("after a put: %v", m)
	}
	bundle, _ := exportTo(t, a, true, false)
	mustImport(t, b, bundle)
	if m := ids(b, nil); len(m) != 2 {
		t.Fatalf("imported: %v", m)
	}
	bad := *q
	bad.Periods[0] = 1
	if err := a.Put(ctx, tmkItem("bad", &bad)); err == nil {
		t.Fatal("a hash of other periods was stored")
	}
	if _, err := a.MatchTMK(ctx, &bad, nil); !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("query of other periods: %v", err)
	}
	if res, err := a.MatchTMK(ctx, nil, nil); err != nil || len(res.Matches) != 0 {
		t.Fatalf("nil query: %v %v", res, err)
	}
}

// MatchHashes matches a TMK hash beside the signals, in a result of its
// own, last.
func TestMatchHashesTMK(t *testing.T) {
	ctx := context.Background()
	db, _ := orgPair(t)
	it := tmkItem("chair", readTMK(t, "upstream", "chair-19-sd-bar"))
	if err := db.Put(ctx, it); err != nil {
		t.Fatal(err)
	}
	res, err := db.MatchHashes(ctx, &media.Hashes{TMK: readTMK(t, "reference-debian", "chair-20-sd-bar")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].TMK == nil || !res[0].Matched() || res[0].TMK.Matches[0].Item.ID != "chair" {
		t.Fatalf("got %+v", res)
	}
	res, err = db.MatchHashes(ctx, &media.Hashes{TMK: readTMK(t, "upstream", "pattern-hd-no-bar")}, nil)
	if err != nil || len(res) != 1 || res[0].Matched() {
		t.Fatalf("another video: %+v %v", res, err)
	}
}
