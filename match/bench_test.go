package match

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Benchmarks. Datasets are generated deterministically and lazily inside
// the benchmark that needs them, so plain go test never builds them, and are
// cached for the sub-benchmarks that share them. Run, for example:
//
//	go test -run '^$' -bench 'Radius/bits=256/n=1M' -benchtime 2000x ./match/
//	GOAMD64=v3 go test -run '^$' -bench 'Radius/bits=256/n=1M' -benchtime 2000x ./match/
//
// The 10M sets take about 3 GB of memory and a minute to set up.
//
// Measured on a shared, loaded 2-core AMD EPYC with the compact tables
// (bit-packed slots, rank or cache-line offsets). The load varied by 1.5×
// from one sub-benchmark to the next, so speed is compared as ratios to
// Linear in the same run, and against the direct-addressed tables these
// replaced (e03fa34) searched query by query, interleaved, over the same
// codes (an outside harness, several runs):
//
//	256-bit r=31, 1M:   MIH 11,900 q/s (46× Linear), p50 76 µs (50×); before 49×, 46×
//	256-bit r=31, 10M:  MIH  3,340 q/s (87× Linear), p50 276 µs (84×); before 126×, 124×
//	interleaved, 1M:    q/s 0.93–1.07 of before, p50 0.99–1.08 of before
//	interleaved, 10M:   q/s 1.04–1.23 of before, p50 0.94–1.00 of before
//
// BenchmarkBytesPerCode (memory held, all told, per code; peak heap growth
// during Build over that):
//
//	256-bit: 100k 90 B (m = 14), 1M 94 B, 10M 87 B (m = 11); peak 1.2–1.4×
//	         (before: 324 B at 1M, 109 B at 10M; peak 2.1–2.4× at 10M)
//	64-bit:  100k 37 B, 1M 54 B, 10M 50 B (m = 3); peak 1.3–1.35×
//	Build 10M 256-bit: 2.1–2.3 s of CPU on 2 goroutines, 1.8–2.9 s wall
//	         (before 3.2–4.3 s of CPU, 4.4–6.9 s wall); in a fresh process
//	         faulting in huge pages can add seconds of system time, before
//	         and after alike

const benchQueries = 4096

// benchSet is a stored set with its queries and the indexes over it.
type benchSet struct {
	bits    int
	ids     []uint64
	codes   []uint64
	queries [][]uint64
	once    sync.Once
	mih     *MIH
	lin     *Linear
	build   time.Duration
	heap    uint64 // heap growth from building the MIH
}

var (
	benchMu   sync.Mutex
	benchSets = map[string]*benchSet{}
)

// uniformSet returns n uniform codes; half of the queries are uniform, half
// lie 0…maxd bits from a stored code.
func uniformSet(bits, n, maxd int) *benchSet {
	key := fmt.Sprint("uniform", bits, n, maxd)
	benchMu.Lock()
	defer benchMu.Unlock()
	if s, ok := benchSets[key]; ok {
		return s
	}
	g := newGen(uint64(bits)<<32|uint64(n), bits)
	s := &benchSet{bits: bits, ids: make([]uint64, n), codes: make([]uint64, 0, n*g.w)}
	for i := range n {
		s.ids[i] = uint64(i)
		for range g.w {
			s.codes = append(s.codes, g.r.Uint64())
		}
	}
	s.queries = plantQueries(g, s.codes, maxd)
	benchSets[key] = s
	return s
}

// clusteredSet returns 100k originals with 10 variants each 0…20 bits away,
// plus 1M uniform codes; queries are half uniform, half near an original.
func clusteredSet(bits int) *benchSet {
	key := fmt.Sprint("clustered", bits)
	benchMu.Lock()
	defer benchMu.Unlock()
	if s, ok := benchSets[key]; ok {
		return s
	}
	g := newGen(99, bits)
	s := &benchSet{bits: bits}
	for o := range 100_000 {
		c := g.code()
		for v := range 10 {
			s.ids = append(s.ids, uint64(o*10+v))
			s.codes = append(s.codes, g.near(c, g.r.IntN(21))...)
		}
	}
	for i := range 1_000_000 {
		s.ids = append(s.ids, uint64(2_000_000+i))
		s.codes = append(s.codes, g.code()...)
	}
	s.queries = plantQueries(g, s.codes[:1_000_000*g.w], 20)
	benchSets[key] = s
	return s
}

