package tmk

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// The .tmk file layout (tmk/cpp/io/tmkio.cpp, little-endian as fwrite
// writes it on x86-64 and arm64).
const (
	headerSize = 32
	periodsAt  = headerSize
	coefsAt    = periodsAt + 4*NumPeriods
	averageAt  = coefsAt + 4*NumCoefficients
	cosAt      = averageAt + 4*Dim
	sinAt      = cosAt + 4*NumPeriods*NumCoefficients*Dim
	// FileSize is the size of every .tmk file: 263,344 bytes.
	FileSize = sinAt + 4*NumPeriods*NumCoefficients*Dim
)

// magic is the file's first 12 bytes: project, file type and frame
// feature ("TMK1", "FVEC", "PDQF").
const magic = "TMK1FVECPDQF"

// StringPrefix starts ThreatExchange's string form (indicator type
// HASH_TMK): the file's 12 magic bytes, then "|", then the base64 of the
// rest of the file.
const StringPrefix = magic + "|"

// StringLen is the length of every hash's string form: 351,125.
var StringLen = len(StringPrefix) + base64.StdEncoding.EncodedLen(FileSize-len(magic))

// Parse reads a hash from the bytes of a .tmk file. Anything but a
// TMK+PDQF file of the reference's parameters and exact size is an error
// wrapping [ErrInvalid].
func Parse(b []byte) (*Hash, error) {
	if len(b) < headerSize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrInvalid, len(b), FileSize)
	}
	if err := checkHeader(b); err != nil {
		return nil, err
	}
	if len(b) != FileSize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrInvalid, len(b), FileSize)
	}
	le := binary.LittleEndian
	h := &Hash{Frames: int32(le.Uint32(b[28:]))}
	for i := range h.Periods {
		h.Periods[i] = int32(le.Uint32(b[periodsAt+4*i:]))
		if h.Periods[i] <= 0 {
			return nil, fmt.Errorf("%w: period %d is %d", ErrInvalid, i, h.Periods[i])
		}
	}
	floats(h.Coefficients[:], b[coefsAt:])
	floats(h.Average[:], b[averageAt:])
	for p := range NumPeriods {
		for c := range NumCoefficients {
			at := 4 * Dim * (p*NumCoefficients + c)
			floats(h.Cos[p][c][:], b[cosAt+at:])
			floats(h.Sin[p][c][:], b[sinAt+at:])
		}
	}
	return h, nil
}

// checkHeader checks the 32-byte header's magics and parameters.
func checkHeader(b []byte) error {
	for i, want := range []string{"TMK1", "FVEC", "PDQF"} {
		if got := string(b[4*i : 4*i+4]); got != want {
			return fmt.Errorf("%w: magic %q at byte %d, want %q", ErrInvalid, got, 4*i, want)
		}
	}
	le := binary.LittleEndian
	for _, f := range []struct {
		name string
		at   int
		want int32
	}{{"frames per second", 12, FPS}, {"period count", 16, NumPeriods}, {"Fourier coefficient count", 20, NumCoefficients}, {"frame-feature dimension", 24, Dim}} {
		if got := int32(le.Uint32(b[f.at:])); got != f.want {
			return fmt.Errorf("%w: %s %d, want %d", ErrInvalid, f.name, got, f.want)
		}
	}
	if n := int32(le.Uint32(b[28:])); n < 0 {
		return fmt.Errorf("%w: frame count %d", ErrInvalid, n)
	}
	return nil
}

func floats(dst []float32, b []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

func appendFloats(b []byte, src []float32) []byte {
	for _, f := range src {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return b
}

// MarshalBinary returns the hash as the bytes of a .tmk file.
func (h *Hash) MarshalBinary() ([]byte, error) {
	return h.AppendBinary(make([]byte, 0, FileSize))
}

// AppendBinary appends the hash's .tmk file bytes to b.
func (h *Hash) AppendBinary(b []byte) ([]byte, error) {
	le := binary.LittleEndian
	b = append(b, magic...)
	for _, v := range []int32{FPS, NumPeriods, NumCoefficients, Dim, h.Frames} {
		b = le.AppendUint32(b, uint32(v))
	}
	for _, p := range h.Periods {
		b = le.AppendUint32(b, uint32(p))
	}
	b = appendFloats(b, h.Coefficients[:])
	b = appendFloats(b, h.Average[:])
	for _, f := range []*Features{&h.Cos, &h.Sin} {
		for p := range f {
			for c := range f[p] {
				b = appendFloats(b, f[p][c][:])
			}
		}
	}
	return b, nil
}

// UnmarshalBinary sets h from the bytes of a .tmk file; see [Parse].
func (h *Hash) UnmarshalBinary(b []byte) error {
	p, err := Parse(b)
	if err != nil {
		return err
	}
	*h = *p
	return nil
}

// String returns ThreatExchange's string form: "TMK1FVECPDQF|" and the
// base64 (standard, padded) of the file's bytes after its 12 magic bytes.
func (h *Hash) String() string {
	b, _ := h.MarshalBinary()
	var s strings.Builder
	s.Grow(StringLen)
	s.WriteString(StringPrefix)
	enc := base64.NewEncoder(base64.StdEncoding, &s)
	enc.Write(b[len(magic):])
	enc.Close()
	return s.String()
}

// ParseString reads ThreatExchange's string form (see [Hash.String]).
// Surrounding white space is ignored.
func ParseString(s string) (*Hash, error) {
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, StringPrefix)
	if !ok {
		n := min(len(s), len(StringPrefix))
		return nil, fmt.Errorf("%w: string starts %q, want %q", ErrInvalid, s[:n], StringPrefix)
	}
	if len(s) != StringLen {
		return nil, fmt.Errorf("%w: string of %d characters, want %d", ErrInvalid, len(s), StringLen)
	}
	b := make([]byte, len(magic), FileSize)
	copy(b, magic)
	body, err := base64.StdEncoding.Strict().DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: base64: %v", ErrInvalid, err)
	}
	return Parse(append(b, body...))
}

// MarshalText returns the string form; see [Hash.String].
func (h *Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText sets h from the string form; see [ParseString].
func (h *Hash) UnmarshalText(b []byte) error {
	p, err := ParseString(string(b))
	if err != nil {
		return err
	}
	*h = *p
	return nil
}
