// Package testimage makes the images hashshare's tests hash: deterministic
// photo-like pictures, and their bytes in each format the hasher decodes.
// Tests of every package draw from it, so that a change to what an image
// looks like is made once.
//
// Example programs do not import it: an example copied into another module
// must compile there, so each keeps the few lines it needs.
package testimage

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// Photo returns a deterministic w×h image with gradients and noise, so
// that every hash has information to work with; images of different seeds
// are unrelated.
func Photo(w, h int, seed uint64) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(seed, 2))
	for y := range h {
		for x := range w {
			n := uint8(rng.IntN(20))
			m.SetNRGBA(x, y, color.NRGBA{uint8(255*x/w) + n/2, uint8(255*y/h) + n/2, uint8((x*y)>>6) + n, 255})
		}
	}
	return m
}

// Formats are the formats Encode writes: every format the hasher decodes
// but WebP, which has no Go encoder.
var Formats = []string{"png", "jpeg", "gif", "bmp", "tiff"}

// Encode returns m in the named format, one of Formats; JPEG at quality 90.
func Encode(tb testing.TB, format string, m image.Image) []byte {
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
		tb.Fatalf("testimage: no encoder for %q", format)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// Write encodes m in the format its name's extension says (".jpg" is
// JPEG) into dir and returns its path.
func Write(tb testing.TB, dir, name string, m image.Image) string {
	tb.Helper()
	format := filepath.Ext(name)
	if format == ".jpg" {
		format = ".jpeg"
	}
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, Encode(tb, format[min(1, len(format)):], m), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}
