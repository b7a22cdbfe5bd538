package hashdb

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/internal/store"
)

// peaks samples the live heap (what the last garbage collection kept)
// and the anonymous resident memory until stop is called, returning the
// peak of each above where it started. The heap in use is no measure of
// what a program needs: between collections it holds garbage up to
// GOGC percent of the live heap, so it swings with whatever else is live
// (here, the databases' indexes); anonymous memory leaves out the pages
// of the file bbolt maps, which the kernel may drop at will.
func peaks() (stop func() (heap, anon uint64)) {
	runtime.GC()
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	heap0, anon0 := live[0].Value.Uint64(), procStatus("RssAnon")
	var heap, anon uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > heap0 {
				heap = max(heap, v-heap0)
			}
			if v := procStatus("RssAnon"); v > anon0 {
				anon = max(anon, v-anon0)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() (uint64, uint64) { close(done); <-finished; return heap, anon }
}

// rssPeak resets the process's peak resident set size (Linux only) and
// returns a function reporting how far above the resident size at the
// start it went, in bytes; 0 where the kernel does not say. Unlike the
// heap, this counts everything: the Go runtime's spare memory, bbolt's
// memory map of the file, buffers.
func rssPeak() (stop func() uint64) {
	runtime.GC()
	debug.FreeOSMemory()
	if os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) != nil {
		return func() uint64 { return 0 }
	}
	base := procStatus("VmRSS")
	return func() uint64 {
		if peak := procStatus("VmHWM"); peak > base {
			return peak - base
		}
		return 0
	}
}

// procStatus returns a size /proc/self/status reports, in bytes.
func procStatus(field string) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte(field+":")); ok {
			kb, _ := strconv.ParseUint(string(bytes.TrimSuffix(bytes.TrimSpace(v), []byte(" kB"))), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// heapNow returns the live heap after a collection.
func heapNow() uint64 {
	runtime.GC()
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	return live[0].Value.Uint64()
}

// BenchmarkExchange exports a FULL bundle of n items to a file and imports
// it into an empty database, reporting entries/s each way and, for each,
// how far memory rose above where it started: the live heap, the
// anonymous resident memory, and the whole resident set (which also
// counts the file pages bbolt maps, and the garbage the collector lets
// pile up to GOGC percent of the live heap). An import leaves the
// database with a larger index, which stays: import-retained-heap-MB; the
// import's own memory is what it needed above that. Compare n=100000 with
// n=1000000 to see how memory scales. import-searchable-entries/s counts
// until the first search of the imported items returns, so it includes
// the index build a large import leaves running in the background; the
// -onto-n metrics import the same bundle into a database that already
// holds n items of its own.
// bbolt-floor-entries/s is how fast bbolt alone writes an import's records
// (see storeFloor), measured in the same run: import-speed/floor is the
// import's speed as a fraction of it. The 1M case is skipped with -short.
func BenchmarkExchange(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			if n > 100_000 && testing.Short() {
				b.Skip("1M items: skipped with -short")
			}
			ctx := context.Background()
			a, _ := orgPair(b)
			a = fill(b, a, "item", 0, n)
			dir := b.TempDir()
			floor := storeFloor(b, a, dir)
			var exportSecs, importSecs, searchSecs, ontoSecs, ontoSearchSecs float64
			var exportPeak, importPeak, exportRSS, importRSS, exportAnon, importAnon, retained uint64
			var size int64
			for b.Loop() {
				path := filepath.Join(dir, "bundle")
				f, err := os.Create(path)
				if err != nil {
					b.Fatal(err)
				}
				rss := rssPeak()
				stop := peaks()
				start := time.Now()
				if _, err := a.Export(ctx, f, ExportOptions{Audience: "org-b", Full: true, KeyID: "k1", Signer: keyA1}); err != nil {
					b.Fatal(err)
				}
				exportSecs += time.Since(start).Seconds()
				heap, anon := stop()
				exportPeak, exportAnon = max(exportPeak, heap), max(exportAnon, anon)
				exportRSS = max(exportRSS, rss())
				fi, _ := f.Stat()
				size = fi.Size()
				f.Close()

				_, rb := orgPair(b)
				f, err = os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				heap0 := heapNow()
				rss = rssPeak()
				stop = peaks()
				start = time.Now()
				res, err := rb.Import(ctx, f, &ImportOptions{TempDir: dir})
				if err != nil || res.Entries != uint64(n) {
					b.Fatal(res, err)
				}
				importSecs += time.Since(start).Seconds()
				last := orgItem("org-a", fmt.Sprintf("item-%d", n-1), n-1, tlp.Green)
				if found, err := rb.Lookup(last.Signals[0]); err != nil || len(found) != 1 {
					b.Fatal(found, err)
				}
				searchSecs += time.Since(start).Seconds()
				heap, anon = stop()
				importPeak, importAnon = max(importPeak, heap), max(importAnon, anon)
				importRSS = max(importRSS, rss())
				if h := heapNow(); h > heap0 {
					retained = max(retained, h-heap0)
				}
				rb.Close()

				// The same bundle into a database that holds n items of
				// its own: the index grows from n codes to 2n.
				_, rc := orgPair(b)
				rc = fill(b, rc, "own", n, n)
				if _, err := f.Seek(0, io.SeekStart); err != nil {
					b.Fatal(err)
				}
				start = time.Now()
				if _, err := rc.Import(ctx, f, &ImportOptions{TempDir: dir}); err != nil {
					b.Fatal(err)
				}
				ontoSecs += time.Since(start).Seconds()
				if found, err := rc.Lookup(last.Signals[0]); err != nil || len(found) != 1 {
					b.Fatal(found, err)
				}
				ontoSearchSecs += time.Since(start).Seconds()
				f.Close()
				rc.Close()
			}
			b.ReportMetric(float64(b.N*n)/exportSecs, "export-entries/s")
			b.ReportMetric(float64(b.N*n)/importSecs, "import-entries/s")
			b.ReportMetric(float64(b.N*n)/searchSecs, "import-searchable-entries/s")
			b.ReportMetric(float64(b.N*n)/ontoSecs, "import-onto-n-entries/s")
			b.ReportMetric(float64(b.N*n)/ontoSearchSecs, "import-onto-n-searchable-entries/s")
			b.ReportMetric(float64(n)/floor, "bbolt-floor-entries/s")
			b.ReportMetric(floor*float64(b.N)/importSecs, "import-speed/floor")
			b.ReportMetric(float64(exportPeak)/(1<<20), "export-peak-live-heap-MB")
			b.ReportMetric(float64(importPeak)/(1<<20), "import-peak-live-heap-MB")
			b.ReportMetric(float64(exportRSS)/(1<<20), "export-peak-RSS-MB")
			b.ReportMetric(float64(importRSS)/(1<<20), "import-peak-RSS-MB")
			b.ReportMetric(float64(exportAnon)/(1<<20), "export-peak-anon-RSS-MB")
			b.ReportMetric(float64(importAnon)/(1<<20), "import-peak-anon-RSS-MB")
			b.ReportMetric(float64(retained)/(1<<20), "import-retained-heap-MB")
			b.ReportMetric(float64(size)/float64(n), "bundle-bytes/entry")
		})
	}
}