func plantQueries(g *gen, codes []uint64, maxd int) [][]uint64 {
	n := len(codes) / g.w
	qs := make([][]uint64, benchQueries)
	for i := range qs {
		if i%2 == 0 {
			qs[i] = g.code()
			continue
		}
		j := g.r.IntN(n)
		qs[i] = g.near(codes[j*g.w:(j+1)*g.w], g.r.IntN(maxd+1))
	}
	return qs
}

// index returns the set's MIH or Linear, building both on first use.
func (s *benchSet) index(b *testing.B, kind string) Index {
	s.once.Do(func() {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		before := ms.HeapAlloc
		start := time.Now()
		s.mih, _ = NewMIH(s.bits, benchOptions())
		if err := s.mih.Build(context.Background(), s.ids, s.codes); err != nil {
			b.Fatal(err)
		}
		s.build = time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&ms)
		s.heap = ms.HeapAlloc - before
		s.lin, _ = NewLinear(s.bits)
		if err := s.lin.Build(context.Background(), s.ids, s.codes); err != nil {
			b.Fatal(err)
		}
	})
	if kind == "MIH" {
		return s.mih
	}
	return s.lin
}

// runQueries searches the set's queries in turn, one per iteration, and
// reports q/s, the median latency and (for MIH) candidates per query.
func runQueries(b *testing.B, s *benchSet, kind string, radius int) {
	x := s.index(b, kind)
	lat := make([]time.Duration, 0, b.N)
	var c0 int64
	if m, ok := x.(*MIH); ok {
		c0 = m.cands.Load()
	}
	found := 0
	b.ResetTimer()
	for i := range b.N {
		t := time.Now()
		r, err := x.Search(s.queries[i%len(s.queries)], radius)
		lat = append(lat, time.Since(t))
		if err != nil {
			b.Fatal(err)
		}
		found += len(r)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "q/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(found)/float64(b.N), "hits/q")
	if m, ok := x.(*MIH); ok {
		b.ReportMetric(float64(m.cands.Load()-c0)/float64(b.N), "cands/q")
		b.ReportMetric(float64(m.Size())/float64(len(s.ids)), "B/code")
		b.ReportMetric(float64(m.Substrings()), "m")
	}
}

func BenchmarkRadius(b *testing.B) {
	cases := []struct {
		name       string
		bits, n, r int
		maxd       int
		large      bool
	}{
		{"bits=256/n=1M", 256, 1 << 20, 31, 30, false},
		{"bits=256/n=10M", 256, 10_000_000, 31, 30, true},
		{"bits=64/n=1M", 64, 1 << 20, 10, 10, false},
		{"bits=64/n=10M", 64, 10_000_000, 10, 10, true},
	}
	for _, c := range cases {
		for _, kind := range []string{"MIH", "Linear"} {
			b.Run(c.name+"/index="+kind, func(b *testing.B) {
				if c.large && testing.Short() {
					b.Skip("10M set skipped in -short mode")
				}
				runQueries(b, uniformSet(c.bits, c.n, c.maxd), kind, c.r)
			})
		}
	}
}

// BenchmarkHugePages compares, in one run, searches on tables built with
// and without transparent huge-page advice.
func BenchmarkHugePages(b *testing.B) {
	if testing.Short() {
		b.Skip("10M set skipped in -short mode")
	}
	base := uniformSet(256, 10_000_000, 30)
	sets := map[bool]*benchSet{}
	for _, huge := range []bool{false, true} {
		adviseHuge = huge
		s := &benchSet{bits: 256, ids: base.ids, codes: base.codes, queries: base.queries}
		s.index(b, "MIH")
		s.lin = nil
		sets[huge] = s
	}
	adviseHuge = true
	for i := range 4 {
		huge := i%2 == 1
		b.Run(fmt.Sprintf("bits=256/n=10M/huge=%v", huge), func(b *testing.B) {
			runQueries(b, sets[huge], "MIH", 31)
		})
	}
}

func BenchmarkClustered(b *testing.B) {
	for _, kind := range []string{"MIH", "Linear"} {
		b.Run("bits=256/index="+kind, func(b *testing.B) {
			runQueries(b, clusteredSet(256), kind, 31)
		})
	}
}

func BenchmarkNearest(b *testing.B) {
	s := uniformSet(256, 1<<20, 30)
	for _, c := range []struct {
		k    int
		kind string
	}{{1, "MIH"}, {1, "Linear"}, {10, "MIH"}, {10, "Linear"}} {
		k, kind := c.k, c.kind
		b.Run(fmt.Sprintf("bits=256/n=1M/k=%d/index=%s", k, kind), func(b *testing.B) {
			x := s.index(b, kind)
			b.ResetTimer()
			for i := range b.N {
				if _, err := x.Nearest(s.queries[2*(i%(len(s.queries)/2))+1], k); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "q/s")
		})
	}
}

// BenchmarkBuild times Build of a fresh MIH and reports the heap it keeps.
func BenchmarkBuild(b *testing.B) {
	for _, c := range []struct {
		bits, n int
		name    string
	}{{256, 1 << 20, "1M"}, {256, 10_000_000, "10M"}, {64, 10_000_000, "10M"}} {
		b.Run(fmt.Sprintf("bits=%d/n=%s", c.bits, c.name), func(b *testing.B) {
			if os.Getenv("MATCH_NOHUGE") != "" {
				adviseHuge = false
				defer func() { adviseHuge = true }()
			}
			if c.n > 1<<20 && testing.Short() {
				b.Skip("10M set skipped in -short mode")
			}
			s := uniformSet(c.bits, c.n, 0)
			var ms runtime.MemStats
			var heap uint64
			var x *MIH
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				x = nil
				runtime.GC()
				runtime.ReadMemStats(&ms)
				before := ms.HeapAlloc
				b.StartTimer()
				x, _ = NewMIH(c.bits, benchOptions())
				if err := x.Build(context.Background(), s.ids, s.codes); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&ms)
				heap = ms.HeapAlloc - before
				b.StartTimer()
			}
			b.ReportMetric(float64(heap)/float64(c.n), "heapB/code")
			b.ReportMetric(float64(x.Size())/float64(c.n), "B/code")
			b.ReportMetric(float64(heap)/(1<<20), "heapMiB")
		})
	}
}

