package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// DefaultChunk is how many record writes a staged write makes per
// transaction: a few tens of MB of dirty pages.
const DefaultChunk = 1 << 16

// Options configure a [Tx].
type Options struct {
	// Staged makes the write a staged one: it may commit in several
	// transactions ([Tx.Step]) and stays invisible to a [View], and
	// undone by a failure or a crash, until the last commits.
	Staged bool
	// Chunk is how many record writes a staged write makes per
	// transaction; 0 means DefaultChunk.
	Chunk int
	// Context, if not nil, is checked before each intermediate commit.
	Context context.Context
	// AfterCommit, if not nil, runs after each intermediate commit, with
	// no transaction open: a test hook.
	AfterCommit func()
}

// A Tx is one write: one bbolt transaction or, staged, a series of them.
// It is not safe for concurrent use; writes must be serialised by the
// caller, as bbolt serialises writable transactions.
type Tx struct {
	db   *bolt.DB
	tx   *bolt.Tx
	opts Options
	j    Journal

	// gen counts the intermediate commits: a handle made in an earlier
	// generation finds its bucket again.
	gen    int
	writes int
	undo   map[string]*bolt.Bucket // undo buckets of this generation by target
	arena  []byte                  // values handed to bbolt, kept until commit

	beforeCommit func() error // see BeforeCommit
}

// Begin starts a write on db. A staged write records its journal in its
// first transaction; it fails, wrapping [ErrCorrupt], if another staged
// write is pending (roll that back first with [Rollback]).
func Begin(db *bolt.DB, o Options) (*Tx, error) {
	if o.Chunk <= 0 {
		o.Chunk = DefaultChunk
	}
	tx, err := db.Begin(true)
	if err != nil {
		return nil, err
	}
	t := &Tx{db: db, tx: tx, opts: o}
	if o.Staged {
		if err := t.begin(); err != nil {
			tx.Rollback()
			return nil, err
		}
	}
	return t, nil
}

func (t *Tx) begin() error {
	m, _, err := ReadMeta(t.tx)
	if err != nil {
		return err
	}
	st, err := t.tx.CreateBucket(bucketStaged)
	if err != nil {
		return fmt.Errorf("%w: a staged write is already pending: %v", ErrCorrupt, err)
	}
	t.j = Journal{Seq0: m.GetLastSeq(), Num0: t.tx.Bucket(BucketItems).Sequence()}
	return st.Put(keyJournal, t.j.Encode())
}

// Staged reports whether t is a staged write.
func (t *Tx) Staged() bool { return t.opts.Staged }

// Journal returns a staged write's journal; the zero Journal otherwise.
func (t *Tx) Journal() Journal { return t.j }

// Commits returns how many intermediate commits t made: if any, and t
// does not finish, what they wrote must be rolled back.
func (t *Tx) Commits() int { return t.gen }

// Meta reads and checks the file's metadata, as [ReadMeta].
func (t *Tx) Meta() (*pb.Meta, error) {
	if t.tx == nil {
		return nil, ErrDone
	}
	m, _, err := ReadMeta(t.tx)
	return m, err
}

// WriteMeta replaces the file's metadata by m. A staged write writes it
// in its last transaction, which readers see whole.
func (t *Tx) WriteMeta(m *pb.Meta) error {
	if t.tx == nil {
		return ErrDone
	}
	return WriteMeta(t.tx, m)
}

// Step commits a staged write's transaction once it holds Chunk writes
// and begins the next, reporting whether it did. Handles and cursors
// stay valid; keys and values read before must have been copied. Outside
// a staged write, or under the budget, it does nothing.
func (t *Tx) Step() (bool, error) {
	if !t.opts.Staged || t.writes < t.opts.Chunk {
		return false, nil
	}
	return true, t.commitChunk()
}

// BeforeCommit sets fn to run before each intermediate commit of a staged
// write, so that a caller which defers writes derived from the records
// (hashdb's packed index codes) writes them into the transaction they
// belong with. An error from fn fails the commit.
func (t *Tx) BeforeCommit(fn func() error) { t.beforeCommit = fn }

