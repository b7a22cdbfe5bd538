package match

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Options tunes an [MIH] index. The zero value (or a nil *Options) chooses
// everything from the number of codes.
type Options struct {
	// Substrings is the number m of substrings each code is split into,
	// between ⌈bits/24⌉ and bits/4. Zero picks m afresh at every rebuild
	// from the number of codes then stored: the m whose modelled search
	// time at Radius is least among those whose tables fit a memory budget
	// (about 96 bytes per 256-bit code and 54 per 64-bit one, all told), so
	// that substrings are about log₂N bits wide and the memory per code
	// stays about the same at every size: 11 for 256-bit codes from about
	// 1M codes up, 14 at 100k, 3 for 64-bit codes from about 50k.
	Substrings int
	// Radius is the search radius to tune m for; zero means 31 for 256-bit
	// codes and 10 for 64-bit ones. Searches at any radius stay exact.
	Radius int
	// Pending is how many codes added since the last rebuild are held in a
	// buffer that every search scans linearly before a background rebuild
	// merges them into the tables. Zero means max(1024, N/4096).
	Pending int
}

// MIH is an exact multi-index hashing index (Norouzi, Punjani & Fleet,
// "Fast search in Hamming space with multi-index hashing", CVPR 2012).
//
// Each code is cut into m disjoint substrings, each indexed by its own
// table. If a code lies within radius r = m·q + a (0 ≤ a < m) of the query,
// then by pigeonhole one of the first a+1 substrings differs in at most q
// bits, or one of the others in at most q-1. A search probes every bucket
// within those sub-radii and verifies each candidate with the full distance,
// so it finds exactly what a linear scan would.
//
// Codes are stored once, in id order; each table keeps only slot numbers
// grouped by substring value (64-bit codes are also copied into each table,
// where the memory budget allows, so candidates are read contiguously).
// Adds go to a pending buffer that searches scan linearly and removals set
// a tombstone, so both are visible to the next search. When the buffer outgrows Options.Pending, or a
// quarter of the codes are tombstones, a background goroutine rebuilds the
// tables from a snapshot while searches and changes go on; changes made in
// the meantime are replayed on the new tables before they replace the old.
// Load millions of codes with [MIH.Build], and apply large batches of
// changes with [MIH.Update], not Add.
//
// Tables are compact: slot numbers are bit-packed to ⌈log₂N⌉ bits, and
// bucket offsets take about a byte per bucket or less (see table.go), so
// memory follows N rather than the 2^width buckets. Measured (Size, see
// BenchmarkBytesPerCode), in bytes per code all told, of which the id and
// the code are 40 or 16: 256-bit codes 90 at 100k (m = 14), 94 at 1M and
// 87 at 10M (m = 11); 64-bit codes 37 at 100k, 54 at 1M and 50 at 10M
// (m = 3; the codes are copied into each table from about 1M). A Build
// peaks at 1.2 to 1.4 times the index it makes, and takes about 2 s of
// CPU for 10M 256-bit codes; a background rebuild holds the old and the
// new tables at once.
type MIH struct {
	mu   sync.RWMutex
	bits int
	w    int
	opts Options

	// main part, rebuilt as a whole
	ids   []uint64 // ascending
	codes []uint64 // w words per id
	dead  []uint64 // bitset over slots: removed or replaced
	ndead int
	tabs  []table

	// pending part, scanned linearly
	pids   []uint64
	pcodes []uint64
	ppos   map[uint64]int

	// background rebuild, and Update
	rebuilding bool
	updating   bool               // an Update is building tables; no rebuild starts
	journal    []change           // changes made since the rebuild's or Update's snapshot
	gen        uint64             // bumped by Build, to discard a stale rebuild
	rebuilt    chan struct{}      // closed when the running rebuild ends
	stop       context.CancelFunc // cancels the running rebuild
	buildMu    sync.Mutex         // held by Build and Update while they build tables
	// rebuildHook, if set by a test, runs first in the rebuild goroutine;
	// updateHook runs in Update just after its snapshot.
	rebuildHook, updateHook func()

	pool sync.Pool // *scratch

	// probeCost is the constant of that name; tests set 0 to never fall
	// back to a linear scan.
	probeCost float64
	// alwaysCopy makes tables keep copies of 64-bit codes at any size, for
	// tests.
	alwaysCopy bool
	// cands counts the candidates verified by all searches, for benchmarks.
	cands atomic.Int64
}

