package hashdb

import "errors"

// Sentinel errors. Every error the package returns wraps at most a few of
// these, so callers can test the cause with [errors.Is] while the message
// names the detail.
var (
	// ErrInvalidItem reports an item that cannot be stored: a bad key, no
	// signals, a bad label, a missing sharing level, a limit exceeded.
	ErrInvalidItem = errors.New("hashdb: invalid item")

	// ErrInvalidLabel reports a label outside the allowed alphabet or
	// length.
	ErrInvalidLabel = errors.New("hashdb: invalid label")

	// ErrInvalidTLP reports a sharing level that is not one of TLP 2.0's.
	ErrInvalidTLP = errors.New("hashdb: invalid TLP")

	// ErrInvalidOpinion reports an opinion that cannot be stored.
	ErrInvalidOpinion = errors.New("hashdb: invalid opinion")

	// ErrInvalidPeer reports a peer that cannot be stored.
	ErrInvalidPeer = errors.New("hashdb: invalid peer")

	// ErrInvalidOptions reports [Options] that fail [Options.Validate].
	ErrInvalidOptions = errors.New("hashdb: invalid options")

	// ErrNotFound reports an item, opinion or peer that is not stored.
	ErrNotFound = errors.New("hashdb: not found")

	// ErrLocked reports a database file another process (or another [DB] in
	// this one) holds open for writing past the lock timeout.
	ErrLocked = errors.New("hashdb: database is locked")

	// ErrNotDatabase reports a path that does not hold a hashshare
	// database: an empty path, a directory, a file of another format, a
	// bbolt file without hashshare's metadata.
	ErrNotDatabase = errors.New("hashdb: not a hashshare database")

	// ErrSchemaVersion reports a database written by a newer version of
	// hashshare than the running one, or by a pre-release build with an
	// older record layout.
	ErrSchemaVersion = errors.New("hashdb: unsupported schema version")

	// ErrCorrupt reports a stored record that cannot be decoded or that
	// contradicts another; [DB.Check] lists every such problem.
	ErrCorrupt = errors.New("hashdb: database is corrupt")

	// ErrReadOnly reports a write to a database opened read-only.
	ErrReadOnly = errors.New("hashdb: database is read-only")

	// ErrClosed reports use of a closed [DB].
	ErrClosed = errors.New("hashdb: database is closed")
)
