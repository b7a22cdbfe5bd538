package tmk

import "math"

// The level-2 scan as it was before kernels and the step table: every
// offset's sines computed inline, two scalar chains at a time. It is
// the baseline of BenchmarkLevel2 and the independent oracle the faster
// path is checked against, bit for bit.

// oldLevel2 is Level2 before kernels.
func oldLevel2(a, b *Hash) float32 {
	best := float32(0)
	for i := range NumPeriods {
		v := oldBestOffset(a, b, i)
		if i == 0 || best < v {
			best = v
		}
	}
	return best / normalizer(&a.Coefficients)
}

// oldBestOffset returns the kernel's largest value over the offsets of
// period i (the first such offset's, as the reference keeps).
func oldBestOffset(a, b *Hash, i int) float32 {
	var cc, ss [NumCoefficients]float32 // cos·cos + sin·sin, sin·cos − cos·sin
	for j := range NumCoefficients {
		ac, as, bc, bs := a.Cos[i][j][:], a.Sin[i][j][:], b.Cos[i][j][:], b.Sin[i][j][:]
		cc[j] = dot(ac, bc) + dot(as, bs)
		ss[j] = dot(as, bc) - dot(ac, bs)
	}
	period := a.Periods[i]
	var best float32
	off := int32(0)
	// Two offsets at a time: independent chains, each computed exactly
	// as kernel computes one, so that float32 latency is hidden.
	for ; off+2 <= period; off += 2 {
		k0, k1 := oldKernel2(&cc, &ss, off, period)
		if off == 0 || k0 > best {
			best = k0
		}
		if k1 > best {
			best = k1
		}
	}
	for ; off < period; off++ {
		if k := oldKernel(&cc, &ss, off, period); off == 0 || k > best {
			best = k
		}
	}
	return best
}

// oldKernel2 is oldKernel at offsets off and off+1.
func oldKernel2(cc, ss *[NumCoefficients]float32, off, period int32) (float32, float32) {
	d0 := float32(2.0 * math.Pi * float64(float32(off)) / float64(float32(period)))
	d1 := float32(2.0 * math.Pi * float64(float32(off+1)) / float64(float32(period)))
	b0, b1 := float32(math.Sin(float64(d0))), float32(math.Sin(float64(d1)))
	a0, a1 := float32(math.Sin(float64(d0/2))), float32(math.Sin(float64(d1/2)))
	a0, a1 = float32(2*a0*a0), float32(2*a1*a1)
	k0, k1 := cc[0], cc[0]
	c0, c1 := float32(1), float32(1)
	s0, s1 := float32(0), float32(0)
	for j := 1; j < NumCoefficients; j++ {
		x, y := cc[j], ss[j]
		n0 := float32(a0*c0) + float32(b0*s0)
		n1 := float32(a1*c1) + float32(b1*s1)
		m0 := float32(a0*s0) - float32(b0*c0)
		m1 := float32(a1*s1) - float32(b1*c1)
		c0 -= n0
		c1 -= n1
		s0 -= m0
		s1 -= m1
		k0 += float32(c0 * x)
		k1 += float32(c1 * x)
		k0 += float32(s0 * y)
		k1 += float32(s1 * y)
	}
	return k0, k1
}

// oldKernel is K(δ) at one offset, as the reference's #else branch computes
// it.
func oldKernel(cc, ss *[NumCoefficients]float32, off, period int32) float32 {
	delta := float32(2.0 * math.Pi * float64(float32(off)) / float64(float32(period)))
	k := cc[0]
	cosJD, sinJD := float32(1), float32(0)
	beta := float32(math.Sin(float64(delta)))
	alpha := float32(math.Sin(float64(delta / 2)))
	alpha = float32(2 * alpha * alpha)
	for j := 1; j < NumCoefficients; j++ {
		nc := float32(alpha*cosJD) + float32(beta*sinJD)
		ns := float32(alpha*sinJD) - float32(beta*cosJD)
		cosJD -= nc
		sinJD -= ns
		k += float32(cosJD * cc[j])
		k += float32(sinJD * ss[j])
	}
	return k
}