// scratch holds per-search buffers.
type scratch struct {
	keys   []uint32 // non-empty buckets to visit
	hs     []uint32 // high parts of bucket values
	ranges []uint64 // bucket ranges, lo | hi<<32
	ends   []uint64 // scratch for ranges
	sink   uint64   // what the prefetching loops loaded, kept so that they stay
	slots  []uint32 // candidate slots
	qs     []uint32 // the query's substrings
}

// NewMIH returns an empty multi-index hashing index of codes of the given
// width (64 or 256 bits). opts may be nil.
func NewMIH(bits int, opts *Options) (*MIH, error) {
	w, err := words(bits)
	if err != nil {
		return nil, err
	}
	x := &MIH{bits: bits, w: w, ppos: make(map[uint64]int), probeCost: probeCost}
	if opts != nil {
		x.opts = *opts
	}
	if m := x.opts.Substrings; m != 0 && (m < (bits+maxWidth-1)/maxWidth || m > bits/4) {
		return nil, fmt.Errorf("%w: %d substrings of a %d-bit code", ErrOptions, m, bits)
	}
	if x.opts.Pending < 0 || x.opts.Radius < 0 {
		return nil, fmt.Errorf("%w: pending %d, radius %d", ErrOptions, x.opts.Pending, x.opts.Radius)
	}
	x.pool.New = func() any { return new(scratch) }
	return x, nil
}

// Bits returns the code width.
func (x *MIH) Bits() int { return x.bits }

// Len returns the number of ids stored.
func (x *MIH) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.ids) - x.ndead + len(x.pids)
}

// Substrings returns the number of substrings the tables use now (0 until
// Build or the first rebuild).
func (x *MIH) Substrings() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.tabs)
}

// substrings returns m for n codes (see layout).
func (x *MIH) substrings(n int) int {
	m, _ := x.layout(n)
	return m
}

// layout returns m for n codes and whether the tables of 64-bit codes keep
// copies of them: Options.Substrings if set, else the m that minimises the
// modelled cost of a search at the typical radius among those whose tables
// fit the memory budget (the leanest if none does). The copies, 8 bytes
// per code and table, are dropped when no m fits with them: that is with
// few codes, whose array then stays in cache anyway.
func (x *MIH) layout(n int) (m int, copies bool) {
	m, copies = x.budgeted(n)
	return m, copies || (x.alwaysCopy && x.bits == 64)
}

// budgeted is layout but for tests' alwaysCopy.
func (x *MIH) budgeted(n int) (m int, copies bool) {
	copies = x.bits == 64
	if x.opts.Substrings != 0 {
		return x.opts.Substrings, copies && tableBytes(x.bits, x.opts.Substrings, n, true) <= tableBudget(x.bits)
	}
	r := x.opts.Radius
	if r == 0 {
		r = defaultRadius(x.bits)
	}
	budget := tableBudget(x.bits)
	for {
		best, bestCost := 0, math.Inf(1)
		lean, leanBytes := 0, math.Inf(1)
		for m := ceilDiv(x.bits, maxWidth); m <= x.bits/4; m++ {
			b := tableBytes(x.bits, m, n, copies)
			if b < leanBytes {
				lean, leanBytes = m, b
			}
			if b > budget {
				continue
			}
			if c := searchCost(x.bits, m, n, r); c < bestCost {
				best, bestCost = m, c
			}
		}
		switch {
		case best != 0:
			return best, copies
		case !copies:
			return lean, false
		}
		copies = false
	}
}

