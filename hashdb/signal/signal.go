package signal

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"fmt"
	"math/bits"
	"strings"
)

// A Signal is the output of one algorithm for one piece of media: an
// algorithm and its value.
//
// Signals are small comparable values and may be used as map keys. The zero
// Signal is invalid. Create one with [Parse], [ParseHex] or
// [New], never by filling the struct.
type Signal struct {
	alg Algorithm
	val [maxBits / 8]byte // the first alg.Bits()/8 bytes hold the value
}

// New returns the signal of algorithm a with the given raw value, which
// must be exactly a.Bits()/8 bytes: for PDQ the 32 bytes of its hex form in
// order; for the 64-bit hashes the big-endian uint64; for digests the digest.
func New(a Algorithm, value []byte) (Signal, error) {
	if !a.Valid() {
		return Signal{}, fmt.Errorf("%w: %w: %d", ErrInvalid, ErrUnknownAlgorithm, uint8(a))
	}
	if len(value)*8 != a.Bits() {
		return Signal{}, fmt.Errorf("%w: %s value must be %d bytes, got %d", ErrInvalid, a, a.Bits()/8, len(value))
	}
	s := Signal{alg: a}
	copy(s.val[:], value)
	return s, nil
}

// FromUint64 returns the signal of a 64-bit algorithm (pHash, dHash,
// aHash) whose value is v, most significant bit first — the layout
// goimagehash's GetHash and Python's imagehash use.
func FromUint64(a Algorithm, v uint64) (Signal, error) {
	if a.Bits() != 64 {
		return Signal{}, fmt.Errorf("%w: %s is not a 64-bit algorithm", ErrInvalid, a)
	}
	s := Signal{alg: a}
	for i := range 8 {
		s.val[i] = byte(v >> (56 - 8*i))
	}
	return s, nil
}

// Parse parses the prefixed form "<algorithm>:<hex>", such as
// "pdq:f8f8…" or "md5:d41d8cd98f00b204e9800998ecf8427e". goimagehash's own
// forms "p:<hex>", "d:<hex>" and "a:<hex>" are accepted too. Upper-case hex,
// an upper-case prefix and surrounding white space are accepted; anything
// else is an error wrapping [ErrInvalid] that names what was wrong.
func Parse(s string) (Signal, error) {
	t := strings.TrimSpace(s)
	prefix, value, ok := strings.Cut(t, ":")
	if !ok {
		if t == "" {
			return Signal{}, fmt.Errorf("%w: empty string", ErrInvalid)
		}
		return Signal{}, fmt.Errorf("%w: %q has no algorithm prefix (want <algorithm>:<hex>, e.g. pdq:<64 hex>)", ErrInvalid, truncate(s))
	}
	a, err := ParseAlgorithm(prefix)
	if err != nil {
		return Signal{}, fmt.Errorf("%w: %q: %w", ErrInvalid, truncate(s), err)
	}
	return ParseHex(a, value)
}

