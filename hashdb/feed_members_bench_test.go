package hashdb

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkApplyFeedPage applies pages of 1,000 new items, as a fetch
// does, and reports the time of a feed's page (its state and the
// membership kept with it) and of a full fetch's page (the seen keys
// too) relative to the same page applied without a feed (x-no-feed);
// and the end of a full fetch over 10,000 members, one page's worth
// unseen, relative to a page (x-page).
func BenchmarkApplyFeedPage(b *testing.B) {
	const size = 1000
	ctx := context.Background()
	pageOf := func(prefix string, n int) []Item {
		items := make([]Item, size)
		for i := range items {
			items[i] = feedItem(fmt.Sprintf("%s-%d-%d", prefix, n, i), n*size+i+1)
		}
		return items
	}
	b.Run("page", func(b *testing.B) {
		// Three databases take the same pages in turn, so that the
		// machine's noise falls on each alike.
		feeds := []*FeedState{nil, {API: "bench", Source: "feed"}, {API: "bench", Source: "feed", Full: true}}
		dbs := []*DB{openTest(b, nil), openTest(b, nil), openTest(b, nil)}
		took := make([]time.Duration, len(dbs))
		for n := range b.N {
			for j, db := range dbs {
				bt := &Batch{Origin: "bench", Items: pageOf("p", n)}
				if feeds[j] != nil {
					st := *feeds[j]
					bt.Feed = &st
				}
				t0 := time.Now()
				if _, err := db.Apply(ctx, bt); err != nil {
					b.Fatal(err)
				}
				took[j] += time.Since(t0)
			}
		}
		b.ReportMetric(float64(took[0].Microseconds())/float64(b.N), "no-feed-µs/page")
		b.ReportMetric(took[1].Seconds()/took[0].Seconds(), "feed-x-no-feed")
		b.ReportMetric(took[2].Seconds()/took[0].Seconds(), "full-x-no-feed")
	})
	b.Run("end-of-full-fetch", func(b *testing.B) {
		var end, page time.Duration
		for range b.N {
			db := openTest(b, nil)
			st := func(full bool) *FeedState { return &FeedState{API: "bench", Source: "feed", Full: full} }
			for n := range 10 {
				if _, err := db.Apply(ctx, &Batch{Origin: "bench", Items: pageOf("m", n), Feed: st(false)}); err != nil {
					b.Fatal(err)
				}
			}
			// A full fetch lists the first nine pages again.
			for n := range 9 {
				t0 := time.Now()
				if _, err := db.Apply(ctx, &Batch{Origin: "bench", Items: pageOf("m", n), Feed: st(true)}); err != nil {
					b.Fatal(err)
				}
				page += time.Since(t0)
			}
			t0 := time.Now()
			a, err := db.Apply(ctx, &Batch{Feed: st(false), RetractUnseen: true, UnseenReason: "bench"})
			end += time.Since(t0)
			if err != nil || a.Unseen != size {
				b.Fatalf("end of the full fetch: %+v, %v", a, err)
			}
		}
		b.ReportMetric(end.Seconds()/(page.Seconds()/9), "x-page")
	})
}
