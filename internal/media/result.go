package media

import (
	"fmt"
	"time"

	"github.com/hashshare/hashshare/internal/pdq"
)

// Alg identifies one algorithm inside this package; package hashdb maps its
// own Algorithm values onto these.
type Alg uint8

// The algorithms, in hashdb's order.
const (
	PDQ Alg = iota
	PHash
	DHash
	AHash
	MD5
	SHA1
	SHA256
	NumAlgs
)

// Set is a set of algorithms.
type Set uint16

// All is every algorithm.
const All Set = 1<<NumAlgs - 1

// perceptual is the set of algorithms that hash pixels.
const perceptual Set = 1<<PDQ | 1<<PHash | 1<<DHash | 1<<AHash

// digests is the set of algorithms that hash bytes.
const digests Set = 1<<MD5 | 1<<SHA1 | 1<<SHA256

// Of returns the set holding the given algorithms.
func Of(algs ...Alg) Set {
	var s Set
	for _, a := range algs {
		s |= 1 << a
	}
	return s
}

// Has reports whether a is in s.
func (s Set) Has(a Alg) bool { return s&(1<<a) != 0 }

// Reasons an algorithm did not apply, reported in Result.Skipped.
const (
	NotRequested = "not requested"
	NotImage     = "not an image"
	TooSmall     = "image smaller than 5 px"
	NoPixels     = "image has no pixels"
	NoBytes      = "no bytes: hashed a decoded image"
	Failed       = "image could not be hashed"
)

// Result is what Hash and HashImage found.
type Result struct {
	Format        string // "jpeg", "png", "gif", "bmp", "tiff", "webp", or "" when not an image
	Width, Height int    // of the image as decoded; 0 when not an image
	Size          int64  // bytes read; 0 for HashImage

	Done                Set             // the algorithms whose value below is set
	Skipped             [NumAlgs]string // why each algorithm not in Done was not computed
	Weak                Set             // algorithms in Done whose value carries too little information to match on
	MD5                 [16]byte        //
	SHA1                [20]byte        //
	SHA256              [32]byte        //
	PDQ                 pdq.Hash        //
	Quality             int             // PDQ quality, 0 to 100
	Dihedral            *[8]pdq.Hash    // PDQ of the 8 rotations and reflections, when asked; Dihedral[0] == PDQ
	PHash, DHash, AHash uint64          // goimagehash's values

	// LumaStdDev is the standard deviation of the normalised image's luma
	// in grey levels (0-255); below MinLumaStdDev the 64-bit hashes are Weak.
	LumaStdDev float64

	// Stages records how long each stage took, for benchmarks. Stages run
	// concurrently, so they may add up to more than the whole.
	Stages Stages
}

// Stages are the durations of the stages of one Hash call.
type Stages struct {
	Read, Digest, Decode, Normalise, PDQ, PHash, DHash, AHash, Total time.Duration
}

// MinPDQQuality is the PDQ quality below which a PDQ hash is Weak: the
// reference's recommendation.
const MinPDQQuality = 50

// MinLumaStdDev is the luma standard deviation, in grey levels, below which
// the 64-bit hashes of an image are Weak: a flat or nearly flat image hashes
// to 8000000000000000, 0 or ffffffffffffffff (or noise around them), values
// that match every other flat image.
const MinLumaStdDev = 2.0

// Kind classifies an Error.
type Kind uint8

// The kinds of Error.
const (
	// TooLarge: the image is over Options.MaxPixels or Options.MaxImageBytes.
	TooLarge Kind = iota + 1
	// Decode: the bytes look like an image of a format but do not decode.
	Decode
	// Internal: a hash panicked on a decoded image (a bug, recovered).
	Internal
)

// Error is the error Hash and HashImage return for a problem with the media
// itself. Package hashdb maps Kind onto its sentinel errors.
type Error struct {
	Kind   Kind
	Format string // the format sniffed, or ""
	Msg    string // what went wrong
	Err    error  // the underlying error, if any
}

// Error returns the format, what went wrong and the underlying error.
func (e *Error) Error() string {
	s := e.Msg
	if e.Format != "" {
		s = e.Format + ": " + s
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

func errorf(k Kind, format string, err error, msg string, args ...any) *Error {
	return &Error{Kind: k, Format: format, Msg: fmt.Sprintf(msg, args...), Err: err}
}
