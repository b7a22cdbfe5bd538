package signal

import "errors"

// Sentinel errors. Like strconv's, they carry no package prefix: they are
// wrapped by whatever parsed or compared the signal, which names the input.
var (
	// ErrInvalid reports a signal that cannot be parsed or built: wrong
	// length for its algorithm, a non-hex character, a missing prefix.
	ErrInvalid = errors.New("invalid signal")

	// ErrUnknownAlgorithm reports an algorithm name or number hashshare
	// does not know.
	ErrUnknownAlgorithm = errors.New("unknown algorithm")

	// ErrIncomparable reports a distance asked across algorithms or of a
	// cryptographic digest.
	ErrIncomparable = errors.New("signals are not comparable")
)
