package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/hashshare/hashshare/hashdb/vpdq"
)

// The two text forms of a vPDQ that "hashdb hash" prints. They are
// written here until hashdb/vpdq's String and WriteCPP land, which
// replace them.

// pytxForm is python-threatexchange's signal string of v, without the
// "vpdq:" prefix: vpdq_util.vpdq_to_json, a JSON list of
// "hex,quality,seconds" strings with Python's ", " separator and its .3
// float format.
func pytxForm(v *vpdq.Hash) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, f := range v.Features {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "\"%x,%d,%s\"", f.PDQ, f.Quality, pyFormat3(f.Seconds))
	}
	b.WriteByte(']')
	return b.String()
}

// pyFormat3 is Python's format(x, '.3') for a finite x ≥ 0: three
// significant digits in general format, trailing zeros dropped but a
// fixed-point form keeping ".0", scientific from 100 (exponent ≥ 2, one
// below the precision: unlike %g), with a signed two-digit exponent:
// 0.0, 0.033, 30.0, 9.97, 1e+02, 1.23e+02, 6e+02.
func pyFormat3(x float64) string {
	if x == 0 {
		return "0.0"
	}
	sci := strconv.FormatFloat(x, 'e', 2, 64) // rounded to 3 digits: d.dde±XX
	mant, exp, _ := strings.Cut(sci, "e")
	e, _ := strconv.Atoi(exp)
	if e < -4 || e >= 2 { // Python switches at exp >= precision - 1 for this format
		mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
		return mant + "e" + exp
	}
	s := strconv.FormatFloat(x, 'f', 2-e, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
	}
	if strings.HasSuffix(s, ".") || !strings.Contains(s, ".") {
		s = strings.TrimSuffix(s, ".") + ".0"
	}
	return s
}

// writeCPP writes v in the per-frame format of Meta's vpdq-hash-video:
// frame,quality,hex,seconds with 3 decimals, one line a frame.
func writeCPP(w io.Writer, v *vpdq.Hash) error {
	for _, f := range v.Features {
		if _, err := fmt.Fprintf(w, "%d,%d,%x,%s\n", f.Frame, f.Quality, f.PDQ, strconv.FormatFloat(f.Seconds, 'f', 3, 64)); err != nil {
			return err
		}
	}
	return nil
}
