package tmk

import (
	"fmt"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

const featuresLen = 4 * NumPeriods * NumCoefficients * Dim

// ToProto packs h for storage and bundles (proto/hashshare/v1/tmk.proto),
// leaving out the reference's periods and coefficients. A nil h gives nil.
func ToProto(h *Hash) *pb.TMKHash {
	if h == nil {
		return nil
	}
	p := &pb.TMKHash{Frames: h.Frames}
	if h.Periods != Periods {
		p.Periods = h.Periods[:]
	}
	if h.Coefficients != Coefficients {
		p.Coefficients = appendFloats(make([]byte, 0, 4*NumCoefficients), h.Coefficients[:])
	}
	p.Average = appendFloats(make([]byte, 0, 4*Dim), h.Average[:])
	p.Cos = make([]byte, 0, featuresLen)
	p.Sin = make([]byte, 0, featuresLen)
	for i := range NumPeriods {
		for j := range NumCoefficients {
			p.Cos = appendFloats(p.Cos, h.Cos[i][j][:])
			p.Sin = appendFloats(p.Sin, h.Sin[i][j][:])
		}
	}
	return p
}

// FromProto unpacks a hash packed by [ToProto]. A nil p gives nil; a
// wrongly sized field an error wrapping [ErrInvalid].
func FromProto(p *pb.TMKHash) (*Hash, error) {
	if p == nil {
		return nil, nil
	}
	if err := CheckProto(p); err != nil {
		return nil, err
	}
	h := &Hash{Frames: p.GetFrames(), Periods: Periods, Coefficients: Coefficients}
	if ps := p.GetPeriods(); len(ps) > 0 {
		copy(h.Periods[:], ps)
	}
	if c := p.GetCoefficients(); len(c) > 0 {
		floats(h.Coefficients[:], c)
	}
	floats(h.Average[:], p.GetAverage())
	cos, sin := p.GetCos(), p.GetSin()
	for i := range NumPeriods {
		for j := range NumCoefficients {
			at := 4 * Dim * (i*NumCoefficients + j)
			floats(h.Cos[i][j][:], cos[at:])
			floats(h.Sin[i][j][:], sin[at:])
		}
	}
	return h, nil
}

// CheckProto checks the shape of a packed hash: each field's size, a
// non-negative frame count and positive periods. Errors wrap [ErrInvalid].
func CheckProto(p *pb.TMKHash) error {
	switch {
	case p.GetFrames() < 0:
		return fmt.Errorf("%w: frame count %d", ErrInvalid, p.GetFrames())
	case len(p.GetPeriods()) != 0 && len(p.GetPeriods()) != NumPeriods:
		return fmt.Errorf("%w: %d periods, want %d", ErrInvalid, len(p.GetPeriods()), NumPeriods)
	case len(p.GetCoefficients()) != 0 && len(p.GetCoefficients()) != 4*NumCoefficients:
		return fmt.Errorf("%w: coefficients of %d bytes, want %d", ErrInvalid, len(p.GetCoefficients()), 4*NumCoefficients)
	case len(p.GetAverage()) != 4*Dim:
		return fmt.Errorf("%w: average of %d bytes, want %d", ErrInvalid, len(p.GetAverage()), 4*Dim)
	case len(p.GetCos()) != featuresLen || len(p.GetSin()) != featuresLen:
		return fmt.Errorf("%w: features of %d and %d bytes, want %d", ErrInvalid, len(p.GetCos()), len(p.GetSin()), featuresLen)
	}
	for i, v := range p.GetPeriods() {
		if v <= 0 {
			return fmt.Errorf("%w: period %d is %d", ErrInvalid, i, v)
		}
	}
	return nil
}
