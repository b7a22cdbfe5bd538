package store

import "errors"

// Sentinel errors. Their texts carry no prefix: hashdb returns them as its
// own (hashdb.ErrCorrupt is ErrCorrupt), under its own prefix.
var (
	// ErrCorrupt reports a record of the store's own (a journal, an undo
	// record, a key, a missing bucket) that cannot be what it wrote.
	ErrCorrupt = errors.New("database is corrupt")

	// ErrNotDatabase reports a bbolt file that is not a hashshare
	// database.
	ErrNotDatabase = errors.New("not a hashshare database")

	// ErrSchemaVersion reports a file of a schema version this code does
	// not read.
	ErrSchemaVersion = errors.New("unsupported schema version")

	// ErrDone reports use of a [Tx] after Commit or Discard.
	ErrDone = errors.New("transaction is done")
)
