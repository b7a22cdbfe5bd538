package tmk

import "math"

// A Builder accumulates a video's frame features into a [Hash] as the
// reference's TMKFeatureVectors does: in frame order, in its precision
// (float32 sums, double trigonometry). The zero value is not usable; call
// [NewBuilder]. A Builder is about 260 KiB.
type Builder struct {
	h    Hash
	norm [Dim]float32
	n    int32
}

// NewBuilder returns a Builder with the reference's periods and
// coefficients.
func NewBuilder() *Builder {
	return &Builder{h: Hash{Periods: Periods, Coefficients: Coefficients}}
}

// Add ingests the next frame's 256-float PDQF feature.
func (b *Builder) Add(f *[Dim]float32) {
	h := &b.h
	for k, v := range f {
		h.Average[k] += v
	}
	b.norm = *f
	l2normalize(b.norm[:])
	t := b.n
	for i, period := range h.Periods {
		c0 := &h.Cos[i][0]
		for k, v := range b.norm {
			c0[k] += v
		}
		for j := 1; j < NumCoefficients; j++ {
			arg := 2.0 * math.Pi * float64(j) * float64(t) / float64(period)
			ca, sa := math.Cos(arg), math.Sin(arg)
			cj, sj := &h.Cos[i][j], &h.Sin[i][j]
			for k, v := range b.norm {
				cj[k] = float32(float64(cj[k]) + float64(v)*ca)
				sj[k] = float32(float64(sj[k]) + float64(v)*sa)
			}
		}
	}
	b.n++
}

// Frames returns the number of frames added.
func (b *Builder) Frames() int { return int(b.n) }

// Hash finishes the hash: the pure average divided by the frame count and
// each Fourier feature L2-normalised and scaled by the square root of its
// coefficient. It returns nil when no frame was added (the reference
// writes such a hash, of zeros, but it matches nothing). The Builder must
// not be used afterwards.
func (b *Builder) Hash() *Hash {
	if b.n == 0 {
		return nil
	}
	h := &b.h
	h.Frames = b.n
	for k := range h.Average {
		h.Average[k] /= float32(b.n)
	}
	for i := range NumPeriods {
		for j := range NumCoefficients {
			s := float32(math.Sqrt(float64(h.Coefficients[j])))
			for _, v := range []*[Dim]float32{&h.Cos[i][j], &h.Sin[i][j]} {
				l2normalize(v[:])
				for k := range v {
					v[k] *= s
				}
			}
		}
	}
	out := *h
	return &out
}

func l2normalize(v []float32) {
	if n := norm(v); n > 0 {
		for k := range v {
			v[k] /= n
		}
	}
}
