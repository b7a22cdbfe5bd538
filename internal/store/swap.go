package store

import (
	"errors"
	"fmt"
)

// Swap returns a handle on the empty bucket a staged write builds a new
// parent/child set in, to replace the old one whole: [Tx.SwapIn] moves it
// into place. Until then the old set is there to read, and readers see
// only it.
func (t *Tx) Swap(parent, child []byte) (*Bucket, error) {
	if !t.opts.Staged {
		return nil, errors.New("store: a swapped set outside a staged write")
	}
	if t.tx == nil {
		return nil, ErrDone
	}
	sw, err := t.tx.Bucket(bucketStaged).CreateBucketIfNotExists(bucketSwap)
	if err != nil {
		return nil, err
	}
	p, err := sw.CreateBucketIfNotExists(parent)
	if err != nil {
		return nil, err
	}
	if _, err := p.CreateBucket(child); err != nil {
		return nil, fmt.Errorf("swap set %s/%s: %w", parent, child, err)
	}
	return t.Bucket(bucketStaged, bucketSwap, parent, child), nil
}

// SwapIn replaces parent/child by the set built in its swap bucket, and
// returns a handle on it in its place. It must be called in the write's
// last transaction, and it commits the one before: bbolt moves a bucket
// as its parent records it, so changes made to it in the same transaction
// would be lost. The handle [Tx.Swap] returned no longer finds a bucket.
func (t *Tx) SwapIn(parent, child []byte) (*Bucket, error) {
	if err := t.commitChunk(); err != nil {
		return nil, err
	}
	p, err := t.tx.CreateBucketIfNotExists(parent)
	if err != nil {
		return nil, err
	}
	if p.Bucket(child) != nil {
		if err := p.DeleteBucket(child); err != nil {
			return nil, err
		}
	}
	src := bucketPath(t.tx, bucketStaged, bucketSwap, parent)
	if src == nil || src.Bucket(child) == nil {
		return nil, fmt.Errorf("%w: the staged set %s/%s vanished", ErrCorrupt, parent, child)
	}
	if err := t.tx.MoveBucket(child, src, p); err != nil {
		return nil, err
	}
	return t.Bucket(parent, child), nil
}
