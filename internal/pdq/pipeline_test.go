package pdq

import (
	"math/rand/v2"
	"testing"
)

// The functions below restate the reference's blur and decimation in their
// plainest form (one strided line at a time, every pass over the whole
// image), as an oracle for the faster pipeline in jarosz.go.

func refBox1D(in, out []float32, n, stride, full int) {
	half := (full + 2) / 2
	var sum float32
	cur := 0
	li, ri, oi := 0, 0, 0
	for i := 0; i < half-1; i++ {
		sum += in[ri]
		cur++
		ri += stride
	}
	for i := 0; i < full-half+1; i++ {
		sum += in[ri]
		cur++
		out[oi] = sum / float32(cur)
		ri += stride
		oi += stride
	}
	for i := 0; i < n-full; i++ {
		sum += in[ri]
		sum -= in[li]
		out[oi] = sum / float32(cur)
		li += stride
		ri += stride
		oi += stride
	}
	for i := 0; i < half-1; i++ {
		sum -= in[li]
		cur--
		out[oi] = sum / float32(cur)
		li += stride
		oi += stride
	}
}

func refDownsample(luma []float32, w, h int) (out [64 * 64]float32) {
	a := append([]float32(nil), luma...)
	b := make([]float32, w*h)
	ww, wh := windowSize(w), windowSize(h)
	for range 2 {
		for y := 0; y < h; y++ {
			refBox1D(a[y*w:], b[y*w:], w, 1, ww)
		}
		for x := 0; x < w; x++ {
			refBox1D(b[x:], a[x:], h, w, wh)
		}
	}
	for i := 0; i < 64; i++ {
		yi := int((float64(i) + 0.5) * float64(h) / 64)
		for j := 0; j < 64; j++ {
			xj := int((float64(j) + 0.5) * float64(w) / 64)
			out[i*64+j] = a[yi*w+xj]
		}
	}
	return out
}

func TestDownsampleMatchesPlainReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := [][2]int{{5, 5}, {5, 200}, {200, 5}, {17, 63}, {64, 64}, {65, 127}, {128, 129},
		{255, 256}, {257, 383}, {500, 333}, {1000, 7}, {640, 480}}
	for _, sz := range sizes {
		w, h := sz[0], sz[1]
		luma := make([]float32, w*h)
		for i := range luma {
			// Mostly 8-bit luma, with some values that stress rounding.
			luma[i] = float32(rng.IntN(256)) * (0.5 + rng.Float32())
		}
		want := refDownsample(luma, w, h)
		b := new(buffers)
		b.downsample(luma, w, h)
		for k := range want {
			if b.img[k] != want[k] {
				t.Errorf("%d×%d: sample %d = %v, want %v", w, h, k, b.img[k], want[k])
				break
			}
		}
	}
}

func TestWindowCount(t *testing.T) {
	for n := 1; n < 2000; n += 7 {
		full := windowSize(n)
		win := newWindow(n, full)
		// Recount the reference's phases.
		half := (full + 2) / 2
		var counts []int
		cur := half - 1
		for range full - half + 1 {
			cur++
			counts = append(counts, cur)
		}
		for range n - full {
			counts = append(counts, cur)
		}
		for range half - 1 {
			cur--
			counts = append(counts, cur)
		}
		if len(counts) != n {
			t.Fatalf("n=%d: %d outputs", n, len(counts))
		}
		for o, c := range counts {
			if win.count(o) != c {
				t.Fatalf("n=%d full=%d: count(%d) = %d, want %d", n, full, o, win.count(o), c)
			}
		}
	}
}

// TestDirect64 checks the reference's shortcut: its single-hash function
// takes a 64×64 luma buffer as already downsampled, while its dihedral
// function still blurs it.
func TestDirect64(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	luma := make([]float32, 64*64)
	for i := range luma {
		luma[i] = float32(rng.IntN(256))
	}
	r, err := Options{Dihedral: true}.FromLuma(luma, 64, 64)
	if err != nil {
		t.Fatal(err)
	}
	b := new(buffers)
	copy(b.img[:], luma)
	dct64To16(&b.img, &b.tmp, &b.dct)
	if want := toBits(&b.dct, &b.sorted); r.Hash != want {
		t.Errorf("64×64 hash %v, want the unblurred %v", r.Hash, want)
	}
	if want := quality(&b.img); r.Quality != want {
		t.Errorf("64×64 quality %d, want %d", r.Quality, want)
	}
	b.img = refDownsample(luma, 64, 64)
	dct64To16(&b.img, &b.tmp, &b.dct)
	if want := toBits(&b.dct, &b.sorted); r.Dihedral[Original] != want {
		t.Errorf("64×64 dihedral original %v, want the blurred %v", r.Dihedral[Original], want)
	}
}
