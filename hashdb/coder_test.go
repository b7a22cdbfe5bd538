package hashdb

import (
	"context"
	"fmt"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
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
	noted.Note, noted.Labels, noted.TLP = "ünïcode note", []string{"a", "b:c", "z"}, TLPClear
	other := testItem("other", 8)
	other.Source = "partner"
	items := []Item{testItem("plain", 1), retracted, seen, lastOnly, unreliable, noted, other}

	ctx := WithActor(context.Background(), "tester")
	whole, pre := openTest(t, nil), openTest(t, nil)
	if err := whole.Put(ctx, items...); err != nil {
		t.Fatal(err)
	}
	err := pre.update(ctx, func(w *writer) error {
		var c coder
		for _, it := range items {
			n, err := pre.opts.normalize(it)
			if err != nil {
				return err
			}
			p, err := c.preEncode(n, w.nowNs, w.actor)
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
	for _, bucket := range [][]byte{bucketItems, bucketChanges, bucketNumbers, bucketCounts} {
		if a, b := rawBucket(t, whole, bucket), rawBucket(t, pre, bucket); a != b {
			t.Errorf("bucket %s differs:\nwhole records: %s\npre-encoded:   %s", bucket, a, b)
		}
	}
}

// rawBucket returns every key and value of a top-level bucket, in hex.
func rawBucket(t *testing.T, db *DB, name []byte) string {
	t.Helper()
	var s string
	err := db.view(func(tx *bolt.Tx) error {
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
