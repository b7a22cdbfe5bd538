package store

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// A Bucket is a handle on a bucket of a [Tx], named by its path. It finds
// the bucket again after an intermediate commit, counts its writes toward
// the chunk budget and, made by [Tx.Undoable] in a staged write, records
// what each key held before its first change.
type Bucket struct {
	t      *Tx
	path   [][]byte
	target []byte // undo target, or nil
	fill   float64

	gen int
	b   *bolt.Bucket
	c   *bolt.Cursor // for Get: Seek saves Get's allocations
}

// Bucket returns a handle on the bucket at path, which need not exist
// yet. Its writes are not undone record by record: use it for buckets a
// staged write appends to (the change log, the numbers), builds whole
// (a swap set) or changes only in its last transaction.
func (t *Tx) Bucket(path ...[]byte) *Bucket {
	return &Bucket{t: t, path: path, gen: -1}
}

// Undoable returns a handle on the bucket at path (one or two names) whose
// changes a staged write undoes if it fails.
func (t *Tx) Undoable(path ...[]byte) *Bucket {
	b := t.Bucket(path...)
	b.target = undoTarget(path)
	return b
}

// SetFillPercent sets the bucket's bbolt fill percent, kept across
// intermediate commits: 1 for a bucket that only appends.
func (b *Bucket) SetFillPercent(f float64) {
	b.fill = f
	if bb := b.bolt(); bb != nil {
		bb.FillPercent = f
	}
}

// bolt returns the bucket in the current transaction, or nil.
func (b *Bucket) bolt() *bolt.Bucket {
	if b.gen == b.t.gen && b.b != nil {
		return b.b
	}
	b.gen, b.b, b.c = b.t.gen, nil, nil
	if b.t.tx == nil {
		return nil
	}
	b.b = bucketPath(b.t.tx, b.path...)
	if b.b != nil {
		if b.fill != 0 {
			b.b.FillPercent = b.fill
		}
		b.c = b.b.Cursor()
	}
	return b.b
}

// Exists reports whether the bucket exists.
func (b *Bucket) Exists() bool { return b.bolt() != nil }

// Get returns the value of k, or nil; valid until the next commit.
func (b *Bucket) Get(k []byte) []byte {
	if b.bolt() == nil {
		return nil
	}
	// Seek starts from the root, so writes in between do not matter.
	gk, v := b.c.Seek(k)
	if !bytes.Equal(gk, k) {
		return nil
	}
	return v
}

// Put sets k to v, first recording k's old value if the handle undoes.
func (b *Bucket) Put(k, v []byte) error {
	bb := b.bolt()
	if bb == nil {
		return errVanished(b.path)
	}
	if b.target != nil {
		if err := b.t.save(b.target, bb, k); err != nil {
			return err
		}
	}
	b.t.writes++
	return bb.Put(k, v)
}

// PutNew sets k, which the write itself created (so that [Rollback]
// removes it by other means: an item by its number), to v, without an
// undo record.
func (b *Bucket) PutNew(k, v []byte) error {
	bb := b.bolt()
	if bb == nil {
		return errVanished(b.path)
	}
	b.t.writes++
	return bb.Put(k, v)
}

// Delete removes k, first recording its old value if the handle undoes.
func (b *Bucket) Delete(k []byte) error {
	bb := b.bolt()
	if bb == nil {
		return errVanished(b.path)
	}
	if b.target != nil {
		if err := b.t.save(b.target, bb, k); err != nil {
			return err
		}
	}
	b.t.writes++
	return bb.Delete(k)
}

// Sequence returns the bucket's sequence number.
func (b *Bucket) Sequence() uint64 {
	if b.bolt() == nil {
		return 0
	}
	return b.b.Sequence()
}

// NextSequence increments the bucket's sequence number and returns it.
func (b *Bucket) NextSequence() (uint64, error) {
	if b.bolt() == nil {
		return 0, errVanished(b.path)
	}
	return b.b.NextSequence()
}

// A Cursor walks a [Bucket] across intermediate commits: after one, it
// finds the bucket again and goes on after the last key it returned.
// Keys and values are valid until the next commit.
type Cursor struct {
	b    *Bucket
	c    *bolt.Cursor
	gen  int
	last []byte
}

// Cursor returns a cursor over b.
func (b *Bucket) Cursor() *Cursor { return &Cursor{b: b, gen: -1} }

// cursor returns the bbolt cursor of the current transaction, or nil,
// and whether it is a new one.
func (c *Cursor) cursor() (*bolt.Cursor, bool) {
	if c.c != nil && c.gen == c.b.t.gen {
		return c.c, false
	}
	c.gen, c.c = c.b.t.gen, nil
	if bb := c.b.bolt(); bb != nil {
		c.c = bb.Cursor()
	}
	return c.c, true
}

func (c *Cursor) keep(k, v []byte) ([]byte, []byte) {
	if k != nil {
		c.last = append(c.last[:0], k...)
	}
	return k, v
}

// First moves to the first key.
func (c *Cursor) First() (k, v []byte) { return c.Seek(nil) }

// Seek moves to the first key at or after k.
func (c *Cursor) Seek(k []byte) (key, value []byte) {
	bc, _ := c.cursor()
	if bc == nil {
		return nil, nil
	}
	return c.keep(bc.Seek(k)) // Seek(nil) is First
}

// Next moves to the key after the last one returned.
func (c *Cursor) Next() (k, v []byte) {
	bc, fresh := c.cursor()
	if bc == nil {
		return nil, nil
	}
	if !fresh {
		return c.keep(bc.Next())
	}
	if k, v = bc.Seek(c.last); bytes.Equal(k, c.last) {
		k, v = bc.Next()
	}
	return c.keep(k, v)
}

// bucketPath returns the bucket at path, or nil.
func bucketPath(tx *bolt.Tx, path ...[]byte) *bolt.Bucket {
	b := tx.Bucket(path[0])
	for _, name := range path[1:] {
		if b == nil {
			return nil
		}
		b = b.Bucket(name)
	}
	return b
}
