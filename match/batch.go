package match

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// SearchBatch answers idx.Search(queries[i], radius) for every query, on up
// to GOMAXPROCS goroutines, and returns the results in query order. It stops
// at the first error, or when ctx is cancelled, and returns that error.
func SearchBatch(ctx context.Context, idx Index, queries [][]uint64, radius int) ([][]Result, error) {
	return batch(ctx, queries, func(q []uint64) ([]Result, error) { return idx.Search(q, radius) })
}

// NearestBatch answers idx.Nearest(queries[i], k) for every query, like
// [SearchBatch].
func NearestBatch(ctx context.Context, idx Index, queries [][]uint64, k int) ([][]Result, error) {
	return batch(ctx, queries, func(q []uint64) ([]Result, error) { return idx.Nearest(q, k) })
}

// batch runs f over queries on a pool of goroutines that take the next
// query from a shared counter.
func batch(ctx context.Context, queries [][]uint64, f func([]uint64) ([]Result, error)) ([][]Result, error) {
	out := make([][]Result, len(queries))
	var (
		next  atomic.Int64
		once  sync.Once
		first error
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	fail := func(err error) {
		once.Do(func() { first = err })
		stop.Store(true)
	}
	for range min(runtime.GOMAXPROCS(0), len(queries)) {
		wg.Go(func() {
			for !stop.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(queries) {
					return
				}
				if err := ctx.Err(); err != nil {
					fail(err)
					return
				}
				r, err := f(queries[i])
				if err != nil {
					fail(fmt.Errorf("query %d: %w", i, err))
					return
				}
				out[i] = r
			}
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return out, nil
}
