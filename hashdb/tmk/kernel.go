package tmk

// kernelAt is K(δ) at one offset, given its step (α, β) from
// offsetTrig, as the reference's #else branch computes it: the
// sin/cos recurrence over the coefficients in float32, each product
// rounded before it is added (no fused multiply-add).
func kernelAt(cc, ss *[NumCoefficients]float32, alpha, beta float32) float32 {
	k := cc[0]
	cosJD, sinJD := float32(1), float32(0)
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

// kernelsGeneric sets out[i] to kernelAt(cc, ss, alpha[i], beta[i]),
// four offsets at a time: independent chains, each computed exactly as
// kernelAt computes one, so that float32 latency is hidden.
func kernelsGeneric(cc, ss *[NumCoefficients]float32, alpha, beta, out []float32) {
	alpha, beta = alpha[:len(out)], beta[:len(out)]
	i := 0
	for ; i+4 <= len(out); i += 4 {
		a, b := (*[4]float32)(alpha[i:]), (*[4]float32)(beta[i:])
		k0, k1, k2, k3 := cc[0], cc[0], cc[0], cc[0]
		c0, c1, c2, c3 := float32(1), float32(1), float32(1), float32(1)
		s0, s1, s2, s3 := float32(0), float32(0), float32(0), float32(0)
		for j := 1; j < NumCoefficients; j++ {
			x, y := cc[j], ss[j]
			n0 := float32(a[0]*c0) + float32(b[0]*s0)
			n1 := float32(a[1]*c1) + float32(b[1]*s1)
			n2 := float32(a[2]*c2) + float32(b[2]*s2)
			n3 := float32(a[3]*c3) + float32(b[3]*s3)
			m0 := float32(a[0]*s0) - float32(b[0]*c0)
			m1 := float32(a[1]*s1) - float32(b[1]*c1)
			m2 := float32(a[2]*s2) - float32(b[2]*c2)
			m3 := float32(a[3]*s3) - float32(b[3]*c3)
			c0, c1, c2, c3 = c0-n0, c1-n1, c2-n2, c3-n3
			s0, s1, s2, s3 = s0-m0, s1-m1, s2-m2, s3-m3
			k0 += float32(c0 * x)
			k1 += float32(c1 * x)
			k2 += float32(c2 * x)
			k3 += float32(c3 * x)
			k0 += float32(s0 * y)
			k1 += float32(s1 * y)
			k2 += float32(s2 * y)
			k3 += float32(s3 * y)
		}
		out[i], out[i+1], out[i+2], out[i+3] = k0, k1, k2, k3
	}
	for ; i < len(out); i++ {
		out[i] = kernelAt(cc, ss, alpha[i], beta[i])
	}
}
