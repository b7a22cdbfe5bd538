package vpdq

import (
	"encoding/hex"
	"io"
	"strconv"
	"strings"
)

// Prefix starts the string form of a [Hash], as it starts every hashshare
// signal's.
const Prefix = "vpdq:"

// String returns "vpdq:" and the hash in python-threatexchange's signal
// string form, byte for byte what its vpdq_to_json writes: a JSON list of
// "<hex>,<quality>,<timestamp>" strings separated by ", ", the timestamp
// in Python's format(x, ".3"). Frame numbers and [Video] are not carried.
func (h *Hash) String() string { return Prefix + h.PyTX() }

// PyTX returns the hash in python-threatexchange's signal string form,
// without the prefix: what pytx and HMA store and accept.
func (h *Hash) PyTX() string {
	if h == nil {
		return "[]"
	}
	b := make([]byte, 0, 2+len(h.Features)*(64+16))
	b = append(b, '[')
	for i, f := range h.Features {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '"')
		b = hex.AppendEncode(b, f.PDQ[:])
		b = append(b, ',')
		b = strconv.AppendUint(b, uint64(f.Quality), 10)
		b = append(b, ',')
		b = appendPython3(b, f.Seconds)
		b = append(b, '"')
	}
	return string(append(b, ']'))
}

// appendPython3 appends x as Python's format(x, ".3") writes it: three
// significant digits, scientific notation with a signed two-digit
// exponent when the exponent is below -4 or at least 2, otherwise fixed
// notation without trailing zeros but with at least one digit after the
// point.
func appendPython3(b []byte, x float64) []byte {
	// 'e' with 2 decimals rounds to 3 significant digits exactly as
	// CPython's dtoa does (round half even on the binary value).
	e := strconv.AppendFloat(nil, x, 'e', 2, 64)
	s := string(e)
	if strings.ContainsAny(s, "nN") { // Inf or NaN: Validate refuses them
		return append(b, strings.ToLower(strings.TrimPrefix(s, "+"))...)
	}
	neg := s[0] == '-'
	s = strings.TrimPrefix(s, "-")
	mant, exps, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(exps)
	digits := strings.Replace(mant, ".", "", 1) // 3 digits
	if neg {
		b = append(b, '-')
	}
	if x == 0 {
		return append(b, "0.0"...)
	}
	if exp < -4 || exp >= 2 {
		d := strings.TrimRight(digits, "0")
		b = append(b, d[0])
		if len(d) > 1 {
			b = append(b, '.')
			b = append(b, d[1:]...)
		}
		b = append(b, 'e')
		if exp < 0 {
			b = append(b, '-')
			exp = -exp
		} else {
			b = append(b, '+')
		}
		if exp < 10 {
			b = append(b, '0')
		}
		return strconv.AppendInt(b, int64(exp), 10)
	}
	var intPart, frac string
	switch {
	case exp < 0:
		intPart, frac = "0", strings.Repeat("0", -exp-1)+digits
	default: // exp is 0 or 1
		intPart, frac = digits[:exp+1], digits[exp+1:]
	}
	frac = strings.TrimRight(frac, "0")
	if frac == "" {
		frac = "0"
	}
	b = append(b, intPart...)
	b = append(b, '.')
	return append(b, frac...)
}

// WriteCPP writes the hash in the per-frame file form of Meta's C++
// reference (vpdq-hash-video): one "frame,quality,hex,seconds" line per
// feature, seconds with three decimals. A file the reference wrote is
// re-emitted byte for byte.
func (h *Hash) WriteCPP(w io.Writer) error {
	_, err := w.Write(h.AppendCPP(nil))
	return err
}

// AppendCPP appends the per-frame file form (see [Hash.WriteCPP]) to b.
func (h *Hash) AppendCPP(b []byte) []byte {
	for _, f := range h.Features {
		b = strconv.AppendUint(b, uint64(f.Frame), 10)
		b = append(b, ',')
		b = strconv.AppendUint(b, uint64(f.Quality), 10)
		b = append(b, ',')
		b = hex.AppendEncode(b, f.PDQ[:])
		b = append(b, ',')
		// Go rounds %.3f as glibc's printf does: exactly, half to even.
		b = strconv.AppendFloat(b, f.Seconds, 'f', 3, 64)
		b = append(b, '\n')
	}
	return b
}
