package media

import (
	"image"
	"image/color"
	"math"
	"runtime"
	"sync"
)

// normalise returns the pixels every perceptual algorithm hashes: an
// opaque *image.RGBA with bounds (0,0)-(w,h) holding the colour stored for
// each pixel of img, alpha ignored (see the package documentation), and the
// standard deviation of its luma in grey levels.
//
// When owned is true img belongs to the caller alone and may be rewritten
// in place: an *image.RGBA or *image.NRGBA is then returned without a copy.
// Otherwise the copy is written into pix if that is large enough (pix may
// be nil). Every byte of the copy is written, so pix needs no clearing.
func normalise(img image.Image, owned bool, pix *[]byte) (*image.RGBA, float64) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	var dst *image.RGBA
	var fill func(dst *image.RGBA, y0, y1 int)

	switch src := img.(type) {
	case *image.RGBA:
		if owned {
			dst = &image.RGBA{Pix: src.Pix[src.PixOffset(b.Min.X, b.Min.Y):], Stride: src.Stride, Rect: image.Rect(0, 0, w, h)}
			fill = unpremultiplied
		} else {
			fill = func(d *image.RGBA, y0, y1 int) {
				off := src.PixOffset(b.Min.X, b.Min.Y)
				for y := y0; y < y1; y++ {
					copy(d.Pix[y*d.Stride:y*d.Stride+4*w], src.Pix[off+y*src.Stride:])
				}
				unpremultiplied(d, y0, y1)
			}
		}
	case *image.NRGBA:
		if owned {
			dst = &image.RGBA{Pix: src.Pix[src.PixOffset(b.Min.X, b.Min.Y):], Stride: src.Stride, Rect: image.Rect(0, 0, w, h)}
			fill = opaque
		} else {
			fill = func(d *image.RGBA, y0, y1 int) {
				copyRGB(d, src.Pix, src.PixOffset(b.Min.X, b.Min.Y), src.Stride, y0, y1)
			}
		}
	case *image.YCbCr:
		fill = func(d *image.RGBA, y0, y1 int) { fromYCbCr(d, src, y0, y1) }
	case *image.NYCbCrA:
		fill = func(d *image.RGBA, y0, y1 int) { fromYCbCr(d, &src.YCbCr, y0, y1) }
	case *image.Gray:
		fill = func(d *image.RGBA, y0, y1 int) {
			for y := y0; y < y1; y++ {
				s := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
				p := d.Pix[y*d.Stride:]
				for x := range w {
					v := s[x]
					p[4*x], p[4*x+1], p[4*x+2], p[4*x+3] = v, v, v, 0xff
				}
			}
		}
	case *image.CMYK:
		fill = func(d *image.RGBA, y0, y1 int) {
			for y := y0; y < y1; y++ {
				s := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
				p := d.Pix[y*d.Stride:]
				for x := range w {
					r, g, bb := color.CMYKToRGB(s[4*x], s[4*x+1], s[4*x+2], s[4*x+3])
					p[4*x], p[4*x+1], p[4*x+2], p[4*x+3] = r, g, bb, 0xff
				}
			}
		}
	case *image.Paletted:
		var pal [256][4]byte
		for i, c := range src.Palette {
			if i < len(pal) {
				r, g, bb := storedRGB(c)
				pal[i] = [4]byte{r, g, bb, 0xff}
			}
		}
		// Indexes past the palette are black, as image.Paletted.At says
		// (zero colour), with alpha forced opaque.
		for i := len(src.Palette); i < len(pal); i++ {
			pal[i] = [4]byte{0, 0, 0, 0xff}
		}
		fill = func(d *image.RGBA, y0, y1 int) {
			for y := y0; y < y1; y++ {
				s := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
				p := d.Pix[y*d.Stride:]
				for x := range w {
					copy(p[4*x:4*x+4], pal[s[x]][:])
				}
			}
		}
	default:
		fill = func(d *image.RGBA, y0, y1 int) {
			for y := y0; y < y1; y++ {
				p := d.Pix[y*d.Stride:]
				for x := range w {
					r, g, bb := storedRGB(img.At(b.Min.X+x, b.Min.Y+y))
					p[4*x], p[4*x+1], p[4*x+2], p[4*x+3] = r, g, bb, 0xff
				}
			}
		}
	}
	if dst == nil {
		if pix == nil {
			pix = new([]byte)
		}
		if cap(*pix) < 4*w*h {
			*pix = make([]byte, 4*w*h)
		}
		dst = &image.RGBA{Pix: (*pix)[:4*w*h], Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
	}
	return dst, parallelRows(dst, fill)
}

