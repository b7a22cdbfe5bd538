package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkCLIFile runs "hashdb add --signals" of $HASHDB_BENCH_SIGNALS
// into a fresh database in process, then "hashdb match --signals" of
// $HASHDB_BENCH_QUERIES against it, so that go test -cpuprofile shows
// where the time goes (bench.sh). It is skipped without them.
func BenchmarkCLIFile(b *testing.B) {
	signals, queries := os.Getenv("HASHDB_BENCH_SIGNALS"), os.Getenv("HASHDB_BENCH_QUERIES")
	if signals == "" {
		b.Skip("set HASHDB_BENCH_SIGNALS (and HASHDB_BENCH_QUERIES) to a --signals file")
	}
	for b.Loop() {
		db := filepath.Join(b.TempDir(), "b.db")
		var out, errs bytes.Buffer
		t0 := time.Now()
		if code := run([]string{"add", "--db", db, "--source", "acme", "--signals", signals}, nil, &out, &errs); code != 0 {
			b.Fatalf("add: %d %s", code, errs.String())
		}
		b.ReportMetric(time.Since(t0).Seconds(), "add-s")
		if queries == "" {
			continue
		}
		t0 = time.Now()
		if code := run([]string{"match", "--db", db, "--signals", queries}, nil, &out, &errs); code > 1 {
			b.Fatalf("match: %d %s", code, errs.String())
		}
		b.ReportMetric(time.Since(t0).Seconds(), "match-s")
	}
}
