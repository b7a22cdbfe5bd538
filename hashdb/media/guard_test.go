package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"testing"

	"github.com/corona10/goimagehash"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/internal/pdq"
	"github.com/hashshare/hashshare/internal/testimage"
)

// ghashes returns goimagehash's three hashes of m, called directly.
func ghashes(t *testing.T, m image.Image) [3]uint64 {
	t.Helper()
	var out [3]uint64
	for i, f := range []func(image.Image) (*goimagehash.ImageHash, error){goimagehash.PerceptionHash, goimagehash.DifferenceHash, goimagehash.AverageHash} {
		h, err := f(m)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = h.GetHash()
	}
	return out
}

func ours(r *Hashes) [3]uint64 {
	return [3]uint64{r.u64(signal.PHash), r.u64(signal.DHash), r.u64(signal.AHash)}
}

// rebased returns a copy of m as an *image.RGBA whose bounds start at (0,0).
func rebased(m image.Image) *image.RGBA {
	b := m.Bounds()
	c := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(c, c.Rect, m, b.Min, draw.Src)
	return c
}

// TestSubImageGuard: goimagehash does not resize an image already at its
// working size (64×64 for pHash, 9×8 for dHash, 8×8 for aHash) and then
// reads it with At(x, y) from (0,0), whatever its bounds: a sub-image not at
// the origin is hashed from the wrong pixels. Ours must be the hashes of the
// sub-image's own pixels.
func TestSubImageGuard(t *testing.T) {
	big := image.NewRGBA(image.Rect(0, 0, 200, 200))
	draw.Draw(big, big.Rect, testimage.Photo(200, 200, 11), image.Point{}, draw.Src)
	for _, size := range []image.Point{{64, 64}, {9, 8}, {8, 8}} {
		sub := big.SubImage(image.Rectangle{Min: image.Pt(70, 50), Max: image.Pt(70+size.X, 50+size.Y)})
		right := ghashes(t, rebased(sub))
		wrong := ghashes(t, sub)
		if right == wrong {
			t.Fatalf("%v: goimagehash hashes the sub-image right; the trap this guards against is gone", size)
		}
		for _, owned := range []bool{false, true} {
			in := sub
			if owned { // Hash owns the images it decodes and normalises them in place
				in = big.SubImage(sub.Bounds()).(*image.RGBA)
				c := *in.(*image.RGBA)
				c.Pix = bytes.Clone(c.Pix)
				in = &c
			}
			r := &Hashes{}
			m, std := normalise(in, owned, nil)
			r.lumaStdDev = std
			if err := perceive(m, (&testOptions{Want: all}).config(), r); err != nil {
				t.Fatal(err)
			}
			if got := ours(r); got != right {
				t.Errorf("%v owned=%v: hashes %x, want %x (goimagehash on the sub-image gives %x)", size, owned, got, right, wrong)
			}
		}
	}
}

// TestGIFFrameOffset: a GIF's first frame may sit anywhere on its logical
// screen, so the decoder returns an image whose bounds do not start at the
// origin: the sub-image trap, reached from bytes.
func TestGIFFrameOffset(t *testing.T) {
	frame := image.NewPaletted(image.Rect(5, 7, 5+64, 7+64), nil)
	frame.Palette = make(color.Palette, 256)
	for i := range frame.Palette {
		frame.Palette[i] = color.Gray{uint8(i)}
	}
	src := testimage.Photo(64, 64, 5)
	for y := range 64 {
		for x := range 64 {
			frame.SetColorIndex(5+x, 7+y, uint8(int(src.Pix[src.PixOffset(x, y)])*3%256))
		}
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, &gif.GIF{Image: []*image.Paletted{frame}, Delay: []int{0}, Config: image.Config{ColorModel: frame.Palette, Width: 80, Height: 80}}); err != nil {
		t.Fatal(err)
	}
	decoded, err := gif.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if decoded.Bounds().Min == (image.Point{}) {
		t.Fatal("decoded frame starts at the origin; the test needs an offset frame")
	}
	r, err := hashT(context.Background(), bytes.NewReader(buf.Bytes()), &testOptions{Want: all})
	if err != nil {
		t.Fatal(err)
	}
	right, wrong := ghashes(t, rebased(decoded)), ghashes(t, decoded)
	if right == wrong {
		t.Fatal("goimagehash hashes the offset frame right; the trap this guards against is gone")
	}
	if got := ours(r); got != right {
		t.Errorf("hashes %x, want %x", got, right)
	}
	if r.Width != 64 || r.Height != 64 {
		t.Errorf("size %d×%d, want the frame's 64×64", r.Width, r.Height)
	}
}

