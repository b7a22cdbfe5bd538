package pdq

import (
	"errors"
	"image"
	"math/rand/v2"
	"testing"
)

// TestFromRGB24MatchesFromImage checks the RGB24 entry against the image
// path on the same colour pixels, with odd sizes and padded strides: both
// compute the reference's float32 colour luma, so the results are equal.
func TestFromRGB24MatchesFromImage(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	for _, tc := range []struct{ w, h, pad int }{
		{5, 5, 0}, {7, 5, 1}, {64, 64, 0}, {65, 33, 3}, {127, 61, 16}, {1, 1, 0}, {333, 171, 64},
	} {
		stride := 3*tc.w + tc.pad
		pix := make([]byte, stride*tc.h)
		img := image.NewNRGBA(image.Rect(0, 0, tc.w, tc.h))
		for y := range tc.h {
			for x := range tc.w {
				r, g, b := uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256))
				copy(pix[y*stride+3*x:], []byte{r, g, b})
				copy(img.Pix[y*img.Stride+4*x:], []byte{r, g, b, 0xff})
			}
			for i := 3 * tc.w; i < stride; i++ {
				pix[y*stride+i] = uint8(rng.IntN(256)) // padding must not be read
			}
		}
		img.Pix[0], img.Pix[1] = 1, 2 // not all grey, whatever the size
		pix[0], pix[1] = 1, 2
		for _, o := range []Options{{}, {Dihedral: true}} {
			got, gerr := o.FromRGB24(pix, tc.w, tc.h, stride)
			want, werr := o.FromImage(img)
			if (gerr == nil) != (werr == nil) || got != want {
				t.Errorf("%dx%d stride %d %+v: FromRGB24 = %v %d %v, FromImage = %v %d %v",
					tc.w, tc.h, stride, o, got.Hash, got.Quality, gerr, want.Hash, want.Quality, werr)
			}
		}
		// A tight buffer whose last row has no padding after it.
		if tc.pad > 0 && tc.w >= minDim && tc.h >= minDim {
			short := pix[:stride*(tc.h-1)+3*tc.w]
			a, err1 := FromRGB24(short, tc.w, tc.h, stride)
			b, err2 := FromRGB24(pix, tc.w, tc.h, stride)
			if err1 != nil || err2 != nil || a != b {
				t.Errorf("%dx%d: unpadded last row changes the hash: %v %v", tc.w, tc.h, err1, err2)
			}
		}
	}
}

// TestFromRGB24GreyUsesColourLuma pins the reference frame hasher's rule:
// an all-grey frame is hashed from its colour luma, not its grey level
// (which the image path uses, after ImageMagick).
func TestFromRGB24GreyUsesColourLuma(t *testing.T) {
	const w, h = 40, 30
	pix := make([]byte, 3*w*h)
	luma := make([]float32, w*h)
	for i := range luma {
		v := uint8((i*7 + i/w*13) % 256)
		pix[3*i], pix[3*i+1], pix[3*i+2] = v, v, v
		luma[i] = colourLuma.of(v, v, v)
	}
	got, err := FromRGB24(pix, w, h, 3*w)
	want, _ := FromLuma(luma, w, h)
	if err != nil || got != want {
		t.Errorf("FromRGB24 = %v %d %v, want %v %d", got.Hash, got.Quality, err, want.Hash, want.Quality)
	}
}

func TestFromRGB24Errors(t *testing.T) {
	for _, tc := range []struct {
		n, w, h, stride int
		want            error
	}{
		{75, 5, 5, 15, nil},
		{74, 5, 5, 15, ErrRGB24Size},
		{100, 5, 5, 14, ErrRGB24Size},
		{12, 4, 1, 12, ErrTooSmall},
		{0, 0, 0, 0, ErrTooSmall},
		{0, -1, 5, 0, ErrRGB24Size},
	} {
		_, err := FromRGB24(make([]byte, tc.n), tc.w, tc.h, tc.stride)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("FromRGB24(%d bytes, %d×%d, %d) error = %v, want %v", tc.n, tc.w, tc.h, tc.stride, err, tc.want)
		}
	}
}

func TestFromRGB24Resize512(t *testing.T) {
	const w, h = 600, 20
	pix := make([]byte, 3*w*h)
	for i := range pix {
		pix[i] = uint8(i * 31)
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range w * h {
		copy(img.Pix[4*i:], []byte{pix[3*i], pix[3*i+1], pix[3*i+2], 0xff})
	}
	o := Options{Resize512: true}
	got, err := o.FromRGB24(pix, w, h, 3*w)
	want, _ := o.FromImage(img)
	if err != nil || got != want {
		t.Errorf("Resize512: FromRGB24 = %v %v, FromImage = %v", got.Hash, err, want.Hash)
	}
}

// BenchmarkFromRGB24 hashes a 1280×720 frame, the cost of each frame vPDQ
// keeps of a 720p video.
func BenchmarkFromRGB24(b *testing.B) {
	const w, h = 1280, 720
	pix := make([]byte, 3*w*h)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range pix {
		pix[i] = uint8(rng.IntN(256))
	}
	b.SetBytes(int64(len(pix)))
	for b.Loop() {
		if _, err := FromRGB24(pix, w, h, 3*w); err != nil {
			b.Fatal(err)
		}
	}
}
