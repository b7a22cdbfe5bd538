//go:build !linux

package match

// adviseHuge is cleared by benchmarks to compare with and without.
var adviseHuge = true

// hugeMin is the smallest array worth advising: smaller ones are not
// worth a 2 MiB page each.
const hugeMin = 4 << 20

// makeHuge returns make([]T, n); only Linux gets huge-page advice.
func makeHuge[T any](n int) []T { return make([]T, n) }

// advise does nothing: only Linux gets huge-page advice.
func advise[T any](s []T) {}
