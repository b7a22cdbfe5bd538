package bundle

import "errors"

// Sentinel errors. Every error a [Reader] returns wraps one of these (and
// sometimes the underlying error too), so callers can tell the cause with
// [errors.Is].
var (
	// ErrTruncated reports a stream that ends before its trailer, or in the
	// middle of a frame.
	ErrTruncated = errors.New("bundle: truncated")

	// ErrMalformed reports bytes that are not a well-formed bundle: a frame
	// that does not decode, frames out of order, an unknown field or enum
	// value, a missing or invalid required field, a count that disagrees,
	// data after the trailer, corrupt compression.
	ErrMalformed = errors.New("bundle: malformed")

	// ErrVersion reports a bundle format version this code does not know.
	ErrVersion = errors.New("bundle: unsupported format version")

	// ErrLimit reports a bundle that crosses one of the reader's [Limits].
	ErrLimit = errors.New("bundle: limit exceeded")

	// ErrUnknownKey reports a producer and key id the key lookup does not
	// know, or refuses (such as a revoked key).
	ErrUnknownKey = errors.New("bundle: unknown signing key")

	// ErrSignature reports a signature that does not verify.
	ErrSignature = errors.New("bundle: bad signature")

	// ErrInvalid reports a header, entry or key a [Writer] refuses to
	// write.
	ErrInvalid = errors.New("bundle: invalid input")
)
