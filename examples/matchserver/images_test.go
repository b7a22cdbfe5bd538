package main

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"testing"
)

// scene draws a w×h image busy enough for a reliable PDQ hash: a
// gradient, discs, stripes and a coarse block pattern placed by seed.
func scene(w, h int, seed int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := 255 * float64(x+y) / float64(w+h)
			for i := range 4 {
				f := float64((seed*7919 + i*104729) % 1000)
				cx, cy, r := math.Mod(f*0.37, 1)*float64(w), math.Mod(f*0.73, 1)*float64(h), float64(w)*(0.08+math.Mod(f*0.11, 0.12))
				if dx, dy := float64(x)-cx, float64(y)-cy; dx*dx+dy*dy < r*r {
					v = 255 - v
				}
			}
			if y > h/2 && y < h/2+h/6 {
				v = 128 + 100*math.Sin(float64(x)/6+float64(seed)*1.3)
			}
			bx, by := x*24/w, y*24/h
			n := uint32(bx*73856093^by*19349663^seed*83492791) * 2654435761
			v = (v + float64(n>>24)) / 2
			g := uint8(math.Max(0, math.Min(255, v)))
			img.Set(x, y, color.RGBA{g, g, g/2 + 64, 255})
		}
	}
	return img
}

// altered returns img brightened, with a small white box in a corner.
func altered(img *image.RGBA) *image.RGBA {
	out := image.NewRGBA(img.Bounds())
	for i, v := range img.Pix {
		if i%4 == 3 {
			out.Pix[i] = v
		} else {
			out.Pix[i] = uint8(min(255, int(v)+6))
		}
	}
	for y := range img.Bounds().Dy() / 16 {
		for x := range img.Bounds().Dx() / 12 {
			out.Set(x, y, color.White)
		}
	}
	return out
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 70}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