// TestAlphaRule: every algorithm hashes the straight colour stored under
// each pixel, alpha ignored, as signal.PDQ's reference does. goimagehash on its own
// counts a transparent pixel as black.
func TestAlphaRule(t *testing.T) {
	straight := testimage.Photo(120, 90, 9)
	transparent := image.NewNRGBA(straight.Rect)
	copy(transparent.Pix, straight.Pix)
	for y := range 90 {
		for x := range 120 {
			transparent.Pix[transparent.PixOffset(x, y)+3] = uint8((x * 7) % 256) // from invisible to opaque
		}
	}
	opaque := rebased(straight)

	want, err := imageT(opaque, &testOptions{Want: all})
	if err != nil {
		t.Fatal(err)
	}
	got, err := imageT(transparent, &testOptions{Want: all})
	if err != nil {
		t.Fatal(err)
	}
	if ours(got) != ours(want) || got.pdq() != want.pdq() {
		t.Errorf("transparent image hashes %x %v, opaque one %x %v", ours(got), got.pdq(), ours(want), want.pdq())
	}
	if g := ghashes(t, transparent); g == ours(want) {
		t.Error("goimagehash ignores alpha by itself; the trap this guards against is gone")
	}
	// signal.PDQ's own rule, applied to the transparent image directly, agrees.
	if p, err := pdq.FromImage(transparent); err != nil || p.Hash != got.pdq() {
		t.Errorf("pdq.FromImage(transparent) = %v, %v; ours %v", p.Hash, err, got.pdq())
	}
	// HashImage must not have touched its input.
	if transparent.Pix[3] != 0 {
		t.Error("HashImage modified its input")
	}

	// A premultiplied image hashes as its straight colour.
	pre := image.NewRGBA(transparent.Rect)
	draw.Draw(pre, pre.Rect, transparent, image.Point{}, draw.Src)
	unpre := image.NewNRGBA(pre.Rect)
	for y := range 90 {
		for x := range 120 {
			c := color.NRGBAModel.Convert(pre.RGBAAt(x, y)).(color.NRGBA)
			c.A = 255
			unpre.SetNRGBA(x, y, c)
		}
	}
	a, err1 := imageT(pre, &testOptions{Want: all})
	b, err2 := imageT(unpre, &testOptions{Want: all})
	if err1 != nil || err2 != nil || ours(a) != ours(b) || a.pdq() != b.pdq() {
		t.Errorf("premultiplied %x %v, straight %x %v (%v, %v)", ours(a), a.pdq(), ours(b), b.pdq(), err1, err2)
	}
	if p, err := pdq.FromImage(pre); err != nil || p.Hash != a.pdq() {
		t.Errorf("pdq.FromImage(premultiplied) = %v, %v; ours %v", p.Hash, err, a.pdq())
	}
}

type panicky struct{ image.Rectangle }

func (p panicky) ColorModel() color.Model { return color.RGBAModel }
func (p panicky) Bounds() image.Rectangle { return p.Rectangle }
func (p panicky) At(x, y int) color.Color { panic("At") }

