//go:build !amd64 || purego

package tmk

// kernels sets out[i] to kernelAt(cc, ss, alpha[i], beta[i]); alpha and
// beta are at least as long as out.
func kernels(cc, ss *[NumCoefficients]float32, alpha, beta, out []float32) {
	kernelsGeneric(cc, ss, alpha, beta, out)
}