// parallelRows runs fill over bands of rows on every core (for a large
// image) and then measures the luma of the rows it filled, while they are
// still in cache.
func parallelRows(dst *image.RGBA, fill func(dst *image.RGBA, y0, y1 int)) float64 {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	if w == 0 || h == 0 {
		return 0
	}
	n := runtime.GOMAXPROCS(0)
	if w*h < 1<<18 {
		n = 1
	}
	n = min(n, h)
	sums := make([]lumaSum, n)
	panics := make([]any, n)
	var wg sync.WaitGroup
	for i := range n {
		y0, y1 := h*i/n, h*(i+1)/n
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			fill(dst, y0, y1)
			sums[i] = luma(dst, y0, y1)
		})
	}
	wg.Wait()
	for _, p := range panics {
		if p != nil {
			panic(p) // on the caller's goroutine, where guard recovers it
		}
	}
	var t lumaSum
	for _, s := range sums {
		t.sum += s.sum
		t.sq += s.sq
	}
	px := float64(w) * float64(h)
	mean := t.sum / px
	v := t.sq/px - mean*mean
	if v <= 0 {
		return 0
	}
	return math.Sqrt(v) / 1000
}

type lumaSum struct{ sum, sq float64 }

// luma sums the BT.601 luma, scaled by 1000, of rows y0 to y1 and its
// square. Rows are summed exactly in integers, then in floating point.
func luma(m *image.RGBA, y0, y1 int) lumaSum {
	var t lumaSum
	w := m.Rect.Dx()
	for y := y0; y < y1; y++ {
		p := m.Pix[y*m.Stride : y*m.Stride+4*w]
		var s, q int64
		for i := 0; i+3 < len(p); i += 4 {
			v := 299*int64(p[i]) + 587*int64(p[i+1]) + 114*int64(p[i+2])
			s += v
			q += v * v
		}
		t.sum += float64(s)
		t.sq += float64(q)
	}
	return t
}

// unpremultiplied turns the premultiplied colour of rows y0 to y1 into
// straight colour, exactly as color.NRGBAModel converts a color.RGBA, and
// sets alpha to 255.
func unpremultiplied(d *image.RGBA, y0, y1 int) {
	w := d.Rect.Dx()
	for y := y0; y < y1; y++ {
		p := d.Pix[y*d.Stride : y*d.Stride+4*w]
		for i := 0; i+3 < len(p); i += 4 {
			switch a := uint32(p[i+3]); a {
			case 0xff:
			case 0:
				p[i], p[i+1], p[i+2] = 0, 0, 0
			default:
				for c := i; c < i+3; c++ {
					p[c] = uint8(uint32(p[c]) * 0x101 * 0xffff / (a * 0x101) >> 8)
				}
			}
			p[i+3] = 0xff
		}
	}
}

// opaque sets alpha to 255 in rows y0 to y1 of an image rewritten in place.
func opaque(d *image.RGBA, y0, y1 int) {
	w := d.Rect.Dx()
	for y := y0; y < y1; y++ {
		p := d.Pix[y*d.Stride : y*d.Stride+4*w]
		for i := 3; i < len(p); i += 4 {
			p[i] = 0xff
		}
	}
}

