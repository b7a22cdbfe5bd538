package hashdb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/internal/store"
)

// TestPreEncoded checks that an item stored from its pre-encoded records
// is stored byte for byte as encoding its whole records stores it.
func TestPreEncoded(t *testing.T) {
	retracted := testItem("retracted", 3)
	retracted.Retracted, retracted.RetractReason = true, "withdrawn at source"
	seen := testItem("seen", 4)
	seen.FirstSeen = time.Date(2020, 1, 2, 3, 4, 5, 6, time.UTC)
	seen.LastSeen = time.Date(2021, 1, 2, 3, 4, 5, 6, time.UTC)
	lastOnly := testItem("last-only", 5)
	lastOnly.LastSeen = time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC) // before now
	unreliable := testItem("unreliable", 6)
	unreliable.Unreliable = unreliable.Signals[:1]
	noted := testItem("noted", 7)
	noted.Note, noted.Labels, noted.TLP = "ünïcode note", []string{"a", "b:c", "z"}, tlp.Clear
	other := testItem("other", 8)
	other.Source = "partner"
	items := []Item{testItem("plain", 1), retracted, seen, lastOnly, unreliable, noted, other}
	items = append(items, randomItems(300)...)

	ctx := WithActor(context.Background(), "tester")
	whole, pre := openTest(t, nil), openTest(t, nil)
	if err := whole.PutForeign(ctx, "test", items...); err != nil {
		t.Fatal(err)
	}
	err := pre.update(ctx, func(w *writer) error {
		w.origin = "test"
		for _, it := range items {
			n, err := pre.opts.normalize(it)
			if err != nil {
				return err
			}
			p, err := new(coder).preEncode(n, w.nowNs, w.actor)
			if err != nil {
				return err
			}
			if _, err := w.putItemPre(n, itemKey(n.Key), &p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, bucket := range [][]byte{store.BucketItems, store.BucketChanges, store.BucketNumbers, store.BucketCounts} {
		if a, b := rawBucket(t, whole, bucket), rawBucket(t, pre, bucket); a != b {
			t.Errorf("bucket %s differs:\nwhole records: %s\npre-encoded:   %s", bucket, a, b)
		}
	}
}

// rawBucket returns every key and value of a top-level bucket, in hex.
func rawBucket(t *testing.T, db *DB, name []byte) string {
	t.Helper()
	var s string
	err := db.viewTx(func(tx *bolt.Tx) error {
		return tx.Bucket(name).ForEach(func(k, v []byte) error {
			s += fmt.Sprintf("%x=%x\n", k, v)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// randomItems returns n valid items whose fields are each present or not,
// at random but the same every run.
func randomItems(n int) []Item {
	rng := rand.New(rand.NewPCG(1, 2))
	algs := signal.Algorithms()
	labels := []string{"a", "type:video", "behaviour:glorification", "x.y-z_0"}
	var items []Item
	for i := range n {
		it := Item{Key: Key{Source: []string{"local", "partner", "p3"}[rng.IntN(3)], ID: fmt.Sprintf("r%d", i)}}
		for j := range 1 + rng.IntN(4) {
			it.Signals = append(it.Signals, testSignal(algs[rng.IntN(len(algs))], i*8+j))
		}
		for _, s := range it.Signals {
			if rng.IntN(3) == 0 {
				it.Unreliable = append(it.Unreliable, s)
			}
		}
		for _, l := range labels {
			if rng.IntN(2) == 0 {
				it.Labels = append(it.Labels, l)
			}
		}
		it.TLP = tlp.Level(1 + rng.IntN(int(tlp.Red)))
		if rng.IntN(2) == 0 {
			it.FirstSeen = time.Unix(rng.Int64N(4e9)-1e9, rng.Int64N(1e9)).UTC()
		}
		if rng.IntN(2) == 0 {
			it.LastSeen = time.Unix(rng.Int64N(4e9)-1e9, rng.Int64N(1e9)).UTC()
		}
		if !it.FirstSeen.IsZero() && it.LastSeen.Before(it.FirstSeen) {
			it.LastSeen = time.Time{}
		}
		if rng.IntN(3) == 0 {
			it.Note = fmt.Sprintf("note %d", i)
		}
		if rng.IntN(4) == 0 {
			it.Retracted = true
			if rng.IntN(2) == 0 {
				it.RetractReason = "withdrawn"
			}
		}
		items = append(items, it)
	}
	return items
}
