package tmk

import (
	"math"
	"math/rand/v2"
	"testing"
)

// kernelInputs are cc/ss vectors to check kernels on: shaped like real
// ones, random of both signs, all negative, tiny (subnormal products)
// and large.
func kernelInputs() map[string][2][NumCoefficients]float32 {
	r := rand.New(rand.NewPCG(1, 2))
	var shaped, random, negative, tiny, large [2][NumCoefficients]float32
	for j := range NumCoefficients {
		shaped[0][j], shaped[1][j] = Coefficients[j]*0.9, Coefficients[j]*float32(j%3-1)*0.3
		random[0][j], random[1][j] = float32(r.NormFloat64()), float32(r.NormFloat64())
		negative[0][j], negative[1][j] = -float32(r.Float64()), -float32(r.Float64())
		tiny[0][j], tiny[1][j] = float32(r.NormFloat64())*1e-38, float32(r.NormFloat64())*1e-40
		large[0][j], large[1][j] = float32(r.NormFloat64())*1e30, float32(r.NormFloat64())*1e30
	}
	return map[string][2][NumCoefficients]float32{
		"shaped": shaped, "random": random, "negative": negative, "tiny": tiny, "large": large,
	}
}

// kernels and kernelsGeneric equal the old scalar kernel, bit for bit,
// at every offset of every default period, through the step table.
func TestKernelsAreKernel(t *testing.T) {
	impls := []struct {
		name string
		f    func(cc, ss *[NumCoefficients]float32, alpha, beta, out []float32)
	}{{"kernels", kernels}, {"kernelsGeneric", kernelsGeneric}}
	for name, in := range kernelInputs() {
		cc, ss := &in[0], &in[1]
		for _, p := range Periods {
			steps, ok := trigFor(p)
			if !ok {
				t.Fatalf("no steps for period %d", p)
			}
			want := make([]float32, p)
			for off := range p {
				want[off] = oldKernel(cc, ss, off, p)
			}
			for _, impl := range impls {
				got := make([]float32, p)
				impl.f(cc, ss, steps.alpha, steps.beta, got)
				for off := range p {
					if math.Float32bits(got[off]) != math.Float32bits(want[off]) {
						t.Fatalf("%s, %s, period %d offset %d: %v, kernel %v", impl.name, name, p, off, got[off], want[off])
					}
				}
			}
		}
	}
}

// Every length and start, so that the vector passes, the Go chains and
// the one-offset tail each meet every alignment.
func TestKernelsTails(t *testing.T) {
	const p = 2731
	steps, _ := trigFor(p)
	in := kernelInputs()["random"]
	cc, ss := &in[0], &in[1]
	for start := range 9 {
		for n := range 42 {
			got := make([]float32, n+1)
			got[n] = 42
			kernels(cc, ss, steps.alpha[start:], steps.beta[start:], got[:n])
			for k := range n {
				if want := oldKernel(cc, ss, int32(start+k), p); math.Float32bits(got[k]) != math.Float32bits(want) {
					t.Fatalf("start %d length %d, offset %d: %v, kernel %v", start, n, start+k, got[k], want)
				}
			}
			if got[n] != 42 {
				t.Fatalf("start %d length %d: wrote past the end", start, n)
			}
		}
	}
}

// The table holds what offsetTrig gives, offset for offset, and
// offsetTrig what the old kernel computed inline.
func TestTrigTable(t *testing.T) {
	for _, p := range Periods {
		steps, ok := trigFor(p)
		if !ok || len(steps.alpha) != int(p) || len(steps.beta) != int(p) {
			t.Fatalf("period %d: %v, %d and %d steps", p, ok, len(steps.alpha), len(steps.beta))
		}
		for off := range p {
			delta := float32(2.0 * math.Pi * float64(float32(off)) / float64(float32(p)))
			beta := float32(math.Sin(float64(delta)))
			alpha := float32(math.Sin(float64(delta / 2)))
			alpha = float32(2 * alpha * alpha)
			a, b := offsetTrig(off, p)
			if steps.alpha[off] != a || steps.beta[off] != b || a != alpha || b != beta {
				t.Fatalf("period %d offset %d: table %v %v, offsetTrig %v %v, inline %v %v", p, off, steps.alpha[off], steps.beta[off], a, b, alpha, beta)
			}
		}
	}
	for _, p := range []int32{1, 2, 2730, 2732, 14654} {
		if _, ok := trigFor(p); ok {
			t.Errorf("steps for period %d", p)
		}
	}
}

// Level2 equals the old scan with periods off the table, in other
// orders, and mixed, as well as the reference's.
func TestLevel2IsOldLevel2(t *testing.T) {
	files := sampleFiles(t, "upstream")
	a, _ := Parse(files["chair-19-sd-bar"])
	b, _ := Parse(files["chair-22-sd-sepia-bar"])
	for _, periods := range [][NumPeriods]int32{
		Periods,
		{1, 2, 3, 1025},
		{2732, 4390, 1024, 2048},
		{14653, 9767, 4391, 2731},
		{2731, 777, 9767, 1031},
	} {
		x, y := *a, *b
		x.Periods, y.Periods = periods, periods
		if got, want := Level2(&x, &y), oldLevel2(&x, &y); math.Float32bits(got) != math.Float32bits(want) {
			t.Errorf("periods %v: %v, old %v", periods, got, want)
		}
	}
}
