package hashdb

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashshare/hashshare/internal/store"
)

// Sentinel errors. Every error the package returns wraps at most a few of
// these, so callers can test the cause with [errors.Is] while the message
// names the detail. The sentinels' own texts carry no prefix: an error
// leaves the package with "hashdb: " once, followed by the operation that
// failed, as in "hashdb: open x.db: database is locked: another process
// holds it (waited 1s)".
var (
	// ErrInvalidItem reports an item that cannot be stored: a bad key, no
	// signals, a bad label, a missing sharing level, a limit exceeded.
	ErrInvalidItem = errors.New("invalid item")

	// ErrForeignSource reports a [DB.Put] of an item whose source is not
	// the local organisation: [DB.PutForeign] stores items that came from
	// elsewhere, saying where from.
	ErrForeignSource = errors.New("item of another organisation")

	// ErrInvalidLabel reports a label outside the allowed alphabet or
	// length.
	ErrInvalidLabel = errors.New("invalid label")

	// ErrInvalidOpinion reports an opinion that cannot be stored.
	ErrInvalidOpinion = errors.New("invalid opinion")

	// ErrInvalidPeer reports a peer that cannot be stored.
	ErrInvalidPeer = errors.New("invalid peer")

	// ErrInvalidOptions reports [Options] that fail [Options.Validate].
	ErrInvalidOptions = errors.New("invalid options")

	// ErrNotFound reports an item, opinion or peer that is not stored.
	ErrNotFound = errors.New("not found")

	// ErrLocked reports a database file another process (or another [DB] in
	// this one) holds open for writing past the lock timeout.
	ErrLocked = errors.New("database is locked")

	// ErrNotDatabase reports a path that does not hold a hashshare
	// database: an empty path, a directory, a file of another format, a
	// bbolt file without hashshare's metadata.
	ErrNotDatabase = store.ErrNotDatabase

	// ErrSchemaVersion reports a database written by a newer version of
	// hashshare than the running one, or by a pre-release build with an
	// older record layout.
	ErrSchemaVersion = store.ErrSchemaVersion

	// ErrCorrupt reports a stored record that cannot be decoded or that
	// contradicts another; [DB.Check] lists every such problem.
	ErrCorrupt = store.ErrCorrupt

	// ErrReadOnly reports a write to a database opened read-only.
	ErrReadOnly = errors.New("database is read-only")

	// ErrClosed reports use of a closed [DB].
	ErrClosed = errors.New("database is closed")
)

// errPrefix starts every error an exported function returns.
const errPrefix = "hashdb: "

// wrapErr replaces *err, if not nil, with [opError] of op; deferred by
// the exported methods.
func wrapErr(err *error, op string) {
	if *err != nil {
		*err = opError(op, *err)
	}
}

// wrapErrOf is wrapErr for an operation named with its subject ("get
// local/17"): op runs only on failure, so a successful Get or Lookup
// formats nothing and allocates nothing for it.
func wrapErrOf(err *error, op func() string) {
	if *err != nil {
		*err = opError(op(), *err)
	}
}

// opError wraps err, the failure of the exported operation op (such as
// "open x.db" or "put local/17"; "" for a plain parse or check), as the
// package returns it: prefixed once. An error that already carries the
// prefix, from an exported function called inside another, is returned as
// it is.
func opError(op string, err error) error {
	switch {
	case err == nil || strings.HasPrefix(err.Error(), errPrefix):
		return err
	case op == "":
		return fmt.Errorf("%s%w", errPrefix, err)
	}
	return fmt.Errorf("%s%s: %w", errPrefix, op, err)
}
