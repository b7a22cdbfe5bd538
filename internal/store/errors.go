package store

import "errors"

// Sentinel errors. Messages name the detail after the sentinel's text, so
// a caller that maps them onto its own sentinels can keep the detail.
var (
	// ErrCorrupt reports a record of the store's own (a journal, an undo
	// record, a key, a missing bucket) that cannot be what it wrote.
	ErrCorrupt = errors.New("store: corrupt")

	// ErrNotDatabase reports a bbolt file that is not a hashshare
	// database.
	ErrNotDatabase = errors.New("store: not a hashshare database")

	// ErrSchemaVersion reports a file of a schema version this code does
	// not read.
	ErrSchemaVersion = errors.New("store: unsupported schema version")

	// ErrDone reports use of a [Tx] after Commit or Discard.
	ErrDone = errors.New("store: transaction is done")
)
