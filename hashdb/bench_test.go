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

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/internal/store"
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
			Signals: []signal.Signal{testSignal(signal.PDQ, k), testSignal(signal.PHash, k), testSignal(signal.MD5, k)},
			Labels:  []string{"type:video"},
			TLP:     tlp.Amber,
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
		if err := db.PutForeign(context.Background(), "benchmark", items...); err != nil {
			b.Fatal(err)
		}
		took += time.Since(start)
	}
	return took
}

// rawPutAll writes, with bbolt directly, the same keys and values putAll
// stores (item records, item numbers, change log entries) in the same
// batches: the floor hashdb's bookkeeping sits on. With v1, it also writes
// the stored signal index of schema version 1 (algorithm, value, item key
// → item number), ordered by hash value, to show what dropping it saved.
func rawPutAll(b *testing.B, path string, n int, v1 bool) time.Duration {
	raw, err := bolt.Open(path, 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	names := [][]byte{store.BucketItems, store.BucketNumbers, store.BucketChanges, []byte("index")}
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
		var recs, nums, log, idx []kv
		for i := range items {
			it, _ := testOptions().normalize(items[i])
			ik := itemKey(it.Key)
			seq := uint64(from + i + 1)
			v, _ := encodeRecord(&record{Item: it, num: seq, seq: seq})
			recs = append(recs, kv{ik, v})
			nums = append(nums, kv{store.NumKey(seq), ik})
			for _, s := range it.Signals {
				if !v1 {
					break
				}
				k := append(s.AppendBytes([]byte{byte(s.Algorithm())}), ik...)
				idx = append(idx, kv{k, binary.AppendUvarint(nil, seq)})
			}
			c, _ := marshal.Marshal(&pb.Change{Seq: seq, Kind: pb.ChangeKind_CHANGE_KIND_ADD, Item: &pb.ItemKey{Source: it.Source, Id: it.ID}, TimeUnixNano: t0.UnixNano()})
			log = append(log, kv{store.SeqKey(seq), c})
		}
		// Schema 1 applied index entries in key order.
		slices.SortFunc(idx, func(a, b kv) int { return bytes.Compare(a.k, b.k) })
		start := time.Now()
		err := raw.Update(func(tx *bolt.Tx) error {
			for i, set := range [][]kv{recs, nums, log, idx} {
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
// (x-raw-bbolt) and of those plus schema 1's stored signal index
// (x-raw-v1). The 1M size runs only without -short.
func BenchmarkPut(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			if n > benchBatch && testing.Short() {
				b.Skip("1M items: skipped with -short")
			}
			var took, raw, v1 time.Duration
			var size int64
			for range b.N {
				dir := b.TempDir()
				took += putAll(b, filepath.Join(dir, "h.db"), n)
				fi, err := os.Stat(filepath.Join(dir, "h.db"))
				if err != nil {
					b.Fatal(err)
				}
				size = fi.Size()
				raw += rawPutAll(b, filepath.Join(dir, "raw.db"), n, false)
				v1 += rawPutAll(b, filepath.Join(dir, "v1.db"), n, true)
			}
			b.ReportMetric(float64(n*b.N)/took.Seconds(), "items/s")
			b.ReportMetric(float64(size)/float64(n), "B/item")
			b.ReportMetric(took.Seconds()/raw.Seconds(), "x-raw-bbolt")
			b.ReportMetric(took.Seconds()/v1.Seconds(), "x-raw-v1")
		})
	}
}

// BenchmarkOpen opens a database of n items (three signals each), which
// reads every item record and builds the in-memory index of every
// algorithm; the baseline opens the file with bbolt and walks the items
// bucket without decoding.
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
				if err := db.useIndexes(context.Background()); err != nil {
					b.Fatal(err)
				}
				for _, a := range []signal.Algorithm{signal.PDQ, signal.PHash, signal.MD5} {
					if got := db.idx.by[a].Len(); got != n {
						b.Fatalf("%s index holds %d signals, want %d", a, got, n)
					}
				}
				db.Close()

				b.StopTimer()
				start := time.Now()
				rdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
				if err != nil {
					b.Fatal(err)
				}
				_ = rdb.View(func(tx *bolt.Tx) error {
					return tx.Bucket(store.BucketItems).ForEach(func(k, v []byte) error { return nil })
				})
				rdb.Close()
				raw += time.Since(start)
				b.StartTimer()
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/open")
			b.ReportMetric(float64(b.Elapsed())/float64(raw), "x-raw-bbolt")
		})
	}
}
