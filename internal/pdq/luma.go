package pdq

import (
	"image"
	"image/color"
	"slices"
)

// lumaTable maps 8-bit red, green and blue to their float32 terms of luma;
// luma is (r[R] + g[G]) + b[B], the reference's sum in its order.
type lumaTable struct{ r, g, b [256]float32 }

// colourLuma holds the reference's terms 0.299R, 0.587G and 0.114B, each a
// float32 product of a float32 coefficient and the sample.
//
// greyLuma makes the same sum yield the sample itself: (v + 0) + 0 = v.
// ImageMagick, the reference tool's decoder, hands over an image whose
// pixels are all grey as one grey channel, and the reference then uses the
// grey value as luma. That differs from the colour formula for 35 of the 256
// grey levels (0.299·15 + 0.587·15 + 0.114·15 is 15.000001 in float32).
var colourLuma, greyLuma = func() (c, g lumaTable) {
	cr, cg, cb := float32(0.299), float32(0.587), float32(0.114)
	for v := range 256 {
		f := float32(v)
		c.r[v], c.g[v], c.b[v] = float32(cr*f), float32(cg*f), float32(cb*f)
		g.r[v] = f
	}
	return c, g
}()

func (t *lumaTable) of(r, g, b uint8) float32 { return (t.r[r] + t.g[g]) + t.b[b] }

// straight returns c's colour without alpha: non-premultiplied 8-bit red,
// green and blue, through color.NRGBAModel.
func straight(c color.Color) (r, g, b uint8) {
	if c == nil { // e.g. At on a *image.Paletted with an empty palette
		return 0, 0, 0
	}
	n, _ := color.NRGBAModel.Convert(c).(color.NRGBA)
	return n.R, n.G, n.B
}

// unpremultiply undoes alpha premultiplication of an 8-bit sample exactly as
// color.NRGBAModel does for a color.RGBA, so the *image.RGBA fast path agrees
// with the generic one.
func unpremultiply(v, a uint8) uint8 {
	switch a {
	case 0xff:
		return v
	case 0:
		return 0
	}
	return uint8((uint32(v) * 0x101 * 0xffff / (uint32(a) * 0x101)) >> 8)
}

// allGrey reports whether every pixel of img has equal red, green and blue,
// after the same conversion to 8-bit straight colour that lumaOf applies.
func allGrey(img image.Image) bool {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	switch m := img.(type) {
	case *image.Gray, *image.Gray16:
		return true
	case *image.NRGBA:
		for y := range h {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for i := 0; i < len(row); i += 4 {
				if row[i] != row[i+1] || row[i+1] != row[i+2] {
					return false
				}
			}
		}
		return true
	case *image.NRGBA64:
		for y := range h {
			row := m.Pix[y*m.Stride : y*m.Stride+8*w]
			for i := 0; i < len(row); i += 8 {
				if row[i] != row[i+2] || row[i+2] != row[i+4] {
					return false
				}
			}
		}
		return true
	case *image.RGBA:
		for y := range h {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for i := 0; i < len(row); i += 4 {
				if row[i] != row[i+1] || row[i+1] != row[i+2] {
					return false
				}
			}
		}
		return true
	case *image.YCbCr:
		// Neutral chroma everywhere makes every pixel grey; that settles
		// the common case of a black-and-white photo stored as colour
		// without converting every pixel.
		if !slices.ContainsFunc(m.Cb, notNeutral) && !slices.ContainsFunc(m.Cr, notNeutral) {
			return true
		}
		for y := range h {
			for x := range w {
				yi, ci := m.YOffset(b.Min.X+x, b.Min.Y+y), m.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bb := yccToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				if r != g || g != bb {
					return false
				}
			}
		}
		return true
	case *image.Paletted:
		var grey [256]bool
		for i, c := range m.Palette {
			if i < len(grey) {
				r, g, b := straight(c)
				grey[i] = r == g && g == b
			}
		}
		for y := range h {
			for _, p := range m.Pix[y*m.Stride : y*m.Stride+w] {
				if !grey[p] {
					return false
				}
			}
		}
		return true
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, b := straight(img.At(x, y))
			if r != g || g != b {
				return false
			}
		}
	}
	return true
}

func notNeutral(c uint8) bool { return c != 128 }

