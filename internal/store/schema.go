package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// SchemaVersion is the record layout this code writes and reads. A file
// with a higher version was written by newer code and is refused; one with
// a lower version comes from a development build before the first release
// (version 1 kept a stored signal index) and is refused too: nothing has
// shipped that would need a migration.
const SchemaVersion = 2

// Bucket names. Callers must not modify them.
var (
	BucketMeta     = []byte("meta")
	BucketItems    = []byte("items")
	BucketNumbers  = []byte("numbers")
	BucketOpinions = []byte("opinions")
	BucketChanges  = []byte("changes")
	BucketPeers    = []byte("peers")
	BucketCounts   = []byte("counts")
	// BucketSent and BucketReceived hold, per peer, the sets exchanged
	// with it; they are created by the first export or import.
	BucketSent     = []byte("sent")
	BucketReceived = []byte("received")
	// BucketBanks holds the named collections of the local
	// organisation's items, and BucketLocal per item number what the
	// local organisation keeps about an item that is never exchanged;
	// both are created by their first write.
	BucketBanks = []byte("banks")
	BucketLocal = []byte("local")
	// BucketFeeds holds the live exchanges' checkpoints, each feed's
	// membership (the items it delivered), the keys a full fetch has
	// seen and the opinions reported back; created by the first fetch.
	BucketFeeds = []byte("feeds")
	// BucketSettings holds named settings applications keep with the
	// database (a server's configuration); created by the first write.
	BucketSettings = []byte("settings")

	// bucketStaged holds an unfinished staged write's state.
	bucketStaged = []byte("staged")
	keyJournal   = []byte("journal")
	bucketUndo   = []byte("undo")
	bucketSwap   = []byte("swap")

	// metaKey holds the Meta record in the meta bucket.
	metaKey = []byte("meta")
)

// requiredBuckets are the buckets every database file has.
var requiredBuckets = [][]byte{BucketMeta, BucketItems, BucketNumbers, BucketOpinions, BucketChanges, BucketPeers, BucketCounts}

// marshal is how the store encodes protobuf records: deterministically,
// so that equal records are equal bytes.
var marshal = proto.MarshalOptions{Deterministic: true}

// ReadMeta reads and checks the file's metadata. A file with no meta
// bucket is reported as fresh, with a nil Meta, when it has no buckets at
// all, which is what bbolt creates for a new file. Errors wrap
// [ErrNotDatabase], [ErrSchemaVersion] or [ErrCorrupt].
func ReadMeta(tx *bolt.Tx) (m *pb.Meta, fresh bool, err error) {
	mb := tx.Bucket(BucketMeta)
	if mb == nil {
		empty := true
		_ = tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
		if empty {
			return nil, true, nil
		}
		return nil, false, fmt.Errorf("%w: a bbolt file without hashshare metadata", ErrNotDatabase)
	}
	v := mb.Get(metaKey)
	if v == nil {
		return nil, false, fmt.Errorf("%w: no metadata record", ErrNotDatabase)
	}
	m = new(pb.Meta)
	if err := proto.Unmarshal(v, m); err != nil {
		return nil, false, fmt.Errorf("%w: metadata: %v", ErrNotDatabase, err)
	}
	switch {
	case m.GetSchemaVersion() == 0:
		return nil, false, fmt.Errorf("%w: metadata has no schema version", ErrNotDatabase)
	case m.GetSchemaVersion() > SchemaVersion:
		return nil, false, fmt.Errorf("%w: the file has schema version %d, this code knows up to %d (upgrade hashshare)", ErrSchemaVersion, m.GetSchemaVersion(), SchemaVersion)
	case m.GetSchemaVersion() < SchemaVersion:
		return nil, false, fmt.Errorf("%w: the file has schema version %d, written by a pre-release build; this code reads only version %d (re-create the file, or re-import it from a bundle)", ErrSchemaVersion, m.GetSchemaVersion(), SchemaVersion)
	}
	for _, name := range requiredBuckets {
		if tx.Bucket(name) == nil {
			return nil, false, fmt.Errorf("%w: bucket %q is missing", ErrCorrupt, name)
		}
	}
	return m, false, nil
}

// Create writes the buckets of a new database and its metadata m, whose
// schema version it sets.
func Create(tx *bolt.Tx, m *pb.Meta) error {
	m.SchemaVersion = SchemaVersion
	for _, name := range append(requiredBuckets, BucketCodes) {
		if _, err := tx.CreateBucket(name); err != nil {
			return fmt.Errorf("creating bucket %q: %w", name, err)
		}
	}
	return WriteMeta(tx, m)
}

// WriteMeta replaces the file's metadata record by m.
func WriteMeta(tx *bolt.Tx, m *pb.Meta) error {
	v, err := marshal.Marshal(m)
	if err != nil {
		return fmt.Errorf("encoding metadata: %w", err)
	}
	b := tx.Bucket(BucketMeta)
	if b == nil {
		return fmt.Errorf("%w: bucket %q is missing", ErrCorrupt, BucketMeta)
	}
	return b.Put(metaKey, v)
}