// commitChunk commits the current transaction and begins the next.
func (t *Tx) commitChunk() error {
	if t.tx == nil {
		return ErrDone
	}
	if ctx := t.opts.Context; ctx != nil {
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if t.beforeCommit != nil {
		if err := t.beforeCommit(); err != nil {
			return err
		}
	}
	t.gen++ // from here on, the commit may have happened
	err := t.tx.Commit()
	t.tx = nil
	if err != nil {
		return err
	}
	if t.opts.AfterCommit != nil {
		t.opts.AfterCommit()
	}
	if t.tx, err = t.db.Begin(true); err != nil {
		return err
	}
	t.writes = 0
	t.arena = nil // bbolt copied the last transaction's values at commit
	clear(t.undo)
	return nil
}

// Commit ends the write: a staged write removes its journal, and so
// becomes visible, in the same transaction.
func (t *Tx) Commit() error {
	if t.tx == nil {
		return ErrDone
	}
	if t.opts.Staged {
		if err := t.tx.DeleteBucket(bucketStaged); err != nil {
			return fmt.Errorf("%w: ending the staged write: %v", ErrCorrupt, err)
		}
	}
	err := t.tx.Commit()
	t.tx = nil
	return err
}

// Discard drops the open transaction, if any. What earlier intermediate
// commits wrote ([Tx.Commits]) stays, invisible to readers, until
// [Rollback] undoes it.
func (t *Tx) Discard() {
	if t.tx != nil {
		t.tx.Rollback()
		t.tx = nil
	}
}

// Create creates the bucket at path, and any parents, if it does not
// exist.
func (t *Tx) Create(path ...[]byte) error {
	if t.tx == nil {
		return ErrDone
	}
	b, err := t.tx.CreateBucketIfNotExists(path[0])
	for _, name := range path[1:] {
		if err != nil {
			break
		}
		b, err = b.CreateBucketIfNotExists(name)
	}
	if err != nil {
		return fmt.Errorf("creating bucket %q: %w", path, err)
	}
	return nil
}

// save records, in a staged write, the value k has in b, known as target,
// before the write first changes it.
func (t *Tx) save(target []byte, b *bolt.Bucket, k []byte) error {
	if !t.opts.Staged {
		return nil
	}
	u, err := t.undoBucket(target)
	if err != nil {
		return err
	}
	if u.Get(k) != nil {
		return nil // changed before in this write: the first value is kept
	}
	old := b.Get(k)
	v := appendUndo(t.Alloc(1 + len(old))[:0], old)
	t.writes++
	return u.Put(k, v)
}

func (t *Tx) undoBucket(target []byte) (*bolt.Bucket, error) {
	if u := t.undo[string(target)]; u != nil {
		return u, nil
	}
	st := t.tx.Bucket(bucketStaged)
	if st == nil {
		return nil, fmt.Errorf("%w: the staged bucket vanished", ErrCorrupt)
	}
	root, err := st.CreateBucketIfNotExists(bucketUndo)
	if err != nil {
		return nil, err
	}
	u, err := root.CreateBucketIfNotExists(target)
	if err != nil {
		return nil, err
	}
	if t.undo == nil {
		t.undo = make(map[string]*bolt.Bucket)
	}
	t.undo[string(target)] = u
	return u, nil
}

// arenaChunk is the size of the blocks the arena hands values out of.
const arenaChunk = 256 << 10

// Alloc returns n zeroed bytes for a value to hand to bbolt, which keeps
// it until the transaction commits: the values of one transaction share a
// few large blocks instead of taking an allocation each.
func (t *Tx) Alloc(n int) []byte {
	if n > arenaChunk/4 {
		return make([]byte, n)
	}
	if cap(t.arena)-len(t.arena) < n {
		t.arena = make([]byte, 0, arenaChunk)
	}
	v := t.arena[len(t.arena) : len(t.arena)+n : len(t.arena)+n]
	t.arena = t.arena[:len(t.arena)+n]
	return v
}

// Marshal encodes m deterministically into the arena (see [Tx.Alloc]). A
// value is never written over once handed out.
func (t *Tx) Marshal(m proto.Message) ([]byte, error) {
	if cap(t.arena)-len(t.arena) < 4<<10 {
		t.arena = make([]byte, 0, arenaChunk)
	}
	free := t.arena[len(t.arena):len(t.arena):cap(t.arena)]
	v, err := marshal.MarshalAppend(free, m)
	if err != nil {
		return nil, err
	}
	if len(v) <= cap(free) {
		// Encoded in place: take it from the arena, capacity and all,
		// so that nothing appended to v can reach the next value.
		t.arena = t.arena[:len(t.arena)+len(v)]
		v = v[:len(v):len(v)]
	}
	return v, nil
}

// errVanished reports a handle whose bucket is gone.
func errVanished(path [][]byte) error {
	return fmt.Errorf("%w: bucket %q vanished", ErrCorrupt, path)
}
