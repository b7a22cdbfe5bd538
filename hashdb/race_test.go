//go:build race

package hashdb

// raceEnabled reports that the race detector is on, which makes large
// tests several times slower.
const raceEnabled = true