// TestNoPanic: tiny, empty and odd images never panic, and a panic inside
// becomes an ErrHashFailed error.
func TestNoPanic(t *testing.T) {
	sizes := []image.Point{{0, 0}, {0, 5}, {5, 0}, {1, 1}, {1, 9}, {9, 1}, {2, 3}, {4, 4}, {4, 5}, {5, 5}, {8, 8}, {9, 8}, {64, 64}, {3, 200}, {200, 3}}
	kinds := map[string]func(image.Rectangle) image.Image{
		"rgba":     func(r image.Rectangle) image.Image { return image.NewRGBA(r) },
		"nrgba":    func(r image.Rectangle) image.Image { return image.NewNRGBA(r) },
		"gray":     func(r image.Rectangle) image.Image { return image.NewGray(r) },
		"gray16":   func(r image.Rectangle) image.Image { return image.NewGray16(r) },
		"paletted": func(r image.Rectangle) image.Image { return image.NewPaletted(r, nil) },
		"ycbcr":    func(r image.Rectangle) image.Image { return image.NewYCbCr(r, image.YCbCrSubsampleRatio420) },
		"cmyk":     func(r image.Rectangle) image.Image { return image.NewCMYK(r) },
	}
	for name, mk := range kinds {
		for _, s := range sizes {
			img := mk(image.Rectangle{Min: image.Pt(3, 4), Max: image.Pt(3+s.X, 4+s.Y)})
			r, err := imageT(img, &testOptions{Want: all, Dihedral: true})
			if err != nil {
				t.Errorf("%s %v: %v", name, s, err)
				continue
			}
			switch {
			case s.X == 0 || s.Y == 0:
				if r.done != 0 || r.skipped[signal.PHash] != noPixels {
					t.Errorf("%s %v: Done %b, skipped %q", name, s, r.done, r.Skipped)
				}
			case s.X < 5 || s.Y < 5:
				if r.done != setOf(signal.PHash, signal.DHash, signal.AHash) || r.skipped[signal.PDQ] != tooSmall {
					t.Errorf("%s %v: Done %b, skipped %q", name, s, r.done, r.Skipped)
				}
			default:
				if r.done != perceptual || r.Dihedral == nil {
					t.Errorf("%s %v: Done %b, skipped %q", name, s, r.done, r.Skipped)
				}
			}
		}
	}
	if r, err := imageT(nil, nil); err != nil || r.skipped[signal.PDQ] != noPixels {
		t.Errorf("nil image: %v, %v", r, err)
	}
	_, err := imageT(panicky{image.Rect(0, 0, 10, 10)}, &testOptions{Want: all})
	var me *hashError
	if !errors.As(err, &me) || me.kind != ErrHashFailed {
		t.Errorf("image that panics: %v, want an ErrHashFailed error", err)
	}
}

// TestLowInformation: flat and nearly flat images hash to values shared by
// every other flat image; they must be flagged Weak.
func TestLowInformation(t *testing.T) {
	flat := image.NewGray(image.Rect(0, 0, 100, 80))
	for i := range flat.Pix {
		flat.Pix[i] = 0x80
	}
	near := image.NewGray(flat.Rect)
	for i := range near.Pix {
		near.Pix[i] = 0x80 + uint8(i*7%3) // ±1 grey level of noise
	}
	for _, c := range []struct {
		name string
		img  image.Image
		weak set
	}{
		{"flat", flat, perceptual},
		{"near flat", near, perceptual},
		{"detailed", testimage.Photo(100, 80, 2), 0},
	} {
		r, err := imageT(c.img, &testOptions{Want: all})
		if err != nil {
			t.Fatal(err)
		}
		if r.weak != c.weak {
			t.Errorf("%s: Weak = %b, want %b (quality %d, luma σ %.2f, hashes %x)", c.name, r.weak, c.weak, r.Quality, r.lumaStdDev, ours(r))
		}
	}
}