// storeFloor returns the seconds bbolt alone takes to write what an import
// of a's items writes: each item record, its number, a change and a
// received record, copied as raw bytes (no decoding, checking or
// encoding) in transactions of the size imports commit. It is the floor
// the import's speed is measured against in the same run.
func storeFloor(b *testing.B, a *DB, dir string) float64 {
	b.Helper()
	type rec struct{ k, v []byte }
	var recs []rec
	err := a.viewTx(func(tx *bolt.Tx) error {
		return tx.Bucket(store.BucketItems).ForEach(func(k, v []byte) error {
			recs = append(recs, rec{bytes.Clone(k), bytes.Clone(v)})
			return nil
		})
	})
	if err != nil {
		b.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(dir, "floor.db"), 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType, InitialMmapSize: initialMmapSize})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	change, received := make([]byte, 40), make([]byte, 40)
	start := time.Now()
	for i := 0; i < len(recs); {
		err := db.Update(func(tx *bolt.Tx) error {
			var bs [4]*bolt.Bucket
			for j, name := range []string{"items", "numbers", "changes", "received"} {
				var err error
				if bs[j], err = tx.CreateBucketIfNotExists([]byte(name)); err != nil {
					return err
				}
			}
			for w := 0; i < len(recs) && w < store.DefaultChunk; i, w = i+1, w+4 {
				num := store.NumKey(uint64(i + 1))
				for j, kv := range [][2][]byte{{recs[i].k, recs[i].v}, {num, recs[i].k}, {num, change}, {recs[i].k, received}} {
					if err := bs[j].Put(kv[0], kv[1]); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start).Seconds()
}

// fill puts n items of db's organisation, named prefix-0…, with signals
// numbered from first, and reopens db, so that the index rebuilds the
// Puts leave running in the background do not run during measurements.
func fill(b *testing.B, db *DB, prefix string, first, n int) *DB {
	b.Helper()
	ctx := context.Background()
	org := db.Organization()
	batch := make([]Item, 0, 10_000)
	for i := range n {
		batch = append(batch, orgItem(org, fmt.Sprintf("%s-%d", prefix, i), first+i, tlp.Green))
		if len(batch) == cap(batch) || i == n-1 {
			if err := db.Put(ctx, batch...); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	path := db.Path()
	db.Close()
	o := testOptions()
	o.Organization = org
	db, err := Open(path, o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}