// copyRGB copies the colour of 4-byte pixels starting at off with the given
// stride into rows y0 to y1 of d, alpha set to 255.
func copyRGB(d *image.RGBA, pix []byte, off, stride, y0, y1 int) {
	w := d.Rect.Dx()
	for y := y0; y < y1; y++ {
		s := pix[off+y*stride : off+y*stride+4*w]
		p := d.Pix[y*d.Stride : y*d.Stride+4*w]
		copy(p, s)
		for i := 3; i < len(p); i += 4 {
			p[i] = 0xff
		}
	}
}

// fromYCbCr converts rows y0 to y1 of src with color.YCbCrToRGB's integer
// arithmetic, inlined: through the method calls, converting a 12-megapixel
// photo took longer than hashing it.
func fromYCbCr(d *image.RGBA, src *image.YCbCr, y0, y1 int) {
	b := src.Rect
	w := b.Dx()
	var hs, vs uint // chroma subsampling shifts
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hs = 1
	case image.YCbCrSubsampleRatio420:
		hs, vs = 1, 1
	case image.YCbCrSubsampleRatio440:
		vs = 1
	case image.YCbCrSubsampleRatio411:
		hs = 2
	case image.YCbCrSubsampleRatio410:
		hs, vs = 2, 1
	}
	if b.Min.X < 0 || b.Min.Y < 0 {
		// COffset divides, rounding towards zero, where shifts round down.
		for y := y0; y < y1; y++ {
			p := d.Pix[y*d.Stride : y*d.Stride+4*w]
			for x := range w {
				yi := src.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := src.COffset(b.Min.X+x, b.Min.Y+y)
				p[4*x], p[4*x+1], p[4*x+2] = color.YCbCrToRGB(src.Y[yi], src.Cb[ci], src.Cr[ci])
				p[4*x+3] = 0xff
			}
		}
		return
	}
	cx0 := b.Min.X >> hs
	for y := y0; y < y1; y++ {
		ys := src.Y[y*src.YStride:]
		ys = ys[:w]
		co := ((b.Min.Y+y)>>vs - b.Min.Y>>vs) * src.CStride
		cbs, crs := src.Cb[co:], src.Cr[co:]
		p := d.Pix[y*d.Stride : y*d.Stride+4*w]
		for x, yv := range ys {
			ci := (b.Min.X+x)>>hs - cx0
			yy1 := int32(yv) * 0x10101
			cb1 := int32(cbs[ci]) - 128
			cr1 := int32(crs[ci]) - 128
			q := p[4*x : 4*x+4 : 4*x+4]
			q[0] = clamp16(yy1 + 91881*cr1)
			q[1] = clamp16(yy1 - 22554*cb1 - 46802*cr1)
			q[2] = clamp16(yy1 + 116130*cb1)
			q[3] = 0xff
		}
	}
}

// clamp16 is v>>16 clamped to [0, 255], as color.YCbCrToRGB computes it.
func clamp16(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
}

// storedRGB returns the straight (non-premultiplied) 8-bit colour of c,
// ignoring alpha: as stored for straight colour types, with 16-bit samples
// keeping their high byte, and through color.NRGBAModel for the rest, which
// undoes premultiplication.
func storedRGB(c color.Color) (r, g, b uint8) {
	switch c := c.(type) {
	case color.NRGBA:
		return c.R, c.G, c.B
	case color.NRGBA64:
		return uint8(c.R >> 8), uint8(c.G >> 8), uint8(c.B >> 8)
	case color.Gray:
		return c.Y, c.Y, c.Y
	case color.Gray16:
		return uint8(c.Y >> 8), uint8(c.Y >> 8), uint8(c.Y >> 8)
	case color.YCbCr:
		return color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
	case color.NYCbCrA:
		return color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
	case color.CMYK:
		return color.CMYKToRGB(c.C, c.M, c.Y, c.K)
	case nil:
		return 0, 0, 0
	}
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return n.R, n.G, n.B
}