// tableBudget is the memory, in bytes per code, that the tables may take
// when m is chosen: with the id and the code, at most about 96 bytes per
// 256-bit code and 54 per 64-bit one. A tighter budget would force more,
// narrower substrings: at 1M 256-bit codes 12 tables take 10 bytes per code
// less than 11 but searched 1.7 times slower.
func tableBudget(bits int) float64 {
	if bits == 64 {
		return 38
	}
	return 56
}

// width returns the width of substring i of m of a bits-bit code: the
// first bits%m substrings are one bit wider.
func width(bits, m, i int) int {
	if i < bits%m {
		return bits/m + 1
	}
	return bits / m
}

// tableBytes models the bytes per code of m tables over n uniform codes:
// a bit per bucket, a packed slot per code, for 64-bit codes the code copy,
// and the offsets: a line per 59 buckets (dense) or a block entry per 64
// to 256 buckets and a byte per non-empty one.
func tableBytes(bits, m, n int, copies bool) float64 {
	nn := float64(max(n, 1))
	total := 0.0
	for i := range m {
		w := uint(width(bits, m, i))
		nb := math.Exp2(float64(w))
		total += nb/8 + nn*float64(packWidth(n))/8
		if dense(w, n) {
			total += nb * lineSize / lineBuckets
		} else {
			total += 8*nb/math.Exp2(float64(blockShift(w, n))) - nb*math.Expm1(-nn/nb)
		}
		if copies {
			total += 8 * nn
		}
	}
	return total / nn
}

