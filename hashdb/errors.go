package hashdb

import "errors"

// Sentinel errors. Every error the package returns wraps at most a few of
// these, so callers can test the cause with [errors.Is] while the message
// names the detail.
var (
	// ErrInvalidSignal reports a signal that cannot be parsed or built:
	// wrong length for its algorithm, a non-hex character, a missing prefix.
	ErrInvalidSignal = errors.New("hashdb: invalid signal")

	// ErrUnknownAlgorithm reports an algorithm name or number hashshare does
	// not know.
	ErrUnknownAlgorithm = errors.New("hashdb: unknown algorithm")

	// ErrIncomparable reports a distance asked across algorithms or of a
	// cryptographic digest.
	ErrIncomparable = errors.New("hashdb: signals are not comparable")
)