// lumaOf writes the luma of img into dst, row-major, len(ys) rows of
// len(xs) samples: dst[i*len(xs)+j] is the luma of the pixel at column xs[j]
// and row ys[i], both counted from the top-left corner of img's bounds.
// Colour becomes 8-bit straight (non-premultiplied) RGB first; alpha is
// ignored. 16-bit samples keep their high byte.
//
// scratch, when not nil, holds scratch space for lumaOf to reuse.
func lumaOf(img image.Image, dst []float32, xs, ys []int, scratch *[]int) {
	t := &colourLuma
	if allGrey(img) {
		t = &greyLuma
	}
	w := len(xs)
	full := w == img.Bounds().Dx() // xs is then the identity
	switch m := img.(type) {
	case *image.Gray:
		for i, y := range ys {
			row, out := m.Pix[y*m.Stride:], dst[i*w:i*w+w:i*w+w]
			if full {
				for j, v := range row[:w] {
					out[j] = float32(v)
				}
				continue
			}
			for j, x := range xs {
				out[j] = float32(row[x])
			}
		}
	case *image.Gray16:
		for i, y := range ys {
			row, out := m.Pix[y*m.Stride:], dst[i*w:i*w+w:i*w+w]
			for j, x := range xs {
				out[j] = float32(row[2*x])
			}
		}
	case *image.NRGBA:
		for i, y := range ys {
			row, out := m.Pix[y*m.Stride:], dst[i*w:i*w+w:i*w+w]
			if full {
				row = row[: 4*w : 4*w]
				for j := range out {
					p := row[4*j : 4*j+3 : 4*j+3]
					out[j] = t.of(p[0], p[1], p[2])
				}
				continue
			}
			for j, x := range xs {
				p := row[4*x : 4*x+3 : 4*x+3]
				out[j] = t.of(p[0], p[1], p[2])
			}
		}
	case *image.NRGBA64:
		for i, y := range ys {
			row, out := m.Pix[y*m.Stride:], dst[i*w:i*w+w:i*w+w]
			for j, x := range xs {
				p := row[8*x : 8*x+5 : 8*x+5]
				out[j] = t.of(p[0], p[2], p[4])
			}
		}
	case *image.RGBA:
		for i, y := range ys {
			row, out := m.Pix[y*m.Stride:], dst[i*w:i*w+w:i*w+w]
			for j, x := range xs {
				if full {
					x = j
				}
				p := row[4*x : 4*x+4 : 4*x+4]
				if a := p[3]; a == 0xff {
					out[j] = t.of(p[0], p[1], p[2])
				} else {
					out[j] = t.of(unpremultiply(p[0], a), unpremultiply(p[1], a), unpremultiply(p[2], a))
				}
			}
		}
	case *image.YCbCr:
		var cx []int
		if scratch != nil {
			cx = grow(scratch, len(xs))
		}
		ycbcrLuma(m, t, dst, xs, ys, cx)
	case *image.Paletted:
		var pal [256]float32
		for k, c := range m.Palette {
			if k < len(pal) {
				pal[k] = t.of(straight(c))
			}
		}
		for i, y := range ys {
			row, out := m.Pix[y*m.Stride:], dst[i*w:i*w+w:i*w+w]
			for j, x := range xs {
				out[j] = pal[row[x]]
			}
		}
	default:
		genericLuma(img, t, dst, xs, ys)
	}
}

// genericLuma is lumaOf for any image.Image, through At and
// color.NRGBAModel.
func genericLuma(img image.Image, t *lumaTable, dst []float32, xs, ys []int) {
	b := img.Bounds()
	w := len(xs)
	for i, y := range ys {
		for j, x := range xs {
			dst[i*w+j] = t.of(straight(img.At(b.Min.X+x, b.Min.Y+y)))
		}
	}
}

// ycbcrLuma is lumaOf for a *image.YCbCr, converting to RGB with
// color.YCbCrToRGB as the generic path does, since JPEG's own luma (Y) is not
// the reference's float32 luma. cx holds each sampled column's chroma
// offset, computed as image.YCbCr.COffset computes it.
func ycbcrLuma(m *image.YCbCr, t *lumaTable, dst []float32, xs, ys, cx []int) {
	r := m.Rect
	w := len(xs)
	sx, sy := 1, 1 // chroma subsampling divisors, horizontal and vertical
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		sx = 2
	case image.YCbCrSubsampleRatio420:
		sx, sy = 2, 2
	case image.YCbCrSubsampleRatio440:
		sy = 2
	case image.YCbCrSubsampleRatio411:
		sx = 4
	case image.YCbCrSubsampleRatio410:
		sx, sy = 4, 2
	}
	cx = cx[:0]
	for _, x := range xs {
		X := r.Min.X + x
		cx = append(cx, X/sx-r.Min.X/sx)
	}
	for i, y := range ys {
		Y := r.Min.Y + y
		yrow := m.Y[y*m.YStride:]
		crow := (Y/sy - r.Min.Y/sy) * m.CStride
		cb, cr := m.Cb[crow:], m.Cr[crow:]
		out := dst[i*w : i*w+w : i*w+w]
		for j, x := range xs {
			c := cx[j]
			out[j] = t.of(yccToRGB(yrow[x], cb[c], cr[c]))
		}
	}
}

// yccToRGB is color.YCbCrToRGB, restated so that it inlines into the loop
// above; TestYCbCrToRGB checks the two agree on every input.
func yccToRGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	yy := int32(y) * 0x10101
	cb1, cr1 := int32(cb)-128, int32(cr)-128
	return clamp16(yy + 91881*cr1), clamp16(yy - 22554*cb1 - 46802*cr1), clamp16(yy + 116130*cb1)
}

// clamp16 takes the integer part of a 16.16 fixed-point colour value,
// saturated to 0..255 (branch-free, as min and max compile to conditional
// moves).
func clamp16(v int32) uint8 { return uint8(min(max(v>>16, 0), 255)) }
