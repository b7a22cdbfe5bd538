package main

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"

	"golang.org/x/image/draw"
)

// scene draws a deterministic synthetic photograph-like picture: a soft
// gradient sky, overlapping shapes and a little texture. Distinct seeds give
// unrelated pictures, which is what a realistic non-match needs.
func scene(seed uint64, w, h int) *image.NRGBA {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	c0, c1 := randColor(r), randColor(r)
	angle := r.Float64() * 2 * math.Pi
	dx, dy := math.Cos(angle), math.Sin(angle)
	fx, fy := 3+r.Float64()*9, 3+r.Float64()*9
	for y := range h {
		for x := range w {
			u, v := float64(x)/float64(w), float64(y)/float64(h)
			t := 0.5 + 0.5*((u-0.5)*dx+(v-0.5)*dy)*1.4
			t += 0.25 * math.Sin(fx*u*math.Pi*2) * math.Cos(fy*v*math.Pi*2)
			img.SetNRGBA(x, y, mix(c0, c1, t))
		}
	}
	for range 14 + r.IntN(10) {
		c := randColor(r)
		cx, cy := r.IntN(w), r.IntN(h)
		rad := (w + h) / (12 + r.IntN(10))
		if r.IntN(2) == 0 {
			disc(img, cx, cy, rad, c)
		} else {
			rect(img, image.Rect(cx-rad, cy-rad/2, cx+rad, cy+rad/2), c)
		}
	}
	return img
}

func randColor(r *rand.Rand) color.NRGBA {
	return color.NRGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}
}

func mix(a, b color.NRGBA, t float64) color.NRGBA {
	t = max(0, min(1, t))
	l := func(p, q uint8) uint8 { return uint8(float64(p)*(1-t) + float64(q)*t + 0.5) }
	return color.NRGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), 255}
}

func disc(img *image.NRGBA, cx, cy, rad int, c color.NRGBA) {
	b := img.Bounds()
	for y := max(b.Min.Y, cy-rad); y < min(b.Max.Y, cy+rad); y++ {
		for x := max(b.Min.X, cx-rad); x < min(b.Max.X, cx+rad); x++ {
			if (x-cx)*(x-cx)+(y-cy)*(y-cy) <= rad*rad {
				img.SetNRGBA(x, y, c)
			}
		}
	}
}

func rect(img *image.NRGBA, r image.Rectangle, c color.NRGBA) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetNRGBA(x, y, c)
		}
	}
}

// An alteration is what a re-uploader does to a known picture. JPEG
// re-encoding is done by the caller, which encodes the query's bytes.
type alteration struct {
	name  string
	apply func(image.Image) image.Image
}

var alterations = []alteration{
	{"jpeg q50", nil},
	{"half size", func(m image.Image) image.Image { return resize(m, m.Bounds().Dx()/2, m.Bounds().Dy()/2) }},
	{"crop 5%", func(m image.Image) image.Image { return crop(m, 0.05) }},
	{"mirrored", mirror},
	{"rotated 90°", rotate90},
}

func resize(m image.Image, w, h int) image.Image {
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), m, m.Bounds(), draw.Src, nil)
	return dst
}

// crop trims frac of the width and height, split evenly between the edges.
func crop(m image.Image, frac float64) image.Image {
	b := m.Bounds()
	dx, dy := int(float64(b.Dx())*frac/2), int(float64(b.Dy())*frac/2)
	r := image.Rect(b.Min.X+dx, b.Min.Y+dy, b.Max.X-dx, b.Max.Y-dy)
	dst := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Copy(dst, image.Point{}, m, r, draw.Src, nil)
	return dst
}

func mirror(m image.Image) image.Image {
	b := m.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			dst.Set(b.Dx()-1-x, y, m.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return dst
}

// rotate90 turns the picture a quarter turn clockwise.
func rotate90(m image.Image) image.Image {
	b := m.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			dst.Set(b.Dy()-1-y, x, m.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return dst
}
