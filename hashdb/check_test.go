package hashdb

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/hashshare/hashshare/internal/store"
)

// TestCheckFindsCorruption damages a healthy file through raw bbolt in
// the ways a bug or a bad disk could, and checks Check reports each.
func TestCheckFindsCorruption(t *testing.T) {
	a, b := testItem("a", 1), testItem("b", 2)
	r := testItem("r", 3)
	r.Retracted = true
	keyA := itemKey(a.Key)

	tests := []struct {
		name   string
		damage func(tx *bolt.Tx) error
		want   []string // substrings of problems that must be reported
	}{
		{"numbers entry missing", func(tx *bolt.Tx) error {
			return tx.Bucket(store.BucketNumbers).Delete(store.NumKey(1))
		}, []string{"items local/a: number 1 is not in the numbers bucket"}},
		{"numbers entry names another item", func(tx *bolt.Tx) error {
			return tx.Bucket(store.BucketNumbers).Put(store.NumKey(1), itemKey(b.Key))
		}, []string{"numbers 1: names", "the item with this number is local/a"}},
		{"numbers entry for no item", func(tx *bolt.Tx) error {
			return tx.Bucket(store.BucketNumbers).Put(store.NumKey(9), itemKey(Key{Source: "local", ID: "ghost"}))
		}, []string{"numbers 9: no item has this number"}},
		{"numbers entry for a retracted item's number, moved", func(tx *bolt.Tx) error {
			nb := tx.Bucket(store.BucketNumbers)
			if err := nb.Delete(store.NumKey(3)); err != nil {
				return err
			}
			return nb.Put(store.NumKey(4), itemKey(r.Key))
		}, []string{"local/r: number 3 is not in the numbers bucket", "numbers 4: no item has this number"}},
		{"garbage numbers key", func(tx *bolt.Tx) error {
			return tx.Bucket(store.BucketNumbers).Put([]byte{99, 1, 2}, keyA)
		}, []string{"numbers 630102: key is not a 64-bit number"}},
		{"change missing", func(tx *bolt.Tx) error {
			return tx.Bucket(store.BucketChanges).Delete(store.SeqKey(2))
		}, []string{"skips 2 to 2", "last change 2 is not in the log"}},
		{"meta ahead of the log", func(tx *bolt.Tx) error {
			m, _, err := store.ReadMeta(tx)
			if err != nil {
				return err
			}
			m.LastSeq += 5
			return store.WriteMeta(tx, m)
		}, []string{"last sequence is 10 but the log ends at 5"}},
		{"undecodable item", func(tx *bolt.Tx) error {
			return tx.Bucket(store.BucketItems).Put(keyA, []byte{0xff, 0xff, 0xff})
		}, []string{"items", "corrupt"}},
		{"item not in canonical form", func(tx *bolt.Tx) error {
			v := tx.Bucket(store.BucketItems).Get(keyA)
			rec, err := decodeRecord(keyA, v)
			if err != nil {
				return err
			}
			rec.Labels = []string{"z", "a"}
			nv, err := encodeRecord(&rec)
			if err != nil {
				return err
			}
			return tx.Bucket(store.BucketItems).Put(keyA, nv)
		}, []string{"canonical"}},
		{"two items share a number", func(tx *bolt.Tx) error {
			kb := itemKey(b.Key)
			rec, err := decodeRecord(kb, tx.Bucket(store.BucketItems).Get(kb))
			if err != nil {
				return err
			}
			rec.num = 1
			nv, err := encodeRecord(&rec)
			if err != nil {
				return err
			}
			return tx.Bucket(store.BucketItems).Put(kb, nv)
		}, []string{"number 1 is also local/a's"}},
		{"item's last change is another's", func(tx *bolt.Tx) error {
			rec, err := decodeRecord(keyA, tx.Bucket(store.BucketItems).Get(keyA))
			if err != nil {
				return err
			}
			rec.seq = 2
			nv, err := encodeRecord(&rec)
			if err != nil {
				return err
			}
			return tx.Bucket(store.BucketItems).Put(keyA, nv)
		}, []string{"last change 2 is a add of local/b"}},
		{"counter off", func(tx *bolt.Tx) error {
			return tx.Bucket(store.BucketCounts).Put([]byte("l:type:video"), binary.AppendUvarint(nil, 7))
		}, []string{"l:type:video: stored 7, recount 2"}},
		{"counter extra", func(tx *bolt.Tx) error {
			return tx.Bucket(store.BucketCounts).Put([]byte("s:nobody"), []byte{1})
		}, []string{"s:nobody: stored 1, recount 0"}},
		{"undecodable opinion", func(tx *bolt.Tx) error {
			op := Opinion{Key: a.Key, Org: "local"}
			return tx.Bucket(store.BucketOpinions).Put(opinionKey(&op), []byte{0x0a, 0x05})
		}, []string{"opinions", "corrupt"}},
		{"undecodable change", func(tx *bolt.Tx) error {
			return tx.Bucket(store.BucketChanges).Put(store.SeqKey(3), []byte("garbage!"))
		}, []string{"changes 0000000000000003"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.db")
			db, err := Open(path, testOptions())
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if err := db.Put(ctx, a, b, r); err != nil {
				t.Fatal(err)
			}
			if err := db.SetOpinion(ctx, Opinion{Key: b.Key, Verdict: Confirmed}); err != nil {
				t.Fatal(err)
			}
			if err := db.SetOpinion(ctx, Opinion{Signal: a.Signals[2], Verdict: FalsePositive}); err != nil {
				t.Fatal(err)
			}
			probs, err := db.Check(ctx)
			if err != nil || len(probs) != 0 {
				t.Fatalf("healthy database: %v, %v", probs, err)
			}
			db.Close()

			rawUpdate(t, path, tc.damage)

			db, err = Open(path, testOptions())
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			probs, err = db.Check(ctx)
			if err != nil {
				t.Fatal(err)
			}
			all := fmt.Sprint(probs)
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("problems %v do not mention %q", probs, w)
				}
			}
		})
	}
}

func TestCheckReportsEveryProblem(t *testing.T) {
	path := filepath.Join(t.TempDir(), "many.db")
	db, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	var items []Item
	for i := range 10 {
		items = append(items, testItem(fmt.Sprint(i), i))
	}
	if err := db.Put(context.Background(), items...); err != nil {
		t.Fatal(err)
	}
	db.Close()
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		for i := range items {
			if err := tx.Bucket(store.BucketNumbers).Delete(store.NumKey(uint64(i) + 1)); err != nil {
				return err
			}
		}
		return nil
	})
	db, err = Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	probs, err := db.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) != 10 {
		t.Errorf("Check found %d problems, want the 10 missing numbers: %v", len(probs), probs)
	}
	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.Check(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Check with a cancelled context: %v", err)
	}
}
