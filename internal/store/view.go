package store

import (
	"bytes"
	"iter"

	bolt "go.etcd.io/bbolt"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// A View reads the database, in a read transaction, as the last finished
// write left it. While a staged write is in progress, or was interrupted
// and awaits its rollback, it reads the items and opinions the write
// changed (and the packed index codes) from its undo records, and does
// not see what the write created:
// items (by their record's sequence number, see [RecordSeq]), numbers
// and changes past the journal. Without one, a view costs one bucket
// lookup.
type View struct {
	tx        *bolt.Tx
	pending   bool
	j         Journal
	undoItems *bolt.Bucket
	undoOps   *bolt.Bucket
	undoCodes *bolt.Bucket
}

// NewView returns the view of tx. Errors wrap [ErrCorrupt].
func NewView(tx *bolt.Tx) (*View, error) {
	v := &View{tx: tx}
	st := tx.Bucket(bucketStaged)
	if st == nil {
		return v, nil
	}
	var err error
	if v.j, err = DecodeJournal(st.Get(keyJournal)); err != nil {
		return nil, err
	}
	v.pending = true
	v.undoItems = bucketPath(tx, bucketStaged, bucketUndo, BucketItems)
	v.undoOps = bucketPath(tx, bucketStaged, bucketUndo, BucketOpinions)
	v.undoCodes = bucketPath(tx, bucketStaged, bucketUndo, BucketCodes)
	return v, nil
}

// Pending reports whether the file holds an unfinished staged write,
// which the view reads around.
func (v *View) Pending() bool { return v.pending }

// Meta reads and checks the file's metadata, as [ReadMeta].
func (v *View) Meta() (*pb.Meta, error) {
	m, _, err := ReadMeta(v.tx)
	return m, err
}

// Size returns the size of the file the view reads, in bytes.
func (v *View) Size() int64 { return v.tx.Size() }

// CheckPages runs bbolt's check of the file's page structure.
func (v *View) CheckPages() iter.Seq[error] {
	return func(yield func(error) bool) {
		for err := range v.tx.Check() {
			if !yield(err) {
				return
			}
		}
	}
}

// Bucket returns the bbolt bucket at path, or nil, for the buckets a
// staged write changes only in its last transaction (meta, counts,
// peers, sent and received sets). Items, opinions, numbers and changes
// are read through [View.Get] and [View.Cursor].
func (v *View) Bucket(path ...[]byte) *bolt.Bucket { return bucketPath(v.tx, path...) }

// Get returns the value of k in the top-level bucket name as readers see
// it, or nil.
func (v *View) Get(name, k []byte) []byte {
	b := v.tx.Bucket(name)
	if b == nil || v.beyond(name, k) {
		return nil
	}
	return v.Visible(name, k, b.Get(k))
}

// beyond reports whether k is past the journal in an append-only bucket.
func (v *View) beyond(name, k []byte) bool {
	switch {
	case !v.pending:
		return false
	case bytes.Equal(name, BucketChanges):
		return bytes.Compare(k, SeqKey(v.j.Seq0)) > 0
	case bytes.Equal(name, BucketNumbers):
		return bytes.Compare(k, NumKey(v.j.Num0)) > 0
	}
	return false
}

// Visible returns what readers see of key k of bucket name, given the
// value val the bucket holds for it (nil if none): val, or what it was
// before a pending staged write, or nil.
func (v *View) Visible(name, k, val []byte) []byte {
	if !v.pending {
		return val
	}
	switch {
	case bytes.Equal(name, BucketItems):
		if val == nil {
			return v.before(v.undoItems, k) // deleted by the write, if anything
		}
		seq, err := RecordSeq(val)
		if err != nil || seq <= v.j.Seq0 {
			return val // a record that does not decode is left for the caller to report
		}
		return v.before(v.undoItems, k) // changed or created by the write
	case bytes.Equal(name, BucketOpinions), bytes.Equal(name, BucketCodes):
		undo := v.undoOf(name)
		if undo == nil {
			return val
		}
		if u := undo.Get(k); u != nil {
			old, _, _ := DecodeUndo(u)
			return old
		}
	}
	return val
}

// before returns the value of k from before the pending write, or nil.
func (v *View) before(undo *bolt.Bucket, k []byte) []byte {
	if undo == nil {
		return nil
	}
	old, _, _ := DecodeUndo(undo.Get(k))
	return old
}

// undoOf returns the undo records of the top-level bucket name, or nil.
func (v *View) undoOf(name []byte) *bolt.Bucket {
	switch {
	case bytes.Equal(name, BucketItems):
		return v.undoItems
	case bytes.Equal(name, BucketOpinions):
		return v.undoOps
	case bytes.Equal(name, BucketCodes):
		return v.undoCodes
	}
	return nil
}

// A ViewCursor walks a bucket as a [View] sees it: records a pending
// staged write created are skipped, those it changed or deleted read as
// they were. It merges the bucket with the write's undo records, which
// hold the keys the write deleted.
type ViewCursor struct {
	v      *View
	name   []byte
	c, u   *bolt.Cursor // the bucket, its undo records (or nil)
	mk, mv []byte       // the bucket's next record
	uk, uv []byte       // the undo records' next record
	key    []byte       // the key last returned
}

// Cursor returns a cursor over the top-level bucket name.
func (v *View) Cursor(name []byte) *ViewCursor {
	c := &ViewCursor{v: v, name: name}
	if b := v.tx.Bucket(name); b != nil {
		c.c = b.Cursor()
	}
	if u := v.undoOf(name); u != nil && v.pending {
		c.u = u.Cursor()
	}
	return c
}

// First moves to the first visible key.
func (c *ViewCursor) First() (k, v []byte) { return c.Seek(nil) }

// Seek moves to the first visible key at or after k.
func (c *ViewCursor) Seek(k []byte) (key, value []byte) {
	if c.c == nil {
		return nil, nil
	}
	c.mk, c.mv = c.c.Seek(k)
	if c.u != nil {
		c.uk, c.uv = c.u.Seek(k)
	}
	return c.pick()
}

// Next moves to the next visible key.
func (c *ViewCursor) Next() (k, v []byte) {
	if c.c == nil || c.key == nil {
		return nil, nil
	}
	if !c.v.pending {
		c.mk, c.mv = c.c.Next()
	} else {
		c.advance(c.key)
	}
	return c.pick()
}

// advance moves whichever of the two cursors stands at k past it.
func (c *ViewCursor) advance(k []byte) {
	if c.mk != nil && bytes.Equal(c.mk, k) {
		c.mk, c.mv = c.c.Next()
	}
	if c.uk != nil && bytes.Equal(c.uk, k) {
		c.uk, c.uv = c.u.Next()
	}
}

// pick returns the first visible record at or after the two cursors.
func (c *ViewCursor) pick() ([]byte, []byte) {
	if !c.v.pending {
		// Nothing to read around: the bucket's records, as Open's index
		// build reads them all, at a cursor's cost.
		for c.mk != nil && c.mv == nil {
			c.mk, c.mv = c.c.Next() // a nested bucket
		}
		c.key = c.mk
		return c.mk, c.mv
	}
	for c.mk != nil || c.uk != nil {
		k, inMain := c.mk, true
		if c.mk == nil || c.uk != nil && bytes.Compare(c.uk, c.mk) < 0 {
			k, inMain = c.uk, false
		}
		if c.v.beyond(c.name, k) {
			break
		}
		var vis []byte
		switch {
		case inMain && c.mv != nil:
			vis = c.v.Visible(c.name, k, c.mv)
		case !inMain:
			vis, _, _ = DecodeUndo(c.uv) // deleted by the write
		}
		if vis != nil {
			c.key = k
			return k, vis
		}
		c.advance(k)
	}
	c.key = nil
	return nil, nil
}

// PagesView returns a view of tx that does not read around a staged
// write: for checking the pages and records of a file whose journal does
// not decode, which [NewView] refuses.
func PagesView(tx *bolt.Tx) *View { return &View{tx: tx} }