// BenchmarkBytesPerCode builds a fresh MIH over uniform codes and reports
// what it holds per code (Size), the build time, the heap it keeps and the
// peak heap growth while building, sampled every millisecond, relative to
// Size. The 10M sets are skipped under -short.
func BenchmarkBytesPerCode(b *testing.B) {
	for _, bits := range []int{64, 256} {
		for _, c := range []struct {
			n    int
			name string
		}{{100_000, "100k"}, {1 << 20, "1M"}, {10_000_000, "10M"}} {
			b.Run(fmt.Sprintf("bits=%d/n=%s", bits, c.name), func(b *testing.B) {
				if c.n > 1<<20 && testing.Short() {
					b.Skip("10M set skipped in -short mode")
				}
				s := uniformSet(bits, c.n, 0)
				var x *MIH
				var build time.Duration
				var kept, peak uint64
				b.ResetTimer()
				for range b.N {
					b.StopTimer()
					x = nil
					runtime.GC()
					before := heapObjects()
					stop, peakc := samplePeak()
					b.StartTimer()
					start := time.Now()
					x, _ = NewMIH(bits, benchOptions())
					if err := x.Build(context.Background(), s.ids, s.codes); err != nil {
						b.Fatal(err)
					}
					build = time.Since(start)
					b.StopTimer()
					close(stop)
					peak = <-peakc - before
					runtime.GC()
					kept = heapObjects() - before
					b.StartTimer()
				}
				size := float64(x.Size())
				b.ReportMetric(size/float64(c.n), "B/code")
				b.ReportMetric(float64(x.Substrings()), "m")
				b.ReportMetric(float64(build.Milliseconds()), "build-ms")
				b.ReportMetric(float64(kept)/float64(c.n), "heapB/code")
				b.ReportMetric(float64(peak)/size, "peak/size")
			})
		}
	}
}

