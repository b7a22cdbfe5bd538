//go:build amd64 && !purego

package tmk

// kernels sets out[i] to kernelAt(cc, ss, alpha[i], beta[i]); alpha and
// beta are at least as long as out. Eight offsets at a time run in SSE
// (baseline on amd64): packed float32 multiplies, adds and subtracts in
// kernelAt's order, so each lane is kernelAt's value bit for bit; the
// rest run in Go.
func kernels(cc, ss *[NumCoefficients]float32, alpha, beta, out []float32) {
	alpha, beta = alpha[:len(out)], beta[:len(out)]
	n := len(out) &^ 7
	if n > 0 {
		kernels8(cc, ss, &alpha[0], &beta[0], &out[0], n)
	}
	kernelsGeneric(cc, ss, alpha[n:], beta[n:], out[n:])
}

// kernels8 is kernels on n offsets, n a multiple of 8 (kernel_amd64.s).
//
//go:noescape
func kernels8(cc, ss *[NumCoefficients]float32, alpha, beta, out *float32, n int)
