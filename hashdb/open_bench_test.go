package hashdb

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// BenchmarkOpenScale measures what a service pays to start: opening a
// database of 1M items (PDQ + MD5 each) or 10M (PDQ each) and answering
// its first Match, in a fresh process each time, so that heap and resident
// memory are the open's alone. Each size is opened twice in the same run:
// from the packed codes, and (the baseline, x-decode) by decoding every
// item as Open did before them. Metrics: seconds to the first answer; the
// live heap after a GC; anonymous resident memory (RssAnon) when ready and
// its peak while opening, sampled every 5 ms; bbolt's file-backed mapped
// pages (RssFile) apart.
//
// Building the 10M file takes a few minutes; set HASHSHARE_BENCH_DIR to
// keep the files between runs. Skipped with -short.
//
//	go test -run '^$' -bench OpenScale -benchtime 1x ./hashdb/
func BenchmarkOpenScale(b *testing.B) {
	for _, tc := range []struct {
		name string
		n    int
		algs []signal.Algorithm
	}{
		{"1M-pdq-md5", 1_000_000, []signal.Algorithm{signal.PDQ, signal.MD5}},
		{"10M-pdq", 10_000_000, []signal.Algorithm{signal.PDQ}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			if testing.Short() {
				b.Skip("skipped with -short")
			}
			path := scaleDB(b, tc.name, tc.n, tc.algs)
			var packed, decoded openFigures
			for range b.N {
				packed = openChild(b, path, false)
				decoded = openChild(b, path, true)
			}
			b.ReportMetric(packed.Seconds, "s/open")
			b.ReportMetric(packed.Seconds/decoded.Seconds, "x-decode")
			b.ReportMetric(packed.HeapMB, "MB-heap")
			b.ReportMetric(packed.AnonMB, "MB-anon")
			b.ReportMetric(packed.PeakAnonMB, "MB-anon-peak")
			b.ReportMetric(packed.FileMB, "MB-file")
			b.ReportMetric(decoded.Seconds, "s/open-decode")
			b.ReportMetric(decoded.AnonMB, "MB-anon-decode")
			b.ReportMetric(decoded.PeakAnonMB, "MB-anon-peak-decode")
		})
	}
}

// scaleDB returns the path of a database of n items with one signal of
// each of algs, building it if HASHSHARE_BENCH_DIR does not hold it.
func scaleDB(b *testing.B, name string, n int, algs []signal.Algorithm) string {
	dir := os.Getenv("HASHSHARE_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	path := filepath.Join(dir, "open-"+name+".db")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tmp := path + ".tmp"
	os.Remove(tmp)
	db, err := Open(tmp, &Options{Organization: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	const batch = 20000
	items := make([]Item, batch)
	for from := 0; from < n; from += batch {
		items = items[:min(batch, n-from)]
		for i := range items {
			k := from + i
			sigs := make([]signal.Signal, len(algs))
			for j, a := range algs {
				sigs[j] = testSignal(a, k)
			}
			items[i] = Item{Key: Key{Source: "gifct", ID: fmt.Sprintf("item-%09d", k)}, Signals: sigs, TLP: tlp.Amber}
		}
		if err := db.Put(context.Background(), items...); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// openFigures are what TestOpenChild reports.
type openFigures struct {
	Seconds                    float64
	HeapMB, AnonMB, PeakAnonMB float64
	FileMB                     float64
}

// openChild runs TestOpenChild in a new process of this test binary.
func openChild(b *testing.B, path string, decode bool) openFigures {
	cmd := exec.Command(os.Args[0], "-test.run=^TestOpenChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "HASHSHARE_OPEN_CHILD="+path, "HASHSHARE_OPEN_DECODE="+strconv.FormatBool(decode))
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("%v: %s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "OPEN "); ok {
			var f openFigures
			if err := json.Unmarshal([]byte(rest), &f); err != nil {
				b.Fatal(err)
			}
			return f
		}
	}
	b.Fatalf("no figures in %s", out)
	return openFigures{}
}

// TestOpenChild is BenchmarkOpenScale's child process; it does nothing
// unless HASHSHARE_OPEN_CHILD names a database.
func TestOpenChild(t *testing.T) {
	path := os.Getenv("HASHSHARE_OPEN_CHILD")
	if path == "" {
		t.Skip("run by BenchmarkOpenScale")
	}
	testDecodeAtOpen = os.Getenv("HASHSHARE_OPEN_DECODE") == "true"
	var peak float64
	var mu sync.Mutex
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			anon, _ := rssMB()
			mu.Lock()
			peak = max(peak, anon)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	db, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Match(context.Background(), []signal.Signal{testSignal(signal.PDQ, 12345)}, nil); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	close(stop)
	<-sampled
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	anon, file := rssMB()
	f := openFigures{Seconds: took.Seconds(), HeapMB: float64(ms.HeapAlloc) / 1e6, AnonMB: anon, PeakAnonMB: max(peak, anon), FileMB: file}
	out, _ := json.Marshal(f)
	fmt.Printf("OPEN %s\n", out)
	runtime.KeepAlive(db)
	db.Close()
}

// rssMB returns the process's RssAnon and RssFile in MB (0 off Linux).
func rssMB() (anon, file float64) {
	return float64(procStatus("RssAnon")) / 1e6, float64(procStatus("RssFile")) / 1e6
}
