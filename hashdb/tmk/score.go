package tmk

import (
	"fmt"
	"math"
)

// The reference's validated default thresholds
// (tmk/cpp/bin/tmk_default_thresholds.h).
const (
	DefaultLevel1 = 0.7
	DefaultLevel2 = 0.7
)

// Thresholds are the scores a pair must reach at each level to match.
// Zero fields mean the defaults; both scores lie in −1…1, so −1 lets every
// pair through, as the reference's --c1 -1 --c2 0.0 nearly does.
type Thresholds struct {
	Level1, Level2 float32
}

func (t Thresholds) withDefaults() Thresholds {
	if t.Level1 == 0 {
		t.Level1 = DefaultLevel1
	}
	if t.Level2 == 0 {
		t.Level2 = DefaultLevel2
	}
	return t
}

// A Score is a pair's level-1 and level-2 scores.
type Score struct {
	// Level1 is the cosine similarity of the pure averages, −1…1.
	Level1 float32
	// Level2 is the best time-offset match of the Fourier features,
	// about 0…1; it is computed only when Level1 passes, and is 0
	// otherwise.
	Level2 float32
}

// Compare scores a against b as the reference's two-level search does:
// level 1, then, only when it reaches t.Level1, level 2. It reports
// whether both scores reach their thresholds. Hashes made with different
// parameters give an error wrapping [ErrIncompatible].
func Compare(a, b *Hash, t Thresholds) (Score, bool, error) {
	if err := Compatible(a, b); err != nil {
		return Score{}, false, err
	}
	t = t.withDefaults()
	s := Score{Level1: Level1(a, b)}
	if !(s.Level1 >= t.Level1) {
		return s, false, nil
	}
	s.Level2 = Level2(a, b)
	return s, s.Level2 >= t.Level2, nil
}

// Compatible reports, as an error wrapping [ErrIncompatible], whether a
// and b were made with different periods or Fourier coefficients (beyond
// the reference's relative tolerance of 1e-6).
func Compatible(a, b *Hash) error {
	if a.Periods != b.Periods {
		return fmt.Errorf("%w: periods %v and %v", ErrIncompatible, a.Periods, b.Periods)
	}
	for i, ca := range a.Coefficients {
		cb := b.Coefficients[i]
		if m := float32(math.Max(math.Abs(float64(ca)), math.Abs(float64(cb)))); m > 0 {
			if rel := float32(math.Abs(float64((ca - cb) / m))); rel > 1e-6 {
				return fmt.Errorf("%w: coefficient %d %g and %g", ErrIncompatible, i, ca, cb)
			}
		}
	}
	return nil
}

// Level1 is the reference's level-1 score: the cosine similarity of the
// pure averages, in float32 and the reference's order (0 when both are
// zero).
func Level1(a, b *Hash) float32 { return cosSim(a.Average[:], b.Average[:]) }

func cosSim(u, v []float32) float32 {
	nu, nv := norm(u), norm(v)
	if nu == 0 && nv == 0 {
		return 0
	}
	return dot(u, v) / float32(nu*nv)
}

// dot is the reference's computeDot: one float32 sum, in order. The
// conversions keep the compiler from fusing the multiply and add, which
// the reference (built without -march) does not.
func dot(u, v []float32) float32 {
	var s float32
	v = v[:len(u)]
	for i, x := range u {
		s += float32(x * v[i])
	}
	return s
}

func norm(u []float32) float32 {
	return float32(math.Sqrt(float64(dot(u, u))))
}

// normalizer is the reference's pair-score normaliser: c₀ + 2 Σ c_j,
// summed in float32 with each term in double.
func normalizer(c *[NumCoefficients]float32) float32 {
	s := c[0]
	for _, x := range c[1:] {
		s = float32(float64(s) + 2.0*float64(x))
	}
	return s
}

// Level2 is the reference's level-2 score: for each period, the best over
// every offset 0…T−1 of the kernel built from the dot products of the
// cosine and sine features (an incremental sin/cos recurrence over the
// coefficients, in float32), maximised over the periods and divided by
// the normaliser. Call it on pairs that pass level 1: it costs about
// 31.5 k offsets × 31 terms, which amd64 runs eight offsets at a time in
// SSE (about a fifth of the time of the scalar scan). Each offset's two
// sines come from a table of the reference's [Periods], built on first
// use; hashes with other periods compute them, at about twice the cost.
func Level2(a, b *Hash) float32 {
	best := float32(0)
	for i := range NumPeriods {
		v := bestOffset(a, b, i)
		if i == 0 || best < v {
			best = v
		}
	}
	return best / normalizer(&a.Coefficients)
}

// offsetChunk is how many offsets bestOffset scores per kernels call.
const offsetChunk = 1024

// bestOffset returns the kernel's largest value over the offsets of
// period i (the first such offset's, as the reference keeps).
func bestOffset(a, b *Hash, i int) float32 {
	var cc, ss [NumCoefficients]float32 // cos·cos + sin·sin, sin·cos − cos·sin
	for j := 0; j < NumCoefficients; j += 2 {
		cc[j], ss[j], cc[j+1], ss[j+1] = crossDots2(
			(*[2][Dim]float32)(a.Cos[i][j:]), (*[2][Dim]float32)(a.Sin[i][j:]),
			(*[2][Dim]float32)(b.Cos[i][j:]), (*[2][Dim]float32)(b.Sin[i][j:]))
	}
	period := int(a.Periods[i])
	steps, ok := trigFor(a.Periods[i])
	var scratch *[2 * offsetChunk]float32 // steps off the table
	if !ok {
		scratch = new([2 * offsetChunk]float32)
	}
	var out [offsetChunk]float32
	var best float32
	for start := 0; start < period; start += offsetChunk {
		n := min(offsetChunk, period-start)
		var al, be []float32
		if ok {
			al, be = steps.alpha[start:start+n], steps.beta[start:start+n]
		} else {
			al, be = scratch[:n], scratch[offsetChunk:offsetChunk+n]
			for k := range n {
				al[k], be[k] = offsetTrig(int32(start+k), a.Periods[i])
			}
		}
		kernels(&cc, &ss, al, be, out[:n])
		if start == 0 {
			best = out[0]
		}
		for _, v := range out[:n] {
			if v > best {
				best = v
			}
		}
	}
	return best
}

// crossDots2 is, for two coefficients' features, dot(ac, bc) +
// dot(as, bs) and dot(as, bc) − dot(ac, bs): eight sums interleaved,
// each still dot's serial sum in index order, so that their float32
// latencies overlap.
func crossDots2(ac, as, bc, bs *[2][Dim]float32) (cc0, ss0, cc1, ss1 float32) {
	var d0, d1, d2, d3, e0, e1, e2, e3 float32
	for k := range Dim {
		d0 += float32(ac[0][k] * bc[0][k])
		d1 += float32(as[0][k] * bs[0][k])
		d2 += float32(as[0][k] * bc[0][k])
		d3 += float32(ac[0][k] * bs[0][k])
		e0 += float32(ac[1][k] * bc[1][k])
		e1 += float32(as[1][k] * bs[1][k])
		e2 += float32(as[1][k] * bc[1][k])
		e3 += float32(ac[1][k] * bs[1][k])
	}
	return d0 + d1, d2 - d3, e0 + e1, e2 - e3
}