// defaultRadius is the radius the substring count is tuned for when
// Options.Radius is zero: hashshare's default thresholds.
func defaultRadius(bits int) int {
	if bits == 64 {
		return 10
	}
	return 31
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// Measured costs, in nanoseconds, of the parts of a search over codes far
// larger than the caches (10M 256-bit codes, see bench_test.go).
const (
	costEmpty     = 5  // probe of an empty bucket: a bit in the cached bitset
	costBucket    = 30 // probe of a non-empty bucket: offsets and slots
	costCandidate = 40 // verifying a candidate: reading its code
)

// searchCost models the time of a radius-r search of n uniform codes split
// into m substrings.
func searchCost(bits, m, n, r int) float64 {
	cost := 0.0
	for i := range m {
		w := width(bits, m, i)
		probes := 0.0
		for s := 0; s <= subRadius(r, m, i); s++ {
			probes += binomial(w, s)
		}
		perBucket := float64(n) / math.Exp2(float64(w))
		full := -math.Expm1(-perBucket) // fraction of non-empty buckets
		cost += probes * (costEmpty + full*costBucket + perBucket*costCandidate)
	}
	return cost
}

// makeTables builds the tables over n = len(ids) codes, one goroutine per
// CPU, and gives up with ctx's error when it is cancelled.
func (x *MIH) makeTables(ctx context.Context, ids, codes []uint64) ([]table, error) {
	n := len(ids)
	m, copies := x.layout(n)
	tabs := make([]table, m)
	start := uint(0)
	for i := range tabs {
		w := uint(width(x.bits, m, i))
		tabs[i].start, tabs[i].width = start, w
		start += w
	}
	allocTables(tabs, n)
	if copies {
		for i := range tabs {
			tabs[i].codes = makeHuge[uint64](n)
		}
	}
	var wg sync.WaitGroup
	next := make(chan int, m)
	for i := range m {
		next <- i
	}
	close(next)
	// Each goroutine holds about 13 bytes of scratch per code: for small
	// sets, which build in milliseconds anyway, one keeps the peak memory
	// of a Build near the index's own.
	for range min(runtime.GOMAXPROCS(0), m, max(1, n>>18)) {
		wg.Go(func() {
			var buf buildBuf
			for i := range next {
				if ctx.Err() == nil {
					tabs[i].build(codes, x.w, n, &buf)
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	joinOff8(tabs)
	return tabs, nil
}

// allocTables sets the block size of tables, whose substrings are set, for
// n codes and allocates their used bitsets, blocks and slots: one
// allocation for each kind of array of all the tables, so that huge pages
// can back them even when each table's is small. They are read at random
// by every probe, and with 4 KiB pages each read would also miss the TLB.
func allocTables(tabs []table, n int) {
	sw := packWidth(n)
	var words, blks, lineBytes, slotBytes int
	for i := range tabs {
		t := &tabs[i]
		t.shift = blockShift(t.width, n)
		words += (1<<t.width + 63) / 64
		if dense(t.width, n) {
			lineBytes += lineCount(t.width) * lineSize
		} else {
			blks += blocks(t)
		}
		slotBytes += packedBytes(n, sw)
	}
	used, blk, lines := makeHuge[uint64](words), makeHuge[uint64](blks), makeHuge[byte](lineBytes)
	slots := makeHuge[byte](slotBytes)
	for i := range tabs {
		t := &tabs[i]
		nw, ns := (1<<t.width+63)/64, packedBytes(n, sw)
		t.used, used = used[:nw:nw], used[nw:]
		if dense(t.width, n) {
			nl := lineCount(t.width) * lineSize
			t.lines, lines = lines[:nl:nl], lines[nl:]
		} else {
			nb := blocks(t)
			t.blk, blk = blk[:nb:nb], blk[nb:]
		}
		t.slots = packed{b: slots[:ns:ns], width: sw, mask: 1<<sw - 1}
		slots = slots[ns:]
	}
}

// joinOff8 moves the tables' off8 arrays into one allocation, for huge
// pages, as allocTables does for the others: their sizes are known only
// once the tables are built.
func joinOff8(tabs []table) {
	total := 0
	for i := range tabs {
		total += len(tabs[i].off8)
	}
	if total < hugeMin {
		return
	}
	all := makeHuge[byte](total)
	for i := range tabs {
		n := copy(all, tabs[i].off8)
		tabs[i].off8, all = all[:n:n], all[n:]
	}
}

// Search returns every stored code within radius of query, sorted by
// distance then id.
func (x *MIH) Search(query []uint64, radius int) ([]Result, error) {
	if err := checkCode(query, x.w); err != nil {
		return nil, err
	}
	if radius < 0 {
		return nil, fmt.Errorf("%w: %d", ErrRadius, radius)
	}
	sc := x.pool.Get().(*scratch)
	x.mu.RLock()
	out := x.search(nil, query, radius, sc)
	out = scan(out, x.pids, x.pcodes, query, radius, nil)
	x.mu.RUnlock()
	x.pool.Put(sc)
	slices.SortFunc(out, cmpResult)
	return out, nil
}

// Nearest returns the k stored codes closest to query, sorted by distance
// then id. It probes rings of growing radius until the k-th best distance
// is within the radius certain to be complete: fast when the k-th
// neighbour is near (within about the default radius), and about as slow as
// a linear scan, which it falls back to, when it is far.
func (x *MIH) Nearest(query []uint64, k int) ([]Result, error) {
	if err := checkCode(query, x.w); err != nil {
		return nil, err
	}
	if k < 0 {
		return nil, fmt.Errorf("%w: %d", ErrCount, k)
	}
	t := topK{k: k}
	if k == 0 {
		return t.sorted(), nil
	}
	sc := x.pool.Get().(*scratch)
	x.mu.RLock()
	scanTop(&t, x.pids, x.pcodes, query, nil)
	x.nearest(&t, query, sc)
	x.mu.RUnlock()
	x.pool.Put(sc)
	return t.sorted(), nil
}

// Size returns the bytes of memory held by the index's arrays: ids, codes,
// tombstones, the pending buffer and the tables, but not the Go structures
// around them nor, during a background rebuild, the tables being built.
// Divided by Len it is the memory cost per code to plan capacity with.
func (x *MIH) Size() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.bytes()
}

// bytes is Size for a caller holding the lock.
func (x *MIH) bytes() int {
	n := 8*len(x.ids) + 8*len(x.codes) + 8*len(x.dead) + 8*len(x.pids) + 8*len(x.pcodes)
	for i := range x.tabs {
		n += x.tabs[i].bytes()
	}
	return n
}
