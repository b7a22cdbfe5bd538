package hashdb

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/hashshare/hashshare/internal/store"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// A DB is an open hashshare database: one bbolt file holding items,
// opinions, the change log and peers, and in memory an index per algorithm
// over the live items' signals.
//
// A DB is safe for concurrent use. Reads run in parallel with each other
// and with the one write that runs at a time; each write is one bbolt
// transaction (an import or export, several, which readers see as one),
// durable when the call returns.
type DB struct {
	bolt *bolt.DB
	opts Options
	path string
	id   []byte

	// wmu orders writes and the commit hook, so whatever follows the
	// commits (in-memory match indexes) sees them in sequence order.
	wmu sync.Mutex
	// onCommit, if set, is told after every commit how the live signals
	// changed (see [indexDelta]) and the last change committed.
	onCommit func(d *indexDelta, seq uint64)
	// codesRead reports that the indexes were built from the packed codes
	// rather than by decoding the items (for tests).
	codesRead bool
	// idxBuilt is set once the indexes are built, by the first search
	// (see useIndexes); idxMu serialises that build.
	idxBuilt atomic.Bool
	idxMu    sync.Mutex

	// idx are the match indexes, built at Open and kept in step with every
	// commit by onCommit.
	idx indexes
	// frames is the video frame index once the first video search built
	// it (see useFrameIndex); commits keep it in step.
	frames atomic.Pointer[frameIndex]
	// tmks is the TMK index once the first TMK search built it (see
	// useTMKIndex); commits keep it in step.
	tmks atomic.Pointer[tmkIndex]

	closed atomic.Bool
	// pending reports that the file holds an unfinished staged write,
	// which the next write rolls back first.
	pending atomic.Bool
	// chunk is how many record writes a staged write commits at a time:
	// store.DefaultChunk, or a few in tests that want many transactions.
	chunk int
	// testHookChunk, if set, runs after each intermediate commit of a
	// staged write, with no transaction open: tests read, cancel or die
	// there.
	testHookChunk func()
}

// Open opens the hashshare database at path, creating it if the file does
// not exist (unless opts.ReadOnly). A nil opts, or a zero field of it,
// means the default ([DefaultOptions]).
//
// If a process stopped in the middle of an import or export, which write
// in several transactions, Open undoes what it wrote, so the file reads as
// it was before; read-only, it reads the file that way without changing
// it.
//
// Open reads only the file's metadata. The in-memory match indexes are
// built by the first search ([DB.Match], [DB.MatchHashes], [DB.Lookup]),
// from codes every commit also writes in a packed form (1.4 to 2.7
// seconds for ten million PDQ hashes on two cores), so a process that only
// writes never builds them. A service builds them before taking requests by matching nothing:
// db.Match(ctx, nil, nil).
//
// Errors wrap [ErrLocked] when another writer holds the file past
// opts.Timeout, [ErrNotDatabase] when path is empty, a directory or a file
// that is not a hashshare database, [ErrSchemaVersion] when newer code wrote
// the file, and [ErrInvalidOptions] for bad options.
func Open(path string, opts *Options) (*DB, error) {
	if opts == nil {
		opts = new(Options)
	}
	if err := opts.Validate(); err != nil {
		return nil, opError("open "+path, err)
	}
	filled := opts.withDefaults()
	opts = &filled
	if path == "" {
		return nil, opError("open", fmt.Errorf("%w: empty path", ErrNotDatabase))
	}
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return nil, opError("open "+path, fmt.Errorf("%w: is a directory", ErrNotDatabase))
	case err == nil && !fi.Mode().IsRegular():
		return nil, opError("open "+path, fmt.Errorf("%w: not a regular file", ErrNotDatabase))
	case err != nil && (opts.ReadOnly || !errors.Is(err, os.ErrNotExist)):
		return nil, opError("open", err)
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      opts.lockTimeout(),
		ReadOnly:     opts.ReadOnly,
		FreelistType: bolt.FreelistMapType,
		// Address space only. Each time bbolt grows the mapping during a
		// write it copies every dirty node of the transaction out of the old
		// one, which made large imports quadratic; mapping 1 GiB from the
		// start removes those copies until the file outgrows it.
		InitialMmapSize: initialMmapSize,
	})
	if err != nil {
		switch {
		case errors.Is(err, berrors.ErrTimeout):
			return nil, opError("open "+path, fmt.Errorf("%w: another process holds it (waited %v)", ErrLocked, opts.Timeout))
		case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
			return nil, opError("open "+path, fmt.Errorf("%w: %v", ErrNotDatabase, err))
		}
		return nil, opError("open "+path, err)
	}
	db := &DB{bolt: b, opts: *opts, path: path, chunk: store.DefaultChunk}
	if err := db.init(); err != nil {
		b.Close()
		return nil, opError("open "+path, err)
	}
	if err := db.settleStaged(); err != nil {
		b.Close()
		return nil, opError("open "+path, err)
	}
	db.onCommit = db.committed
	if err := db.settleCodes(); err != nil {
		b.Close()
		return nil, opError("open "+path, err)
	}
	return db, nil
}

