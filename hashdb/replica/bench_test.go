package replica_test

import (
	"testing"

	"gocloud.dev/blob/memblob"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/replica"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// BenchmarkPublishSync measures one publish of a delta of n new items
// over a 10,000-item set and a replica's sync of it, reporting the
// delta's bytes per item and the FULL bundle's for comparison.
func BenchmarkPublishSync(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(map[int]string{1: "delta=1", 100: "delta=100"}[n], func(b *testing.B) {
			w := newWorld(b, memblob.OpenBucket(nil), replica.PublisherOptions{FullEvery: 1 << 20})
			base := make([]hashdb.Item, 10000)
			for i := range base {
				base[i] = item(i, tlp.Green)
			}
			if err := w.primary.Put(w.ctx, base...); err != nil {
				b.Fatal(err)
			}
			first, err := w.pub.Publish(w.ctx)
			if err != nil {
				b.Fatal(err)
			}
			_, f := w.replica("replica")
			if _, err := f.Sync(w.ctx); err != nil {
				b.Fatal(err)
			}
			var bytes int64
			next := len(base)
			b.ResetTimer()
			for range b.N {
				items := make([]hashdb.Item, n)
				for j := range items {
					items[j] = item(next, tlp.Green)
					next++
				}
				if err := w.primary.Put(w.ctx, items...); err != nil {
					b.Fatal(err)
				}
				res, err := w.pub.Publish(w.ctx)
				if err != nil {
					b.Fatal(err)
				}
				bytes += res.Delta.Size
				if st, err := f.Sync(w.ctx); err != nil || !st.Current {
					b.Fatal(st, err)
				}
			}
			b.ReportMetric(float64(bytes)/float64(b.N*n), "delta-B/item")
			b.ReportMetric(float64(bytes)/float64(b.N), "delta-B")
			b.ReportMetric(float64(first.Full.Size)/float64(len(base)), "full-B/item")
		})
	}
}
