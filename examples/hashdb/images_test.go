package main

import (
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// scene draws a w×h image with structure at several scales, so its
// perceptual hashes carry information: a diagonal gradient, a few discs
// and a band of stripes, all placed by seed.
func scene(w, h int, seed int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	type disc struct{ x, y, r float64 }
	discs := make([]disc, 4)
	for i := range discs {
		f := float64((seed*7919 + i*104729) % 1000)
		discs[i] = disc{x: math.Mod(f*0.37, 1) * float64(w), y: math.Mod(f*0.73, 1) * float64(h), r: float64(w) * (0.08 + math.Mod(f*0.11, 0.12))}
	}
	phase := float64(seed) * 1.3
	for y := range h {
		for x := range w {
			v := 255 * float64(x+y) / float64(w+h)
			for _, d := range discs {
				if dx, dy := float64(x)-d.x, float64(y)-d.y; dx*dx+dy*dy < d.r*d.r {
					v = 255 - v
				}
			}
			if y > h/2 && y < h/2+h/6 {
				v = 128 + 100*math.Sin(float64(x)/6+phase)
			}
			// A coarse pseudo-random block pattern: edges at the scale
			// PDQ looks at, so its quality is high.
			bx, by := x*24/w, y*24/h
			n := uint32(bx*73856093^by*19349663^seed*83492791) * 2654435761
			v = (v + float64(n>>24)) / 2
			g := uint8(math.Max(0, math.Min(255, v)))
			img.Set(x, y, color.RGBA{g, g, g/2 + 64, 255})
		}
	}
	return img
}

// brighten returns a copy of img with every channel raised by d.
func brighten(img *image.RGBA, d int) *image.RGBA {
	out := image.NewRGBA(img.Bounds())
	for i, v := range img.Pix {
		if i%4 == 3 {
			out.Pix[i] = v
			continue
		}
		out.Pix[i] = uint8(min(255, int(v)+d))
	}
	return out
}

// watermark draws a white box over the top-left corner of img.
func watermark(img *image.RGBA) *image.RGBA {
	for y := range img.Bounds().Dy() / 16 {
		for x := range img.Bounds().Dx() / 12 {
			img.Set(x, y, color.White)
		}
	}
	return img
}

// rotate90 returns img rotated by 90°.
func rotate90(img *image.RGBA) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			out.Set(y, b.Dx()-1-x, img.At(x, y))
		}
	}
	return out
}

func writePNG(t testing.TB, path string, img image.Image) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeJPEG(t testing.TB, path string, img image.Image, quality int) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// testMedia is a set of files written for a test.
type testMedia struct {
	dir       string // holds known/ and queries/
	known     string // dir of the originals
	original  string // known/a.png
	other     string // known/b.png, a second known image
	text      string // known/notes.txt, not an image
	altered   string // queries/a-altered.jpg: a.png brightened, watermarked and re-encoded as JPEG
	rotated   string // queries/a-rot90.png: a.png rotated
	unrelated string // queries/c.png: no relation to the known ones
	tiny      string // queries/tiny.png: 3×3, too small to hash
}

func writeMedia(t testing.TB) testMedia {
	t.Helper()
	dir := t.TempDir()
	m := testMedia{dir: dir, known: filepath.Join(dir, "known")}
	for _, d := range []string{m.known, filepath.Join(dir, "queries")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	a := scene(200, 160, 1)
	m.original = writePNG(t, filepath.Join(m.known, "a.png"), a)
	m.other = writePNG(t, filepath.Join(m.known, "b.png"), scene(180, 180, 2))
	m.text = filepath.Join(m.known, "notes.txt")
	if err := os.WriteFile(m.text, []byte("not an image\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m.altered = writeJPEG(t, filepath.Join(dir, "queries", "a-altered.jpg"), watermark(brighten(a, 6)), 70)
	m.rotated = writePNG(t, filepath.Join(dir, "queries", "a-rot90.png"), rotate90(a))
	m.unrelated = writePNG(t, filepath.Join(dir, "queries", "c.png"), rotate90(scene(160, 200, 9)))
	m.tiny = writePNG(t, filepath.Join(dir, "queries", "tiny.png"), scene(3, 3, 4))
	return m
}
