package signal

import (
	"fmt"
	"strings"
)

// Algorithm names a hash function whose output is a [Signal].
//
// The zero Algorithm is invalid; it is what a failed parse leaves behind.
type Algorithm uint8

// The algorithms hashshare computes, stores and exchanges.
const (
	// PDQ is Meta's 256-bit perceptual image hash, the format GIFCT and
	// ThreatExchange members share.
	PDQ Algorithm = iota + 1
	// PHash is the 64-bit DCT perceptual hash, as github.com/corona10/goimagehash
	// computes it.
	PHash
	// DHash is the 64-bit difference hash, as goimagehash computes it.
	DHash
	// AHash is the 64-bit average hash, as goimagehash computes it.
	AHash
	// MD5 is the MD5 digest of the raw bytes.
	MD5
	// SHA1 is the SHA-1 digest of the raw bytes.
	SHA1
	// SHA256 is the SHA-256 digest of the raw bytes.
	SHA256
)

// maxBits is the widest signal any algorithm produces.
const maxBits = 256

type algorithmInfo struct {
	name       string
	bits       int
	perceptual bool
	threshold  int
}

var algorithms = [...]algorithmInfo{
	PDQ:    {"pdq", 256, true, 31},
	PHash:  {"phash", 64, true, 10},
	DHash:  {"dhash", 64, true, 10},
	AHash:  {"ahash", 64, true, 10},
	MD5:    {"md5", 128, false, 0},
	SHA1:   {"sha1", 160, false, 0},
	SHA256: {"sha256", 256, false, 0},
}

// Algorithms returns every valid algorithm, in a stable order: the
// perceptual ones first, then the cryptographic ones.
func Algorithms() []Algorithm {
	return []Algorithm{PDQ, PHash, DHash, AHash, MD5, SHA1, SHA256}
}

// Valid reports whether a is one of the defined algorithms.
func (a Algorithm) Valid() bool { return a >= PDQ && a <= SHA256 }

// String returns the canonical lowercase name, such as "pdq" or "sha256",
// the prefix of a signal's string form.
func (a Algorithm) String() string {
	if !a.Valid() {
		return fmt.Sprintf("Algorithm(%d)", uint8(a))
	}
	return algorithms[a].name
}

// Bits returns the width of the algorithm's output in bits, or 0 for an
// invalid algorithm.
func (a Algorithm) Bits() int {
	if !a.Valid() {
		return 0
	}
	return algorithms[a].bits
}

// HexLen returns the length of the algorithm's bare hex form.
func (a Algorithm) HexLen() int { return a.Bits() / 4 }

// Perceptual reports whether similar media give signals at a small Hamming
// distance (PDQ, pHash, dHash, aHash), as opposed to a cryptographic digest
// that only matches exactly.
func (a Algorithm) Perceptual() bool { return a.Valid() && algorithms[a].perceptual }

// DefaultThreshold returns the largest Hamming distance at which two signals
// of this algorithm count as a match by default: 31 of 256 bits for PDQ (the
// reference's recommendation), 10 of 64 for the goimagehash hashes, 0 for
// cryptographic digests.
func (a Algorithm) DefaultThreshold() int {
	if !a.Valid() {
		return 0
	}
	return algorithms[a].threshold
}

// MarshalText encodes a as its canonical name.
func (a Algorithm) MarshalText() ([]byte, error) {
	if !a.Valid() {
		return nil, fmt.Errorf("%w: %d", ErrUnknownAlgorithm, uint8(a))
	}
	return []byte(a.String()), nil
}

// UnmarshalText decodes a canonical name, as [ParseAlgorithm] does.
func (a *Algorithm) UnmarshalText(text []byte) error {
	v, err := ParseAlgorithm(string(text))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// ParseAlgorithm returns the algorithm with the given canonical name. Case
// and surrounding white space are ignored; goimagehash's one-letter kinds
// ("p", "d", "a") are accepted too.
func ParseAlgorithm(name string) (Algorithm, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, a := range Algorithms() {
		if algorithms[a].name == n {
			return a, nil
		}
	}
	switch n {
	case "p":
		return PHash, nil
	case "d":
		return DHash, nil
	case "a":
		return AHash, nil
	}
	return 0, fmt.Errorf("%w: %q (want one of pdq, phash, dhash, ahash, md5, sha1, sha256)", ErrUnknownAlgorithm, name)
}
