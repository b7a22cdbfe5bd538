package hashdb

import (
	"errors"
	"fmt"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/internal/bundle"
	"github.com/hashshare/hashshare/internal/store"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// Errors of bundle exchange. [DB.Import] returns errors wrapping one of
// these, or [ErrInvalidItem] / [ErrInvalidOpinion] for an entry the
// database cannot store; whatever the cause, the database is left exactly
// as it was.
var (
	// ErrTruncated reports a bundle that ends before its trailer.
	ErrTruncated = bundle.ErrTruncated
	// ErrMalformed reports bytes that are not a well-formed bundle:
	// undecodable or out-of-order frames, unknown fields or enum values,
	// a wrong entry count, data after the end, corrupt compression.
	ErrMalformed = bundle.ErrMalformed
	// ErrBundleVersion reports a bundle format this code does not read.
	ErrBundleVersion = bundle.ErrVersion
	// ErrLimit reports a bundle that crosses a size limit.
	ErrLimit = bundle.ErrLimit
	// ErrUnknownKey reports a bundle signed by a producer or key the peers
	// table does not hold, or by a revoked key; the error also wraps
	// [ErrUnknownPeer] or [ErrKeyRevoked] when that is the cause.
	ErrUnknownKey = bundle.ErrUnknownKey
	// ErrSignature reports a bundle whose signature does not verify.
	ErrSignature = bundle.ErrSignature

	// ErrUnknownPeer reports a bundle from an organisation that is not a
	// peer.
	ErrUnknownPeer = errors.New("unknown peer")
	// ErrKeyRevoked reports a bundle signed with a revoked key.
	ErrKeyRevoked = errors.New("key revoked")
	// ErrAudience reports a bundle addressed to another organisation.
	ErrAudience = errors.New("bundle addressed to another organisation")
	// ErrSequenceGap reports a delta bundle that does not follow the last
	// one imported from its producer: a bundle is missing in between, or
	// the bundle follows another one than the recipient holds. The remedy is
	// to import the missing bundles, or a FULL one.
	ErrSequenceGap = errors.New("bundle does not follow the peer's checkpoint")
	// ErrReplay reports a bundle older than the last one imported from its
	// producer.
	ErrReplay = errors.New("bundle replayed")
	// ErrDiverged reports that after applying a bundle the recipient's
	// digest of the producer's items would differ from the producer's; the
	// bundle is not applied. The remedy is a FULL bundle.
	ErrDiverged = errors.New("diverged from the producer's set")
)

// setDigest reads the set digest record of an exchange set (see
// [store.KeySetDigest]).
func setDigest(b getter) (bundle.SetDigest, error) {
	d, err := store.ParseSetDigest(b.Get(store.KeySetDigest))
	return bundle.SetDigest(d), err
}

// LastExport returns the checkpoint of the last bundle exported to
// audience ("" for public bundles): the last sequence number it covered
// and its digest. A zero Checkpoint means none.
func (db *DB) LastExport(audience string) (_ Checkpoint, err error) {
	defer wrapErrOf(&err, func() string { return "last export to " + strconv.Quote(audience) })
	var cp Checkpoint
	err = db.view(func(v *view) error {
		b := v.Bucket(store.BucketSent, store.AudienceKey(audience))
		if b == nil {
			return nil
		}
		var err error
		cp, err = readCheckpoint(b)
		return err
	})
	return cp, err
}

// A getter is a bucket to read one key of: a bbolt bucket in a [view], a
// [store.Bucket] in a write.
type getter interface{ Get(k []byte) []byte }

func readCheckpoint(b getter) (Checkpoint, error) {
	v := b.Get(store.KeyCheckpoint)
	if v == nil {
		return Checkpoint{}, nil
	}
	var m pb.Checkpoint
	if err := proto.Unmarshal(v, &m); err != nil {
		return Checkpoint{}, fmt.Errorf("%w: export checkpoint: %v", ErrCorrupt, err)
	}
	return Checkpoint{Seq: m.GetSeq(), BundleDigest: m.GetBundleDigest(), Time: fromUnixNano(m.GetTimeUnixNano())}, nil
}

func writeCheckpoint(b *store.Bucket, cp Checkpoint) error {
	v, err := marshal.Marshal(&pb.Checkpoint{Seq: cp.Seq, BundleDigest: cp.BundleDigest, TimeUnixNano: unixNano(cp.Time)})
	if err != nil {
		return err
	}
	return b.Put(store.KeyCheckpoint, v)
}

// shareable reports whether item it goes to audience under the share
// limit: RED never; a named audience up to share, the public up to GREEN;
// another organisation's items only up to GREEN, and only as their source
// sent them: a copy a peer re-shared is that peer's word, which we do not
// pass on as ours; never back to their source; never retracted items
// (they travel as retractions).
func (db *DB) shareable(it *Item, audience string, share tlp.Level) bool {
	switch {
	case it.Via != "", it.Retracted, it.TLP == tlp.Red, it.TLP > share:
		return false
	case it.Source != db.opts.Organization && it.TLP > tlp.Green:
		return false
	case audience != "" && it.Source == audience:
		return false
	}
	return true
}