// initialMmapSize is the size of bbolt's first memory map of the file.
const initialMmapSize = 1 << 30

// init reads the metadata, creating the schema in a new file, and settles
// the local organisation: opts.Organization, else the one the file records.
// A writable open records an organisation in a file that has none.
func (db *DB) init() error {
	var m *pb.Meta
	var fresh bool
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		m, fresh, err = store.ReadMeta(tx)
		return err
	})
	if err != nil {
		return err
	}
	if fresh {
		if db.opts.ReadOnly {
			return fmt.Errorf("%w: an empty file opened read-only", ErrNotDatabase)
		}
		err = db.bolt.Update(func(tx *bolt.Tx) error {
			m = newMeta(&db.opts)
			return store.Create(tx, m)
		})
		if err != nil {
			return err
		}
	}
	db.id = m.GetDatabaseId()
	if org := m.GetOrganization(); org != "" {
		if err := validateOrg(org); err != nil {
			return fmt.Errorf("%w: metadata: organisation: %v", ErrCorrupt, err)
		}
	}
	switch org := m.GetOrganization(); {
	case db.opts.Organization == "":
		db.opts.Organization = org
	case org == "" && !db.opts.ReadOnly:
		err = db.bolt.Update(func(tx *bolt.Tx) error {
			m, _, err := store.ReadMeta(tx)
			if err != nil {
				return err
			}
			m.Organization = db.opts.Organization
			return store.WriteMeta(tx, m)
		})
		if err != nil {
			return err
		}
	case org != "" && org != db.opts.Organization:
		return fmt.Errorf("%w: Organization %q, but the file belongs to %q", ErrInvalidOptions, db.opts.Organization, org)
	}
	return nil
}

// Organization returns the local organisation's id: [Options.Organization]
// or, when that was empty, the one the file records; "" if neither names
// one.
func (db *DB) Organization() string { return db.opts.Organization }

// Close closes the database, waiting for running reads and writes.
// Closing a closed DB does nothing and returns nil, as bbolt and
// database/sql do; any other use of it fails with [ErrClosed].
func (db *DB) Close() error {
	if db.closed.Swap(true) {
		return nil
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.idxBuilt.Load() {
		db.idx.wait()
	}
	if err := db.bolt.Close(); err != nil {
		return opError("close "+db.path, err)
	}
	return nil
}

// Path returns the file the database was opened from.
func (db *DB) Path() string { return db.path }

// ID returns the database's id, chosen at random when the file was created,
// as 32 hex digits.
func (db *DB) ID() string { return hex.EncodeToString(db.id) }

// view runs fn in a read transaction, the only way the package reads.
func (db *DB) view(fn func(v *view) error) error {
	if db.closed.Load() {
		return ErrClosed
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v, err := store.NewView(tx)
		if err != nil {
			return err
		}
		return fn(&view{v})
	})
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

type actorKey struct{}

// WithActor returns a context that attributes the changes made with it to
// actor, a person or system name recorded in the change log. It is the
// one way to name who made a change: every write (Put, Retract,
// SetOpinion, Import, Export) records its context's actor.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// actorFrom returns the actor WithActor attached to ctx, or "".
func actorFrom(ctx context.Context) string {
	a, _ := ctx.Value(actorKey{}).(string)
	return a
}
