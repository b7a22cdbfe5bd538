package tmk

import "errors"

// ErrInvalid reports bytes or text that are not a TMK+PDQF hash: a wrong
// magic, frame rate, period, coefficient or dimension count, a size other
// than [FileSize], a string without the "TMK1FVECPDQF|" prefix or with bad
// base64. The message says which.
var ErrInvalid = errors.New("invalid tmk hash")

// ErrIncompatible reports two hashes made with different periods or
// Fourier coefficients, which the reference refuses to score.
var ErrIncompatible = errors.New("tmk hashes made with different parameters")
