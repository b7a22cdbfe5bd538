package media

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// testImage returns a deterministic w×h photo-like image: smooth gradients
// plus noise, so that every hash has information to work with.
func testImage(w, h int, seed uint64) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(seed, 1))
	for y := range h {
		for x := range w {
			n := rng.IntN(24)
			r := 255 * x / max(w-1, 1)
			g := 255 * y / max(h-1, 1)
			b := 128 + 100*((x/max(w/5, 1)+y/max(h/4, 1))%2) - 50
			m.SetNRGBA(x, y, color.NRGBA{uint8(min(r+n, 255)), uint8(min(g+n, 255)), uint8(min(b+n, 255)), 255})
		}
	}
	return m
}

// encode encodes m in the named format with the standard and x/image
// encoders.
func encode(tb testing.TB, format string, m image.Image) []byte {
	tb.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, m)
	case "jpeg":
		err = jpeg.Encode(&buf, m, &jpeg.Options{Quality: 90})
	case "gif":
		err = gif.Encode(&buf, m, nil)
	case "bmp":
		err = bmp.Encode(&buf, m)
	case "tiff":
		err = tiff.Encode(&buf, m, &tiff.Options{Compression: tiff.Deflate})
	default:
		tb.Fatalf("no encoder for %s", format)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
