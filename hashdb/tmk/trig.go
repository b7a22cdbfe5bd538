package tmk

import (
	"math"
	"sync"
)

// offsetTrig is the kernel recurrence's step at offset off of period:
// α = 2 sin²(δ/2) and β = sin δ, δ = 2π·off/period, rounded as the
// reference's #else branch rounds them (δ and both sines in float32).
func offsetTrig(off, period int32) (alpha, beta float32) {
	delta := float32(2.0 * math.Pi * float64(float32(off)) / float64(float32(period)))
	beta = float32(math.Sin(float64(delta)))
	alpha = float32(math.Sin(float64(delta / 2)))
	alpha = float32(2 * alpha * alpha)
	return alpha, beta
}

// trigSteps are α and β at every offset of one period, as offsetTrig
// gives them.
type trigSteps struct {
	alpha, beta []float32
}

var (
	// trigPeriods is [Periods] as the package starts, so that a caller
	// changing the exported variable cannot mislabel the table.
	trigPeriods     = Periods
	defaultTrigOnce sync.Once
	defaultTrig     [NumPeriods]trigSteps
)

// trigFor returns the steps of period when it is one of the reference's
// [Periods], and false otherwise. The two sines per offset cost about as
// much as the kernel itself, and every hash the reference makes uses
// these periods, so they are computed once (about 250 KB), on first use.
func trigFor(period int32) (trigSteps, bool) {
	for i, p := range trigPeriods {
		if p == period {
			defaultTrigOnce.Do(fillDefaultTrig)
			return defaultTrig[i], true
		}
	}
	return trigSteps{}, false
}

func fillDefaultTrig() {
	for i, p := range trigPeriods {
		t := trigSteps{make([]float32, p), make([]float32, p)}
		for off := range p {
			t.alpha[off], t.beta[off] = offsetTrig(off, p)
		}
		defaultTrig[i] = t
	}
}
