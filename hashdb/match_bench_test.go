package hashdb

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/hashshare/hashshare/hashdb/signal"
)

// BenchmarkMatch matches one PDQ, one pHash and one MD5 query, each a few
// bits from a stored signal (the digest exact), against a database of n
// items of three signals each: the cost of DB.Match around the index
// search (snapshot, resolving ids to items, suppression).
func BenchmarkMatch(b *testing.B) {
	for _, n := range []int{100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "h.db")
			putAll(b, path, n)
			db, err := Open(path, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			ctx := context.Background()
			var queries [][]signal.Signal
			for i := range 64 {
				k := i * (n / 64)
				queries = append(queries, []signal.Signal{flip(testSignal(signal.PDQ, k), 12, uint64(i)), flip(testSignal(signal.PHash, k), 4, uint64(i)), testSignal(signal.MD5, k)})
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				res, err := db.Match(ctx, queries[i%len(queries)], nil)
				if err != nil || len(res[0].Matches) == 0 {
					b.Fatalf("Match = %v, %v", res, err)
				}
			}
		})
	}
}
