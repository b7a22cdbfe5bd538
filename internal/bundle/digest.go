package bundle

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/bits"
	"slices"
	"sync"

	"google.golang.org/protobuf/proto"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// A Digest is the SHA-256 of a whole uncompressed bundle: its name, which
// the next bundle's header cites as previous.
type Digest [32]byte

// String returns the digest as 64 hex digits.
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// A SetDigest is an order-independent digest of a set of items: the sum,
// modulo 2^256, of the [ItemHash] of each, read as big-endian numbers. The
// empty set's digest is zero. Because it is a sum, a holder keeps it up to
// date as items come and go ([SetDigest.Add], [SetDigest.Sub]) without
// rereading the set, and two holders of the same set agree whatever order
// they learnt it in.
//
// It detects divergence between honest parties; it is not meant to resist
// someone choosing items to make two sets collide (the signed producer is
// trusted for the set it describes).
type SetDigest [32]byte

// String returns the digest as 64 hex digits.
func (d SetDigest) String() string { return hex.EncodeToString(d[:]) }

// Add adds the item hash h to the set.
func (d *SetDigest) Add(h [32]byte) {
	var carry uint64
	for i := 24; i >= 0; i -= 8 {
		var s uint64
		s, carry = bits.Add64(binary.BigEndian.Uint64(d[i:]), binary.BigEndian.Uint64(h[i:]), carry)
		binary.BigEndian.PutUint64(d[i:], s)
	}
}

// Sub removes the item hash h from the set.
func (d *SetDigest) Sub(h [32]byte) {
	var borrow uint64
	for i := 24; i >= 0; i -= 8 {
		var s uint64
		s, borrow = bits.Sub64(binary.BigEndian.Uint64(d[i:]), binary.BigEndian.Uint64(h[i:]), borrow)
		binary.BigEndian.PutUint64(d[i:], s)
	}
}

var canonical = proto.MarshalOptions{Deterministic: true}

// ItemHash returns the SHA-256 of the canonical encoding of it: the
// deterministic protobuf encoding with signals sorted by algorithm, value
// and the unreliable flag, and labels sorted. Equal items hash equally
// whatever order their lists were built in. it is not modified.
func ItemHash(it *pb.Item) [32]byte {
	if !canonicalOrder(it) {
		c := proto.CloneOf(it)
		slices.SortFunc(c.Signals, compareSignals)
		slices.Sort(c.Labels)
		it = c
	}
	bp := hashBufs.Get().(*[]byte)
	defer hashBufs.Put(bp)
	b, err := canonical.MarshalAppend((*bp)[:0], it)
	if err != nil {
		// Marshal fails only on invalid UTF-8 in a string, which a Reader
		// rejects; hash the fields' text form so the digest still differs
		// from every valid item's.
		b = []byte(it.String())
	} else if cap(b) <= 64<<10 {
		*bp = b // keep the grown buffer, unless an outsize item grew it
	}
	return sha256.Sum256(b)
}

// hashBufs are ItemHash's encoding buffers: hashing runs once per entry
// on import and export, and a fresh buffer each time was a large share of
// their allocations.
var hashBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func compareSignals(a, b *pb.Signal) int {
	if c := cmp.Compare(a.GetAlgorithm(), b.GetAlgorithm()); c != 0 {
		return c
	}
	if c := bytes.Compare(a.GetValue(), b.GetValue()); c != 0 {
		return c
	}
	switch au, bu := a.GetUnreliable(), b.GetUnreliable(); {
	case au == bu:
		return 0
	case bu:
		return -1
	}
	return 1
}

func canonicalOrder(it *pb.Item) bool {
	return slices.IsSortedFunc(it.GetSignals(), compareSignals) && slices.IsSorted(it.GetLabels())
}
