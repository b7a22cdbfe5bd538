package store

import (
	"encoding/binary"
	"fmt"
)

// Sets of the exchange state, in [BucketSent] and [BucketReceived]. They
// are created by the first export or import, so databases that never
// exchange do without them.
//
//	sent:     audience → { itemkey → item hash, "\x00s" → set digest, "\x00c" → Checkpoint }
//	received: peer     → { itemkey → generation(8) item hash(32), "\x00s" → set digest, "\x00g" → generation }
//
// Item keys start with the source's length, at least 1, so the "\x00"
// keys never collide with them. The sent set is what an audience holds
// from this database; the received set is what this database holds from a
// peer, whether or not its policy let the items in. Their digests are
// what the trailer of a bundle states and the recipient checks.
var (
	KeySetDigest  = []byte("\x00s")
	KeyCheckpoint = []byte("\x00c")
	KeyGeneration = []byte("\x00g")
)

// FirstItemKey is at or before every item key in an exchange set, and
// after its "\x00" records.
var FirstItemKey = []byte{1}

// AudienceKey names the sent set of bundles for audience; "" is bundles
// for no one in particular.
func AudienceKey(audience string) []byte {
	if audience == "" {
		return []byte("*")
	}
	return []byte(audience)
}

// ParseSetDigest decodes a set digest record; nil is the empty set's
// zero digest. Errors wrap [ErrCorrupt].
func ParseSetDigest(v []byte) (d [32]byte, err error) {
	switch {
	case v == nil:
	case len(v) != len(d):
		return d, fmt.Errorf("%w: set digest of %d bytes", ErrCorrupt, len(v))
	default:
		copy(d[:], v)
	}
	return d, nil
}

// AppendReceived appends a received set's record of an item: the
// generation of the bundle that carried it and the item's hash.
func AppendReceived(b []byte, gen uint64, hash [32]byte) []byte {
	return append(binary.BigEndian.AppendUint64(b, gen), hash[:]...)
}

// ParseReceived decodes a received set's record of the item whose key is
// k. Errors wrap [ErrCorrupt].
func ParseReceived(k, v []byte) (gen uint64, hash [32]byte, err error) {
	if len(v) != 40 {
		return 0, hash, fmt.Errorf("%w: received record %q of %d bytes", ErrCorrupt, k, len(v))
	}
	return binary.BigEndian.Uint64(v), [32]byte(v[8:]), nil
}

// ParseGeneration decodes a received set's generation record: 0 if there
// is none or it is not 8 bytes.
func ParseGeneration(v []byte) uint64 {
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}
