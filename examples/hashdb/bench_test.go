package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/hashshare/hashshare/hashdb"
)

// BenchmarkCLIFile splits the time of "hashdb add --signals" of the file
// $HASHDB_BENCH_SIGNALS and of "hashdb match --signals" of the file
// $HASHDB_BENCH_QUERIES against the result, in process, so that
// -cpuprofile shows where it goes (bench.sh runs it with PROFILE=1):
//
//	cli-s    the CLI's part of add: both passes over the file, the items
//	         built and batched, but nothing stored
//	cli-sys-MB  the memory the Go runtime holds from the system after it
//	         (it never gives back much: about the peak)
//	add-sys-MB  the same after the add
//	add-s    the whole add into a new database (cli-s plus Open, Put, Close)
//	open-s   opening the database read-only, as match does, and closing it
//	match-s  the whole match (open-s plus reading and matching the queries)
//
// and, as *-cpu-s, the CPU time (user and system, all goroutines) of
// each, which a busy machine moves less than the wall time.
//
// It is skipped without $HASHDB_BENCH_SIGNALS.
func BenchmarkCLIFile(b *testing.B) {
	signals, queries := os.Getenv("HASHDB_BENCH_SIGNALS"), os.Getenv("HASHDB_BENCH_QUERIES")
	if signals == "" {
		b.Skip("set HASHDB_BENCH_SIGNALS (and HASHDB_BENCH_QUERIES) to a --signals file")
	}
	e := &env{ctx: b.Context(), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, name: "bench"}
	for b.Loop() {
		t0, c0 := time.Now(), cpuTime()
		src, err := openSignals(e, signals)
		if err != nil {
			b.Fatal(err)
		}
		plan, err := planGroups(src.first(), signals)
		if err == nil {
			err = src.rewind()
		}
		if err != nil {
			b.Fatal(err)
		}
		const signalsBatch = 8192 // items held at once, as a store would
		batch := make([]hashdb.Item, 0, signalsBatch)
		err = plan.groups(src.second(), signals, func(g *group) error {
			if batch = append(batch, itemOf(hashdb.Item{}, g)); len(batch) == signalsBatch {
				clear(batch)
				batch = batch[:0]
			}
			return nil
		})
		src.close()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(t0).Seconds(), "cli-s")
		b.ReportMetric((cpuTime() - c0).Seconds(), "cli-cpu-s")
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.Sys)/(1<<20), "cli-sys-MB")

		db := filepath.Join(b.TempDir(), "b.db")
		var out, errs bytes.Buffer
		t0, c0 = time.Now(), cpuTime()
		if code := run([]string{"add", "--db", db, "--source", "acme", "--signals", signals}, nil, &out, &errs); code != 0 {
			b.Fatalf("add: %d %s", code, errs.String())
		}
		b.ReportMetric(time.Since(t0).Seconds(), "add-s")
		b.ReportMetric((cpuTime() - c0).Seconds(), "add-cpu-s")
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.Sys)/(1<<20), "add-sys-MB")

		t0, c0 = time.Now(), cpuTime()
		d, err := openDB(db, "", true)
		if err != nil {
			b.Fatal(err)
		}
		d.Close()
		b.ReportMetric(time.Since(t0).Seconds(), "open-s")
		b.ReportMetric((cpuTime() - c0).Seconds(), "open-cpu-s")
		if queries == "" {
			continue
		}
		t0, c0 = time.Now(), cpuTime()
		if code := run([]string{"match", "--db", db, "--signals", queries}, nil, &out, &errs); code > 1 {
			b.Fatalf("match: %d %s", code, errs.String())
		}
		b.ReportMetric(time.Since(t0).Seconds(), "match-s")
		b.ReportMetric((cpuTime() - c0).Seconds(), "match-cpu-s")
	}
}
