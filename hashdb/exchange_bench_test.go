package hashdb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// heapPeak samples the heap in use until stop is called, returning the
// peak above what was in use at the start.
func heapPeak() (stop func() uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > base && ms.HeapInuse-base > peak.Load() {
				peak.Store(ms.HeapInuse - base)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); <-finished; return peak.Load() }
}

// BenchmarkExchange exports a FULL bundle of n items to a file and imports
// it into an empty database, reporting entries/s each way and the peak
// heap growth of each. Compare n=100000 with n=1000000 to see how memory
// scales. The 1M case is skipped with -short.
func BenchmarkExchange(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			if n > 100_000 && testing.Short() {
				b.Skip("1M items: skipped with -short")
			}
			ctx := context.Background()
			a, _ := orgPair(b)
			batch := make([]Item, 0, 10_000)
			for i := range n {
				batch = append(batch, orgItem("org-a", fmt.Sprintf("item-%d", i), i, TLPGreen))
				if len(batch) == cap(batch) || i == n-1 {
					if err := a.Put(ctx, batch...); err != nil {
						b.Fatal(err)
					}
					batch = batch[:0]
				}
			}
			// Reopen, so that the index rebuilds the Puts started in the
			// background do not run during the measurements.
			path := a.Path()
			a.Close()
			oa := testOptions()
			oa.Organization = "org-a"
			a, err := Open(path, oa)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { a.Close() })
			dir := b.TempDir()
			var exportSecs, importSecs float64
			var exportPeak, importPeak uint64
			var size int64
			for b.Loop() {
				path := filepath.Join(dir, "bundle")
				f, err := os.Create(path)
				if err != nil {
					b.Fatal(err)
				}
				stop := heapPeak()
				start := time.Now()
				if _, err := a.Export(ctx, f, ExportOptions{Audience: "org-b", Full: true, KeyID: "k1", Key: keyA1}); err != nil {
					b.Fatal(err)
				}
				exportSecs += time.Since(start).Seconds()
				exportPeak = max(exportPeak, stop())
				fi, _ := f.Stat()
				size = fi.Size()
				f.Close()

				_, rb := orgPair(b)
				f, err = os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				stop = heapPeak()
				start = time.Now()
				res, err := rb.Import(ctx, f, &ImportOptions{TempDir: dir})
				if err != nil || res.Entries != uint64(n) {
					b.Fatal(res, err)
				}
				importSecs += time.Since(start).Seconds()
				importPeak = max(importPeak, stop())
				f.Close()
				rb.Close()
			}
			b.ReportMetric(float64(b.N*n)/exportSecs, "export-entries/s")
			b.ReportMetric(float64(b.N*n)/importSecs, "import-entries/s")
			b.ReportMetric(float64(exportPeak)/(1<<20), "export-peak-heap-MB")
			b.ReportMetric(float64(importPeak)/(1<<20), "import-peak-heap-MB")
			b.ReportMetric(float64(size)/float64(n), "bundle-bytes/entry")
		})
	}
}