// ParseHex parses the bare hex form of a signal of algorithm a: exactly
// a.HexLen() hex digits, upper or lower case, surrounding white space
// ignored. Errors wrap [ErrInvalid] and name the algorithm, the expected
// length and what was wrong.
func ParseHex(a Algorithm, h string) (Signal, error) {
	if !a.Valid() {
		return Signal{}, fmt.Errorf("%w: %w: %d", ErrInvalid, ErrUnknownAlgorithm, uint8(a))
	}
	t := strings.TrimSpace(h)
	want := a.HexLen()
	switch {
	case t == "":
		return Signal{}, fmt.Errorf("%w: %s: empty value (want %d hex digits)", ErrInvalid, a, want)
	case len(t) != want:
		return Signal{}, fmt.Errorf("%w: %s: %d characters, want %d hex digits", ErrInvalid, a, len(t), want)
	}
	s := Signal{alg: a}
	for i := 0; i < len(t); i += 2 {
		hi, ok1 := unhex(t[i])
		lo, ok2 := unhex(t[i+1])
		if !ok1 || !ok2 {
			bad := i
			if ok1 {
				bad = i + 1
			}
			return Signal{}, fmt.Errorf("%w: %s: character %q at offset %d is not a hex digit (want %d hex digits)", ErrInvalid, a, t[bad], bad, want)
		}
		s.val[i/2] = hi<<4 | lo
	}
	return s, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func truncate(s string) string {
	const max = 80
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// Algorithm returns the signal's algorithm.
func (s Signal) Algorithm() Algorithm { return s.alg }

// IsZero reports whether s is the zero Signal, which holds no algorithm.
func (s Signal) IsZero() bool { return s.alg == 0 }

// Bytes returns a copy of the raw value (see [New] for its layout).
func (s Signal) Bytes() []byte {
	return append([]byte(nil), s.val[:s.alg.Bits()/8]...)
}

// AppendBytes appends the raw value to b and returns the result: what
// [Signal.Bytes] returns, without an allocation of its own, for encoders
// and keys.
func (s Signal) AppendBytes(b []byte) []byte {
	return append(b, s.val[:s.alg.Bits()/8]...)
}

// Uint64 returns the value of a 64-bit signal as imagehash lays it out, most
// significant bit first. It returns 0 for wider signals.
func (s Signal) Uint64() uint64 {
	if s.alg.Bits() != 64 {
		return 0
	}
	var v uint64
	for _, b := range s.val[:8] {
		v = v<<8 | uint64(b)
	}
	return v
}

// Words returns the value as big-endian 64-bit words: one word for 64-bit
// signals, four for PDQ and SHA-256, and the value zero-padded to whole
// words for MD5 and SHA-1. For the perceptual algorithms this is the code
// package match takes, for callers that build their own index.
func (s Signal) Words() []uint64 {
	n := (s.alg.Bits() + 63) / 64
	w := make([]uint64, n)
	for i := range w {
		for _, b := range s.val[i*8 : i*8+8] {
			w[i] = w[i]<<8 | uint64(b)
		}
	}
	return w
}

// AppendWords appends [Signal.Words] to dst and returns the result.
func (s Signal) AppendWords(dst []uint64) []uint64 {
	for i := 0; i < s.alg.Bits(); i += 64 {
		var w uint64
		for _, b := range s.val[i/8 : i/8+8] {
			w = w<<8 | uint64(b)
		}
		dst = append(dst, w)
	}
	return dst
}

// Compare orders signals by algorithm, then by value: -1 if s sorts
// before t, +1 after, 0 if they are equal. It is the order items keep
// their signals in.
func (s Signal) Compare(t Signal) int {
	if s.alg != t.alg {
		return cmp.Compare(s.alg, t.alg)
	}
	return bytes.Compare(s.val[:], t.val[:])
}

// Hex returns the bare lowercase hex form, such as the 64 characters of a
// PDQ hash exactly as Meta's reference prints it.
func (s Signal) Hex() string { return hex.EncodeToString(s.val[:s.alg.Bits()/8]) }

// String returns the prefixed form "<algorithm>:<hex>", which [Parse]
// reads back. The zero Signal prints as "invalid".
func (s Signal) String() string {
	if !s.alg.Valid() {
		return "invalid"
	}
	return s.alg.String() + ":" + s.Hex()
}

// MarshalText encodes s in its prefixed form.
func (s Signal) MarshalText() ([]byte, error) {
	if !s.alg.Valid() {
		return nil, fmt.Errorf("%w: zero Signal", ErrInvalid)
	}
	return []byte(s.String()), nil
}

// UnmarshalText decodes the prefixed form, as [Parse] does.
func (s *Signal) UnmarshalText(text []byte) error {
	v, err := Parse(string(text))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Distance returns the Hamming distance between two perceptual signals of one
// algorithm: the number of bits in which they differ. Asking across
// algorithms, or for a cryptographic digest, is an error wrapping
// [ErrIncomparable], never a number.
func (s Signal) Distance(t Signal) (int, error) {
	switch {
	case !s.alg.Valid() || !t.alg.Valid():
		return 0, fmt.Errorf("%w: zero Signal", ErrIncomparable)
	case s.alg != t.alg:
		return 0, fmt.Errorf("%w: %s and %s are different algorithms", ErrIncomparable, s.alg, t.alg)
	case !s.alg.Perceptual():
		return 0, fmt.Errorf("%w: %s is a cryptographic digest: compare for equality", ErrIncomparable, s.alg)
	}
	d := 0
	for i := range s.alg.Bits() / 8 {
		d += bits.OnesCount8(s.val[i] ^ t.val[i])
	}
	return d, nil
}