// crafted returns image headers that declare a 65535×65535 image (4 Gi
// pixels, 16 GiB as RGBA) followed by a little junk.
func crafted(t *testing.T) map[string][]byte {
	chunk := func(typ string, data []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		b = append(b, typ...)
		b = append(b, data...)
		return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	png := []byte("\x89PNG\r\n\x1a\n")
	png = append(png, chunk("IHDR", []byte{0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff, 8, 6, 0, 0, 0})...)
	png = append(png, chunk("IDAT", []byte{0x78, 0x9c, 0x62, 0, 0, 0, 0xff, 0xff})...)
	png = append(png, chunk("IEND", nil)...)

	gifb := []byte("GIF89a\xff\xff\xff\xff\x00\x00\x00,\x00\x00\x00\x00\xff\xff\xff\xff\x00\x08\x02\x4c\x01\x00;")

	bmp := []byte("BM")
	bmp = binary.LittleEndian.AppendUint32(bmp, 54)
	bmp = binary.LittleEndian.AppendUint32(bmp, 0)
	bmp = binary.LittleEndian.AppendUint32(bmp, 54)
	bmp = binary.LittleEndian.AppendUint32(bmp, 40)
	bmp = binary.LittleEndian.AppendUint32(bmp, 65535)
	bmp = binary.LittleEndian.AppendUint32(bmp, 65535)
	bmp = binary.LittleEndian.AppendUint16(bmp, 1)
	bmp = binary.LittleEndian.AppendUint16(bmp, 24)
	bmp = append(bmp, make([]byte, 24)...)

	jpg := testimage.Encode(t, "jpeg", testimage.Photo(16, 16, 1))
	i := bytes.Index(jpg, []byte{0xff, 0xc0})
	if i < 0 {
		t.Fatal("no SOF0 in JPEG")
	}
	binary.BigEndian.PutUint16(jpg[i+5:], 65535)
	binary.BigEndian.PutUint16(jpg[i+7:], 65535)

	tif := testimage.Encode(t, "tiff", testimage.Photo(16, 16, 1))
	ifd := int(binary.LittleEndian.Uint32(tif[4:]))
	for k := range int(binary.LittleEndian.Uint16(tif[ifd:])) {
		e := tif[ifd+2+12*k:]
		if tag := binary.LittleEndian.Uint16(e); tag == 256 || tag == 257 { // ImageWidth, ImageLength
			binary.LittleEndian.PutUint32(e[8:], 65535) // SHORT or LONG, little-endian
		}
	}
	return map[string][]byte{"png": png, "gif": gifb, "bmp": bmp, "jpeg": jpg, "tiff": tif}
}

// TestPixelLimit: a small file declaring a huge image is refused from its
// header, allocating no more than reading it costs.
func TestPixelLimit(t *testing.T) {
	for name, data := range crafted(t) {
		if f := sniff(data); f == nil || f.name != name {
			t.Fatalf("%s: sniffed %v", name, f)
		}
		if cfg, err := formatByName(name).config(bytes.NewReader(data)); err != nil || cfg.Width != 65535 || cfg.Height != 65535 {
			t.Fatalf("%s: crafted header reads as %v, %v", name, cfg, err)
		}
		var err error
		var r *Hashes
		alloc := allocated(func() { r, err = hashT(context.Background(), bytes.NewReader(data), &testOptions{Want: all}) })
		var me *hashError
		if !errors.As(err, &me) || me.kind != ErrImageTooLarge || me.format != name {
			t.Errorf("%s: %v, want ErrImageTooLarge", name, err)
		} else if r.done != digests || r.skipped[signal.PDQ] != overLimit {
			t.Errorf("%s: Done %b, skipped %q", name, r.done, r.Skipped)
		}
		t.Logf("%s: %d-byte file refused, %d bytes allocated", name, len(data), alloc)
		if alloc > 256<<10 {
			t.Errorf("%s: refusing a %d-byte file allocated %d bytes", name, len(data), alloc)
		}
	}

	// A real image over a lowered limit is refused too; at the limit it is not.
	data := testimage.Encode(t, "png", testimage.Photo(100, 50, 1))
	if _, err := hashT(context.Background(), bytes.NewReader(data), &testOptions{Want: all, MaxPixels: 4999}); !isKind(err, ErrImageTooLarge) {
		t.Errorf("100×50 over 4999 pixels: %v", err)
	}
	if _, err := hashT(context.Background(), bytes.NewReader(data), &testOptions{Want: all, MaxPixels: 5000}); err != nil {
		t.Errorf("100×50 at 5000 pixels: %v", err)
	}
	if _, err := imageT(testimage.Photo(100, 50, 1), &testOptions{Want: all, MaxPixels: 4999}); !isKind(err, ErrImageTooLarge) {
		t.Errorf("HashImage 100×50 over 4999 pixels: %v", err)
	}
}

func formatByName(name string) *format {
	for i := range formats {
		if formats[i].name == name {
			return &formats[i]
		}
	}
	return nil
}

// atOnly hides an image's concrete type, forcing Normalise's generic path.
type atOnly struct{ image.Image }

// TestNormaliseFastPaths: every type-specific conversion gives what the
// generic path through At gives, for every chroma subsampling and for
// sub-images at odd and negative offsets.
func TestNormaliseFastPaths(t *testing.T) {
	src := testimage.Photo(37, 29, 4)
	var imgs []image.Image
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410} {
		for _, r := range []image.Rectangle{image.Rect(0, 0, 37, 29), image.Rect(-3, -5, 34, 24)} {
			m := image.NewYCbCr(r, ratio)
			for i := range m.Y {
				m.Y[i] = uint8(i * 7)
			}
			for i := range m.Cb {
				m.Cb[i], m.Cr[i] = uint8(i*13), uint8(255-i*5)
			}
			imgs = append(imgs, m, m.SubImage(image.Rect(1, 3, 30, 20)), &image.NYCbCrA{YCbCr: *m, A: make([]byte, len(m.Y)), AStride: m.YStride})
		}
	}
	cmyk := image.NewCMYK(src.Rect)
	draw.Draw(cmyk, cmyk.Rect, src, image.Point{}, draw.Src)
	gray := image.NewGray(src.Rect)
	draw.Draw(gray, gray.Rect, src, image.Point{}, draw.Src)
	pal := image.NewPaletted(src.Rect, color.Palette{color.NRGBA{10, 20, 30, 0}, color.RGBA{40, 20, 10, 128}, color.Gray{77}})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i % 3)
	}
	rgba := image.NewRGBA(src.Rect)
	draw.Draw(rgba, rgba.Rect, src, image.Point{}, draw.Src)
	imgs = append(imgs, cmyk, gray, pal, src, src.SubImage(image.Rect(3, 1, 20, 20)), rgba, rgba.SubImage(image.Rect(3, 1, 20, 20)))
	for _, m := range imgs {
		fast, fs := normalise(m, false, nil)
		slow, ss := normalise(atOnly{m}, false, nil)
		if !bytes.Equal(fast.Pix, slow.Pix) || fs != ss {
			t.Errorf("%T %v: fast path differs from At", m, m.Bounds())
		}
	}
}

// TestYCbCrArithmetic: the inlined conversion is color.YCbCrToRGB's for
// every input.
func TestYCbCrArithmetic(t *testing.T) {
	m := image.NewYCbCr(image.Rect(0, 0, 256, 256), image.YCbCrSubsampleRatio444)
	d := image.NewRGBA(m.Rect)
	for y := range 256 {
		for i := range m.Y {
			m.Y[i] = uint8(y)
			m.Cb[i], m.Cr[i] = uint8(i%256), uint8(i/256)
		}
		fromYCbCr(d, m, 0, 256)
		for i := range m.Y {
			r, g, b := color.YCbCrToRGB(uint8(y), m.Cb[i], m.Cr[i])
			if p := d.Pix[4*i : 4*i+3]; p[0] != r || p[1] != g || p[2] != b {
				t.Fatalf("Y %d Cb %d Cr %d: %v, want %d %d %d", y, m.Cb[i], m.Cr[i], p, r, g, b)
			}
		}
	}
}
