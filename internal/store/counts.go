package store

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
)

// The counts bucket holds named counters: a uvarint each, absent at zero.

// ReadCount decodes a counter's value; nil reads as zero. Errors wrap
// [ErrCorrupt].
func ReadCount(v []byte) (int64, error) {
	if v == nil {
		return 0, nil
	}
	n, w := binary.Uvarint(v)
	if w != len(v) || n > 1<<62 {
		return 0, fmt.Errorf("%w: counter value %x", ErrCorrupt, v)
	}
	return int64(n), nil
}

// AddCounts adds each delta to the counter of that name in b, in name
// order, removing counters that reach zero. A counter that would go
// negative is an error wrapping [ErrCorrupt]: the write that found it
// must not commit.
func AddCounts(b *Bucket, deltas map[string]int64) error {
	for _, k := range slices.Sorted(maps.Keys(deltas)) {
		d := deltas[k]
		if d == 0 {
			continue
		}
		n, err := ReadCount(b.Get([]byte(k)))
		if err != nil {
			return fmt.Errorf("counter %q: %w", k, err)
		}
		n += d
		switch {
		case n < 0:
			return fmt.Errorf("%w: counter %q would go negative", ErrCorrupt, k)
		case n == 0:
			err = b.Delete([]byte(k))
		default:
			err = b.Put([]byte(k), binary.AppendUvarint(nil, uint64(n)))
		}
		if err != nil {
			return err
		}
	}
	return nil
}
