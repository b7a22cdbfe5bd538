package pdq

import (
	"math"
	"slices"
)

// dctMatrix is the reference's 16×64 DCT-II basis, rows 1..16 (the DC row is
// dropped), row-major. The reference computes each entry in double and stores
// it as float: float(float(sqrt(2/64)) · cos(π/2/64 · (i+1) · (2j+1))).
var dctMatrix = func() (m [16 * 64]float32) {
	scale := float64(float32(math.Sqrt(2.0 / 64)))
	for i := 0; i < 16; i++ {
		for j := 0; j < 64; j++ {
			m[i*64+j] = float32(scale * math.Cos(math.Pi/2/64*float64(i+1)*float64(2*j+1)))
		}
	}
	return m
}()

// dct64To16 computes out = D · in · Dᵀ for the 16×64 matrix D, as two float32
// matrix products whose sums run over k in ascending order from zero, the
// order in which the reference accumulates them. tmp holds D · in.
func dct64To16(in *[64 * 64]float32, tmp *[16 * 64]float32, out *[16 * 16]float32) {
	clear(tmp[:])
	for i := 0; i < 16; i++ {
		t := tmp[i*64 : i*64+64 : i*64+64]
		for k := 0; k < 64; k++ {
			d := dctMatrix[i*64+k]
			a := in[k*64 : k*64+64 : k*64+64]
			for j := range t {
				t[j] += float32(d * a[j])
			}
		}
	}
	for i := 0; i < 16; i++ {
		t := tmp[i*64 : i*64+64 : i*64+64]
		for j := 0; j < 16; j++ {
			d := dctMatrix[j*64 : j*64+64 : j*64+64]
			var sum float32
			for k := range t {
				sum += float32(t[k] * d[k])
			}
			out[i*16+j] = sum
		}
	}
}

// quality is the reference's image-domain quality metric: the sum of
// quantised vertical and horizontal gradients of the 64×64 buffer, divided by
// 90 and capped at 100.
func quality(b *[64 * 64]float32) int {
	sum := 0
	grad := func(u, v float32) int {
		d := int(float32(float32(u-v)*100) / 255)
		if d < 0 {
			return -d
		}
		return d
	}
	for i := 0; i < 63; i++ {
		for j := 0; j < 64; j++ {
			sum += grad(b[i*64+j], b[(i+1)*64+j])
		}
	}
	for i := 0; i < 64; i++ {
		for j := 0; j < 63; j++ {
			sum += grad(b[i*64+j], b[i*64+j+1])
		}
	}
	// The clamp at 0 only matters for non-finite luma from FromLuma, where
	// the float-to-int conversions above are undefined in the reference.
	return min(max(sum/90, 0), 100)
}

// toBits thresholds the 16×16 coefficients at their median, the 128th
// smallest value (what the reference's Torben median returns for 256
// values), setting bit 16i+j when coefficient (i, j) is strictly greater.
// sorted is scratch space.
func toBits(d *[16 * 16]float32, sorted *[16 * 16]float32) Hash {
	*sorted = *d
	slices.Sort(sorted[:])
	median := sorted[127]
	var h Hash
	for k, v := range d {
		if v > median {
			h.setBit(k)
		}
	}
	return h
}

// Indexes into Result.Dihedral, in the reference's order. The names are the
// reference's: rotations are counter-clockwise, FlipX swaps top and bottom,
// FlipY mirrors left and right, FlipPlus1 transposes and FlipMinus1
// transposes about the anti-diagonal.
const (
	Original = iota
	Rotate90
	Rotate180
	Rotate270
	FlipX
	FlipY
	FlipPlus1
	FlipMinus1
)

// dihedral8 fills out with the hashes of the eight rotations and reflections
// of the image whose DCT block is d. Each is the same block with some
// coefficients negated and, for the four that swap axes, transposed: a
// reflection of the image negates the coefficients of odd frequency along
// the reflected axis.
func dihedral8(d *[16 * 16]float32, aux, sorted *[16 * 16]float32, out *[8]Hash) {
	type rule struct {
		transpose bool
		negate    func(i, j int) bool // negate coefficient (i, j) of d
	}
	rules := [8]rule{
		Original:   {false, func(i, j int) bool { return false }},
		Rotate90:   {true, func(i, j int) bool { return j&1 == 0 }},
		Rotate180:  {false, func(i, j int) bool { return (i+j)&1 == 1 }},
		Rotate270:  {true, func(i, j int) bool { return i&1 == 0 }},
		FlipX:      {false, func(i, j int) bool { return i&1 == 0 }},
		FlipY:      {false, func(i, j int) bool { return j&1 == 0 }},
		FlipPlus1:  {true, func(i, j int) bool { return false }},
		FlipMinus1: {true, func(i, j int) bool { return (i+j)&1 == 1 }},
	}
	for n, r := range rules {
		for i := 0; i < 16; i++ {
			for j := 0; j < 16; j++ {
				v := d[i*16+j]
				if r.negate(i, j) {
					v = -v
				}
				if r.transpose {
					aux[j*16+i] = v
				} else {
					aux[i*16+j] = v
				}
			}
		}
		out[n] = toBits(aux, sorted)
	}
}
