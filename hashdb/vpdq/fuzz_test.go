package vpdq

import (
	"bytes"
	"testing"
)

const fuzzHex = "f00df00df00df00df00df00df00df00df00df00df00df00df00df00df00df00d"

// FuzzParse feeds every form to Parse: it must never panic, accept only
// valid hashes, and the pytx form of what it accepts must parse back to
// the same hashes and qualities.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "[]", "vpdq:[]",
		`["` + fuzzHex + `,100,0.0", "` + fuzzHex + `,49,1.23e+02"]`,
		"0,100," + fuzzHex + ",0.000\n1,90," + fuzzHex + ",0.033\n",
		`{"0": {"quality": 100, "hash": "` + fuzzHex + `", "timestamp": 0.0}}`,
		`["` + fuzzHex + `,100,nan"]`, "{", "[", "0,0,0,0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := Parse(s)
		if err != nil {
			if !isInvalid(err) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if err := h.Validate(); err != nil {
			t.Fatalf("Parse accepted an invalid hash: %v", err)
		}
		p, err := Parse(h.String())
		if err != nil {
			t.Fatalf("String() %q does not parse: %v", h.String(), err)
		}
		if len(p.Features) != len(h.Features) {
			t.Fatalf("%d features back, want %d", len(p.Features), len(h.Features))
		}
		for i := range p.Features {
			if p.Features[i].PDQ != h.Features[i].PDQ || p.Features[i].Quality != h.Features[i].Quality {
				t.Fatalf("feature %d changed in the pytx form", i)
			}
		}
		if p.String() != h.String() {
			t.Fatalf("pytx form not stable: %q then %q", h.String(), p.String())
		}
	})
}

// FuzzParseCPP checks the per-frame form: what parses re-emits to text
// that parses back to the same features.
func FuzzParseCPP(f *testing.F) {
	f.Add([]byte("0,100," + fuzzHex + ",0.000\n30,50," + fuzzHex + ",1.000\n"))
	f.Add([]byte("0,100," + fuzzHex + ",1e5\r\n"))
	f.Add([]byte("4294967295,0," + fuzzHex + ",0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseCPP(b)
		if err != nil {
			if !isInvalid(err) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		out := h.AppendCPP(nil)
		g, err := ParseCPP(out)
		if err != nil {
			t.Fatalf("re-emitted form does not parse: %v\n%s", err, out)
		}
		if !bytes.Equal(g.AppendCPP(nil), out) {
			t.Fatal("re-emitted form not stable")
		}
		for i := range g.Features {
			a, b := g.Features[i], h.Features[i]
			if a.Frame != b.Frame || a.PDQ != b.PDQ || a.Quality != b.Quality {
				t.Fatalf("feature %d changed: %+v, was %+v", i, a, b)
			}
		}
	})
}
