package hashdb

import (
	"crypto/rand"
	"errors"
	"fmt"

	berrors "go.etcd.io/bbolt/errors"

	"github.com/hashshare/hashshare/internal/store"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// newMeta returns the metadata of a new database.
func newMeta(o *Options) *pb.Meta {
	id := make([]byte, 16)
	_, _ = rand.Read(id) // never fails (crypto/rand.Read panics rather)
	return &pb.Meta{DatabaseId: id, CreatedUnixNano: o.now().UnixNano(), Organization: o.Organization}
}

// rollbackStaged undoes a staged write that did not finish (see
// [store.Rollback]). It runs under the write lock, or in Open.
func (db *DB) rollbackStaged() error {
	err := store.Rollback(db.bolt, db.chunk)
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	if err != nil {
		db.pending.Store(true)
		return fmt.Errorf("rolling back an unfinished import or export: %w", err)
	}
	db.pending.Store(false)
	return nil
}

// recoverStaged rolls back what an interrupted staged write left, if
// anything; writes call it before they begin.
func (db *DB) recoverStaged() error {
	if !db.pending.Load() {
		return nil
	}
	return db.rollbackStaged()
}

// settleStaged notes whether the file holds an unfinished staged write
// (a process stopped in the middle of an import, say) and, unless the
// database is read-only, rolls it back. Read-only, readers see the file
// as it was before the write.
func (db *DB) settleStaged() error {
	err := db.view(func(v *view) error {
		db.pending.Store(v.Pending())
		return nil
	})
	if err != nil || db.opts.ReadOnly {
		return err
	}
	return db.recoverStaged()
}
