// Package match indexes fixed-width binary codes (64 or 256 bits) by uint64
// id and finds, exactly, every stored code within a Hamming radius of a query
// or the k nearest ones.
//
// Two indexes implement [Index]: [Linear], a brute-force scan kept as the
// reference and for tiny sets, and [MIH], multi-index hashing (Norouzi,
// Punjani & Fleet, CVPR 2012), which answers radius queries over millions of
// codes in tens to hundreds of microseconds and never misses a code within
// the radius.
//
// A code is a []uint64 of bits/64 words (1 for 64-bit codes such as pHash,
// 4 for 256-bit PDQ). Bit order does not matter as long as codes and queries
// use the same one: Hamming distance counts differing bits.
//
// Each id has exactly one code; adding an id again replaces its code. Many
// ids may share one code. Results are sorted by distance, then by id.
//
// # Concurrency
//
// Indexes are safe for concurrent use: searches share a read lock and may run
// in parallel, Add, Remove, Update and Build take the write lock. Changes are
// visible to the next search. MIH's Add and Remove are cheap (an append to a
// buffer, a tombstone); it rebuilds its tables in a background goroutine, so
// neither searches nor writers wait for a rebuild. Build, and Update of a
// large batch, build new tables without the lock and take it only to
// install them.
//
// # Speed
//
// The distance is computed with [math/bits.OnesCount64]. With the default
// GOAMD64=v1 the compiler guards each POPCNT with a CPU-feature check; build
// with GOAMD64=v3 (any x86-64 CPU since 2015) to make it a single
// instruction. On a shared 2-core AMD EPYC the linear scan ran 1.4–1.5×
// faster with v3; MIH, whose time goes to memory accesses, about 5%
// (see bench_test.go).
//
// On Linux, MIH asks for transparent huge pages for its large arrays
// (madvise; effective when /sys/kernel/mm/transparent_hugepage/enabled is
// "always" or "madvise"), which made searches of 10M codes 10–15% faster.
package match

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
)

// Errors returned by the indexes, tested with errors.Is.
var (
	// ErrWidth reports an unsupported code width (only 64 and 256 are).
	ErrWidth = errors.New("match: unsupported code width")
	// ErrCode reports a code with the wrong number of words for the index.
	ErrCode = errors.New("match: code has wrong length")
	// ErrRadius reports a negative search radius.
	ErrRadius = errors.New("match: negative radius")
	// ErrCount reports a negative number of neighbours asked for.
	ErrCount = errors.New("match: negative neighbour count")
	// ErrDuplicate reports an id given twice to Build.
	ErrDuplicate = errors.New("match: duplicate id")
	// ErrFull reports more codes than an index can hold (2³²-2).
	ErrFull = errors.New("match: too many codes")
	// ErrOptions reports invalid MIH options.
	ErrOptions = errors.New("match: invalid options")
)

// maxEntries bounds an index so that internal slot numbers fit in a uint32.
const maxEntries = 1<<32 - 2

// Result is one stored code found by a search.
type Result struct {
	ID       uint64 // the id the code was added under
	Distance int    // Hamming distance from the query
}

// Index is a set of (id, code) pairs searchable by Hamming distance.
// [Linear] and [MIH] implement it.
type Index interface {
	// Bits returns the code width, 64 or 256.
	Bits() int
	// Len returns the number of ids stored.
	Len() int
	// Add stores code under id, replacing the code id had before.
	Add(id uint64, code []uint64) error
	// Remove deletes id and reports whether it was present.
	Remove(id uint64) bool
	// Build replaces the whole contents with ids[i] ↦ the i-th code of
	// codes, which holds len(ids) codes of Bits()/64 words back to back.
	Build(ctx context.Context, ids []uint64, codes []uint64) error
	// Update removes the ids in remove, then stores ids[i] ↦ the i-th code
	// of codes in turn, as one change that searches see whole or not at
	// all: the same contents as those Removes and Adds one by one.
	Update(ctx context.Context, remove []uint64, ids []uint64, codes []uint64) error
	// Search returns every stored code within radius of query, sorted by
	// distance then id.
	Search(query []uint64, radius int) ([]Result, error)
	// Nearest returns the k stored codes closest to query (fewer if the
	// index holds fewer), sorted by distance then id; ties at the k-th
	// distance are broken by smaller id.
	Nearest(query []uint64, k int) ([]Result, error)
	// Code returns a copy of the code stored under id, and whether id is
	// stored. Callers that index values by a surrogate id use it to turn a
	// result back into the value that matched.
	Code(id uint64) ([]uint64, bool)
}

// words returns the number of uint64 words of a code of the given width.
func words(bits int) (int, error) {
	switch bits {
	case 64, 256:
		return bits / 64, nil
	}
	return 0, fmt.Errorf("%w: %d bits (want 64 or 256)", ErrWidth, bits)
}

// checkCode verifies that code has w words.
func checkCode(code []uint64, w int) error {
	if len(code) != w {
		return fmt.Errorf("%w: %d words, want %d", ErrCode, len(code), w)
	}
	return nil
}

// checkBuild validates the arguments of Build.
func checkBuild(ids, codes []uint64, w int) error {
	if len(codes) != len(ids)*w {
		return fmt.Errorf("%w: %d words for %d ids of %d words", ErrCode, len(codes), len(ids), w)
	}
	if len(ids) > maxEntries {
		return fmt.Errorf("%w: %d", ErrFull, len(ids))
	}
	return nil
}

// distance returns the Hamming distance of two codes of equal length.
func distance(a, b []uint64) int {
	d := 0
	for i := range a {
		d += bits.OnesCount64(a[i] ^ b[i])
	}
	return d
}

// less orders results by distance, then id.
func less(a, b Result) bool {
	return a.Distance < b.Distance || (a.Distance == b.Distance && a.ID < b.ID)
}

// cmpResult is less as a three-way comparison, for slices.SortFunc.
func cmpResult(a, b Result) int {
	switch {
	case less(a, b):
		return -1
	case less(b, a):
		return 1
	}
	return 0
}
