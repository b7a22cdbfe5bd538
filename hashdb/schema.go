package hashdb

import (
	"crypto/rand"
	"fmt"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// schemaVersion is the record layout this code writes and reads. A file
// with a higher version was written by newer code and is refused; one with
// a lower version comes from a development build before the first release
// (version 1 kept a stored signal index) and is refused too: nothing has
// shipped that would need a migration.
const schemaVersion = 2

// Bucket names.
var (
	bucketMeta     = []byte("meta")
	bucketItems    = []byte("items")
	bucketNumbers  = []byte("numbers")
	bucketOpinions = []byte("opinions")
	bucketChanges  = []byte("changes")
	bucketPeers    = []byte("peers")
	bucketCounts   = []byte("counts")

	allBuckets = [][]byte{bucketMeta, bucketItems, bucketNumbers, bucketOpinions, bucketChanges, bucketPeers, bucketCounts}

	// metaKey holds the Meta record in the meta bucket.
	metaKey = []byte("meta")
)

// readMeta reads and checks the file's metadata. A file with no meta
// bucket is reported as fresh when it has no buckets at all, which is what
// bbolt creates for a new file.
func readMeta(tx *bolt.Tx) (m *pb.Meta, fresh bool, err error) {
	mb := tx.Bucket(bucketMeta)
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
	case m.GetSchemaVersion() > schemaVersion:
		return nil, false, fmt.Errorf("%w: the file has schema version %d, this code knows up to %d (upgrade hashshare)", ErrSchemaVersion, m.GetSchemaVersion(), schemaVersion)
	case m.GetSchemaVersion() < schemaVersion:
		return nil, false, fmt.Errorf("%w: the file has schema version %d, written by a pre-release build; this code reads only version %d (re-create the file, or re-import it from a bundle)", ErrSchemaVersion, m.GetSchemaVersion(), schemaVersion)
	}
	for _, name := range allBuckets {
		if tx.Bucket(name) == nil {
			return nil, false, fmt.Errorf("%w: bucket %q is missing", ErrCorrupt, name)
		}
	}
	return m, false, nil
}

// create writes the buckets and metadata of a new database.
func create(tx *bolt.Tx, o *Options) (*pb.Meta, error) {
	id := make([]byte, 16)
	_, _ = rand.Read(id) // never fails (crypto/rand.Read panics rather)
	m := &pb.Meta{
		SchemaVersion:   schemaVersion,
		DatabaseId:      id,
		CreatedUnixNano: o.now().UnixNano(),
		Organization:    o.Organization,
	}
	for _, name := range allBuckets {
		if _, err := tx.CreateBucket(name); err != nil {
			return nil, err
		}
	}
	if err := writeMeta(tx, m); err != nil {
		return nil, err
	}
	return m, nil
}

func writeMeta(tx *bolt.Tx, m *pb.Meta) error {
	v, err := marshal.Marshal(m)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketMeta).Put(metaKey, v)
}
