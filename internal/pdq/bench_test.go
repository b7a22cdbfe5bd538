package pdq

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
)

// benchImage returns a deterministic 1000×1000 photo-like NRGBA image
// (smooth noise), as a PNG decoder would deliver it.
func benchImage() *image.NRGBA {
	rng := rand.New(rand.NewPCG(9, 10))
	img := image.NewNRGBA(image.Rect(0, 0, 1000, 1000))
	for y := 0; y < 1000; y++ {
		for x := 0; x < 1000; x++ {
			n := rng.IntN(32)
			img.SetNRGBA(x, y, color.NRGBA{uint8(x/4 + n), uint8(y/4 + n), uint8((x + y) / 8), 255})
		}
	}
	return img
}

func toYCbCr(src *image.NRGBA) *image.YCbCr {
	b := src.Bounds()
	m := image.NewYCbCr(b, image.YCbCrSubsampleRatio420)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := src.NRGBAAt(x, y)
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			m.Y[m.YOffset(x, y)] = yy
			ci := m.COffset(x, y)
			m.Cb[ci], m.Cr[ci] = cb, cr
		}
	}
	return m
}

func BenchmarkPDQ(b *testing.B) {
	nrgba := benchImage()
	rgba := image.NewRGBA(nrgba.Bounds())
	gray := image.NewGray(nrgba.Bounds())
	for i := 0; i < len(nrgba.Pix); i += 4 {
		copy(rgba.Pix[i:i+4], nrgba.Pix[i:i+4])
		gray.Pix[i/4] = nrgba.Pix[i+1]
	}
	ycc := toYCbCr(nrgba)
	luma := make([]float32, 1000*1000)
	lumaOf(nrgba, luma, axis(new([]int), 1000, false), axis(new([]int), 1000, false), nil)
	cases := []struct {
		name string
		img  image.Image
		opts Options
	}{
		{"generic", opaque{nrgba}, Options{}}, // baseline: At + color.NRGBAModel
		{"NRGBA", nrgba, Options{}},
		{"RGBA", rgba, Options{}},
		{"YCbCr", ycc, Options{}},
		{"Gray", gray, Options{}},
		{"NRGBA-dihedral", nrgba, Options{Dihedral: true}},
		{"generic-resize512", opaque{nrgba}, Options{Resize512: true}},
		{"NRGBA-resize512", nrgba, Options{Resize512: true}},
		{"luma", nil, Options{}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if c.img == nil {
					_, err = c.opts.FromLuma(luma, 1000, 1000)
				} else {
					_, err = c.opts.FromImage(c.img)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
