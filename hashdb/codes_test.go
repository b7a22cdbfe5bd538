package hashdb

import (
	"context"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/internal/store"
)

// codesDB writes a database of n items, some updated and retracted, at
// path, for organisation org.
func codesDB(t *testing.T, path, org string, n, salt int) []Item {
	t.Helper()
	ctx := context.Background()
	db := openOrg(t, path, org, false)
	defer db.Close()
	items := make([]Item, n)
	for i := range items {
		items[i] = orgItem(org, "item-"+string(rune('a'+i%26))+string(rune('a'+i/26)), i+salt, tlp.Green)
	}
	if err := db.Put(ctx, items...); err != nil {
		t.Fatal(err)
	}
	items[3] = orgItem(org, items[3].ID, 100000+salt, tlp.Green)
	if err := db.Put(ctx, items[3]); err != nil {
		t.Fatal(err)
	}
	if err := db.Retract(ctx, items[5].Key, "gone"); err != nil {
		t.Fatal(err)
	}
	return append(items[:5:5], items[6:]...)
}

// findsAll checks that every live item's every signal finds it.
func findsAll(t *testing.T, db *DB, live []Item) {
	t.Helper()
	for _, it := range live {
		for _, s := range it.Signals {
			found, err := db.Lookup(s)
			if err != nil {
				t.Fatal(err)
			}
			ok := false
			for _, f := range found {
				ok = ok || f.Key == it.Key
			}
			if !ok {
				t.Fatalf("Lookup(%s) does not find %s", s, it.Key)
			}
		}
	}
}

// TestCodesDistrusted damages the packed codes in every way Open must
// notice and checks that it then decodes the items instead (read-only),
// that Check reports the damage, and that a writable open rebuilds them.
func TestCodesDistrusted(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other.db")
	codesDB(t, other, "org-a", 300, 7) // same shape, other signals and id
	var foreign [][2][]byte
	raw, err := bolt.Open(other, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = raw.View(func(tx *bolt.Tx) error {
		return tx.Bucket(store.BucketCodes).ForEach(func(k, v []byte) error {
			foreign = append(foreign, [2][]byte{append([]byte(nil), k...), append([]byte(nil), v...)})
			return nil
		})
	})
	raw.Close()

	firstChunk := func(b *bolt.Bucket) []byte {
		k, _ := b.Cursor().First()
		return k
	}
	for _, tc := range []struct {
		name   string
		damage func(b *bolt.Bucket) error
	}{
		{"no marker", func(b *bolt.Bucket) error { return b.Delete(codesMarker) }},
		{"stale marker", func(b *bolt.Bucket) error {
			m, _ := decodeCodesMark(b.Get(codesMarker))
			m.seq--
			return b.Put(codesMarker, m.encode())
		}},
		{"truncated chunk", func(b *bolt.Bucket) error {
			k := firstChunk(b)
			v := b.Get(k)
			return b.Put(k, append([]byte(nil), v[:len(v)-8]...))
		}},
		{"flipped bit", func(b *bolt.Bucket) error {
			k := firstChunk(b)
			v := append([]byte(nil), b.Get(k)...)
			v[len(v)-1] ^= 1
			return b.Put(k, v)
		}},
		{"missing chunk", func(b *bolt.Bucket) error { return b.Delete(firstChunk(b)) }},
		{"from another database", func(b *bolt.Bucket) error {
			for _, kv := range foreign {
				if err := b.Put(kv[0], kv[1]); err != nil {
					return err
				}
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "h.db")
			live := codesDB(t, path, "org-a", 300, 0)
			ro := openOrg(t, path, "org-a", true)
			findsAll(t, ro, live)
			if !ro.codesRead {
				t.Fatal("the indexes were not built from intact packed codes")
			}
			ro.Close()

			raw, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := raw.Update(func(tx *bolt.Tx) error { return tc.damage(tx.Bucket(store.BucketCodes)) }); err != nil {
				t.Fatal(err)
			}
			raw.Close()

			ro = openOrg(t, path, "org-a", true)
			findsAll(t, ro, live)
			if ro.codesRead {
				t.Fatal("damaged packed codes were trusted")
			}
			probs, err := ro.Check(context.Background())
			if err != nil || len(probs) == 0 || probs[0].Bucket != "codes" {
				t.Fatalf("Check = %v, %v; want a codes problem", probs, err)
			}
			ro.Close()

			rw := openOrg(t, path, "org-a", false)
			findsAll(t, rw, live)
			mustCheck(t, rw)
			rw.Close()
			ro = openOrg(t, path, "org-a", true)
			findsAll(t, ro, live)
			if !ro.codesRead {
				t.Fatal("a writable open did not rebuild the packed codes")
			}
			ro.Close()
		})
	}
}

// TestIndexesBuiltOnFirstSearch checks that Open and writes leave the
// indexes unbuilt, and that the first search builds them over everything
// committed.
func TestIndexesBuiltOnFirstSearch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	live := codesDB(t, path, "org-a", 50, 0)
	db := openOrg(t, path, "org-a", false)
	it := orgItem("org-a", "late", 999, tlp.Green)
	if err := db.Put(context.Background(), it); err != nil {
		t.Fatal(err)
	}
	if db.idxBuilt.Load() {
		t.Fatal("Open or Put built the indexes")
	}
	findsAll(t, db, append(live, it))
	if !db.idxBuilt.Load() || !db.codesRead {
		t.Fatalf("built %v, from the packed codes %v", db.idxBuilt.Load(), db.codesRead)
	}
	it2 := orgItem("org-a", "later", 1000, tlp.Green)
	if err := db.Put(context.Background(), it2); err != nil {
		t.Fatal(err)
	}
	findsAll(t, db, []Item{it2}) // a commit after the build matches at once
}