// heapObjects returns the bytes of live and not yet swept heap objects.
func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// samplePeak samples heapObjects until stop is closed, then sends the
// largest value seen.
func samplePeak() (stop chan struct{}, peak chan uint64) {
	stop, peak = make(chan struct{}), make(chan uint64, 1)
	go func() {
		hi := heapObjects()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				peak <- max(hi, heapObjects())
				return
			case <-t.C:
				hi = max(hi, heapObjects())
			}
		}
	}()
	return stop, peak
}

// benchOptions lets MATCH_M set the substring count for experiments.
func benchOptions() *Options {
	m, _ := strconv.Atoi(os.Getenv("MATCH_M"))
	return &Options{Substrings: m}
}

// BenchmarkUpdate applies 1M new 256-bit codes to an index of 1M, with one
// Update or with an Add per code (or, for scale, Builds the 2M codes from
// scratch), and reports how long the call took
// (call-ms), the median latency of searches made right after it returns
// (p50-after-µs: the pending buffer is scanned by each), and the time
// until the index is quick again, no rebuild running and no more than
// Options.Pending codes pending (fast-ms). Options are hashdb's. Run:
//
//	go test -run '^$' -bench Update -benchtime 3x ./match/
func BenchmarkUpdate(b *testing.B) {
	base := uniformSet(256, 1<<20, 30)
	add := uniformSet(256, 1<<20+1, 0) // other codes (another seed); ids shifted below
	ids := make([]uint64, len(add.ids))
	for i := range ids {
		ids[i] = uint64(len(base.ids) + i)
	}
	allIDs := slices.Concat(base.ids, ids)
	allCodes := slices.Concat(base.codes, add.codes)
	opts := &Options{Pending: 1 << 15}
	for _, method := range []string{"Update", "Add", "Build"} {
		b.Run("n=1M/batch=1M/method="+method, func(b *testing.B) {
			b.ReportAllocs()
			var call, fast, p50 time.Duration
			for range b.N {
				b.StopTimer()
				x, _ := NewMIH(256, opts)
				if err := x.Build(context.Background(), base.ids, base.codes); err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				b.StartTimer()
				start := time.Now()
				switch method {
				case "Update":
					if err := x.Update(context.Background(), nil, ids, add.codes); err != nil {
						b.Fatal(err)
					}
				case "Build":
					if err := x.Build(context.Background(), allIDs, allCodes); err != nil {
						b.Fatal(err)
					}
				default:
					for i, id := range ids {
						if err := x.Add(id, add.codes[i*4:i*4+4]); err != nil {
							b.Fatal(err)
						}
					}
				}
				call += time.Since(start)
				lat := make([]time.Duration, 64)
				for i := range lat {
					t := time.Now()
					if _, err := x.Search(base.queries[i], 31); err != nil {
						b.Fatal(err)
					}
					lat[i] = time.Since(t)
				}
				slices.Sort(lat)
				p50 += lat[len(lat)/2]
				x.wait()
				fast += time.Since(start)
				b.StopTimer()
				x.mu.RLock()
				pending, stored := len(x.pids), len(x.ids)-x.ndead+len(x.pids)
				x.mu.RUnlock()
				if pending > opts.Pending || stored != len(base.ids)+len(ids) {
					b.Fatalf("%d pending, %d stored", pending, stored)
				}
				b.StartTimer()
			}
			n := float64(b.N)
			b.ReportMetric(float64(call.Milliseconds())/n, "call-ms")
			b.ReportMetric(float64(p50.Microseconds())/n, "p50-after-µs")
			b.ReportMetric(float64(fast.Milliseconds())/n, "fast-ms")
		})
	}
}
