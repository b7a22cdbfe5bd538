package hashdb

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentReadsDuringWrites runs readers of every kind while one
// goroutine writes, under -race. Every item a reader sees must be whole:
// an item's signals all find it.
func TestConcurrentReadsDuringWrites(t *testing.T) {
	db := openTest(t, nil)
	ctx := context.Background()
	const batches, per = 20, 50
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		for b := range batches {
			var items []Item
			for i := range per {
				n := b*per + i
				items = append(items, testItem(fmt.Sprint(n), n))
			}
			if err := db.Put(ctx, items...); err != nil {
				t.Error(err)
				return
			}
			if err := db.Retract(ctx, items[0].Key, "test"); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				switch r {
				case 0:
					for it, err := range db.Items(ctx, Filter{}) {
						if err != nil {
							t.Error(err)
							return
						}
						for _, s := range it.Signals {
							found, err := db.Lookup(s)
							if err != nil || len(found) == 0 {
								// The item may have been retracted since.
								if got, _ := db.Get(it.Key); !got.Retracted {
									t.Errorf("Lookup(%s) of live item %s = %v, %v", s, it.Key, found, err)
								}
							}
						}
					}
				case 1:
					var last uint64
					for c, err := range db.Changes(ctx, 0) {
						if err != nil || c.Seq != last+1 {
							t.Errorf("change %d after %d, %v", c.Seq, last, err)
							return
						}
						last = c.Seq
					}
				case 2:
					if _, err := db.Stats(); err != nil {
						t.Error(err)
					}
				case 3:
					if probs, err := db.Check(ctx); err != nil || len(probs) > 0 {
						t.Errorf("Check during writes: %v, %v", probs, err)
					}
				}
			}
		}()
	}
	wg.Wait()
	st, _ := db.Stats()
	if st.Items != batches*(per-1) || st.Retracted != batches {
		t.Errorf("Stats = %d live, %d retracted", st.Items, st.Retracted)
	}
}
