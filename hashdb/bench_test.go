package hashdb

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// benchBatch is the number of items per Put in the benchmarks.
const benchBatch = 10000

// benchItems returns items [from, from+n): three signals each (PDQ, pHash,
// MD5), one label, as a hasher would produce them.
func benchItems(from, n int) []Item {
	items := make([]Item, n)
	for i := range items {
		k := from + i
		items[i] = Item{
			Key:     Key{Source: "gifct", ID: fmt.Sprintf("item-%09d", k)},
			Signals: []Signal{testSignal(PDQ, k), testSignal(PHash, k), testSignal(MD5, k)},
			Labels:  []string{"type:video"},
			TLP:     TLPAmber,
		}
	}
	return items
}

// putAll fills a new database at path with n items in batches and
// returns the time the Puts took.
func putAll(b *testing.B, path string, n int) time.Duration {
	db, err := Open(path, testOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var took time.Duration
	for from := 0; from < n; from += benchBatch {
		items := benchItems(from, min(benchBatch, n-from))
		start := time.Now()
		if err := db.Put(context.Background(), items...); err != nil {
			b.Fatal(err)
		}
		took += time.Since(start)
	}
	return took
}

// rawPutAll writes, with bbolt directly, the same keys and values putAll
// stores (item records, index entries, change log entries) in the same
// batches: the floor hashdb's bookkeeping sits on. Without index, it
// leaves out the signal index entries, to show what they cost.
func rawPutAll(b *testing.B, path string, n int, index bool) time.Duration {
	raw, err := bolt.Open(path, 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	names := [][]byte{bucketItems, bucketIndex, bucketChanges}
	if err := raw.Update(func(tx *bolt.Tx) error {
		for _, name := range names {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	var took time.Duration
	for from := 0; from < n; from += benchBatch {
		items := benchItems(from, min(benchBatch, n-from))
		type kv struct{ k, v []byte }
		var recs, idx, log []kv
		for i := range items {
			it, _ := testOptions().normalize(items[i])
			ik := itemKey(it.Key)
			seq := uint64(from + i + 1)
			v, _ := encodeRecord(&record{Item: it, num: seq, seq: seq})
			recs = append(recs, kv{ik, v})
			for _, s := range it.Signals {
				if !index {
					break
				}
				idx = append(idx, kv{indexKey(s, ik), binary.AppendUvarint(nil, seq)})
			}
			c, _ := marshal.Marshal(&pb.Change{Seq: seq, Kind: pb.ChangeKind_CHANGE_KIND_ADD, Item: &pb.ItemKey{Source: it.Source, Id: it.ID}, TimeUnixNano: t0.UnixNano()})
			log = append(log, kv{seqKey(seq), c})
		}
		// hashdb applies index entries in key order; so does the baseline.
		slices.SortFunc(idx, func(a, b kv) int { return bytes.Compare(a.k, b.k) })
		start := time.Now()
		err := raw.Update(func(tx *bolt.Tx) error {
			for i, set := range [][]kv{recs, idx, log} {
				bk := tx.Bucket(names[i])
				for _, e := range set {
					if err := bk.Put(e.k, e.v); err != nil {
						return err
					}
				}
			}
			return nil
		})
		took += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
	}
	return took
}

// BenchmarkPut puts items with three signals each in batches of 10,000
// into a new database, and reports items per second, bytes on disk per
// item, and the time relative to raw bbolt Puts of the same records
// (x-raw-bbolt) and of the same records less the signal index
// (x-raw-noindex). The 1M size runs only without -short.
func BenchmarkPut(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			if n > benchBatch && testing.Short() {
				b.Skip("1M items: skipped with -short")
			}
			var took, raw, noIndex time.Duration
			var size int64
			for range b.N {
				dir := b.TempDir()
				took += putAll(b, filepath.Join(dir, "h.db"), n)
				fi, err := os.Stat(filepath.Join(dir, "h.db"))
				if err != nil {
					b.Fatal(err)
				}
				size = fi.Size()
				raw += rawPutAll(b, filepath.Join(dir, "raw.db"), n, true)
				noIndex += rawPutAll(b, filepath.Join(dir, "noindex.db"), n, false)
			}
			b.ReportMetric(float64(n*b.N)/took.Seconds(), "items/s")
			b.ReportMetric(float64(size)/float64(n), "B/item")
			b.ReportMetric(took.Seconds()/raw.Seconds(), "x-raw-bbolt")
			b.ReportMetric(took.Seconds()/noIndex.Seconds(), "x-raw-noindex")
		})
	}
}

// BenchmarkOpen opens a database of n items (three signals each) and scans
// the whole signal index decoding every entry, as building the in-memory
// match indexes will; the baseline opens the file with bbolt and walks the
// same bucket without decoding.
func BenchmarkOpen(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			if n > benchBatch && testing.Short() {
				b.Skip("1M items: skipped with -short")
			}
			path := filepath.Join(b.TempDir(), "h.db")
			putAll(b, path, n)
			var raw time.Duration
			b.ResetTimer()
			for range b.N {
				db, err := Open(path, nil)
				if err != nil {
					b.Fatal(err)
				}
				entries, err := db.scanIndex()
				if err != nil {
					b.Fatal(err)
				}
				if entries != 3*n {
					b.Fatalf("scanned %d index entries, want %d", entries, 3*n)
				}
				db.Close()

				b.StopTimer()
				start := time.Now()
				rdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
				if err != nil {
					b.Fatal(err)
				}
				_ = rdb.View(func(tx *bolt.Tx) error {
					return tx.Bucket(bucketIndex).ForEach(func(k, v []byte) error { return nil })
				})
				rdb.Close()
				raw += time.Since(start)
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed())/float64(raw), "x-raw-bbolt")
		})
	}
}

// scanIndex reads every signal index entry as an index build would:
// the signal, the item key and the item number.
func (db *DB) scanIndex() (int, error) {
	n := 0
	err := db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketIndex).ForEach(func(k, v []byte) error {
			if _, _, _, _, err := parseIndexEntry(k, v); err != nil {
				return err
			}
			n++
			return nil
		})
	})
	return n, err
}
