//go:build !linux

package match

// adviseHuge is cleared by benchmarks to compare with and without.
var adviseHuge = true

// makeHuge returns make([]T, n); only Linux gets huge-page advice.
func makeHuge[T any](n int) []T { return make([]T, n) }
