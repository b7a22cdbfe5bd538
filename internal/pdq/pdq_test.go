package pdq

import (
	"errors"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// opaque hides an image's concrete type, forcing the generic At path.
type opaque struct{ image.Image }

func randomImages(rng *rand.Rand, w, h int) map[string]image.Image {
	r := image.Rect(3, -2, 3+w, -2+h) // a non-zero origin exercises offsets
	nrgba := image.NewNRGBA(r)
	rgba := image.NewRGBA(r)
	grey := image.NewNRGBA(r)
	gray := image.NewGray(r)
	gray16 := image.NewGray16(r)
	nrgba64 := image.NewNRGBA64(r)
	pal := make(color.Palette, 200)
	for i := range pal {
		pal[i] = color.NRGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256))}
	}
	paletted := image.NewPaletted(r, pal)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.NRGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256))}
			if rng.IntN(2) == 0 {
				c.A = 0xff
			}
			nrgba.SetNRGBA(x, y, c)
			rgba.Set(x, y, c)
			grey.SetNRGBA(x, y, color.NRGBA{c.R, c.R, c.R, c.A})
			gray.SetGray(x, y, color.Gray{c.G})
			gray16.SetGray16(x, y, color.Gray16{uint16(rng.IntN(65536))})
			nrgba64.SetNRGBA64(x, y, color.NRGBA64{uint16(rng.IntN(65536)), uint16(rng.IntN(65536)), uint16(rng.IntN(65536)), 0xffff})
			paletted.SetColorIndex(x, y, uint8(rng.IntN(len(pal))))
		}
	}
	imgs := map[string]image.Image{
		"NRGBA": nrgba, "RGBA": rgba, "grey NRGBA": grey, "Gray": gray, "Gray16": gray16,
		"opaque NRGBA64": nrgba64, "Paletted": paletted,
	}
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410} {
		m := image.NewYCbCr(r, ratio)
		for i := range m.Y {
			m.Y[i] = uint8(rng.IntN(256))
		}
		for i := range m.Cb {
			m.Cb[i], m.Cr[i] = uint8(rng.IntN(256)), uint8(rng.IntN(256))
		}
		imgs["YCbCr "+ratio.String()] = m
	}
	gm := image.NewYCbCr(r, image.YCbCrSubsampleRatio420) // neutral chroma: all grey
	for i := range gm.Y {
		gm.Y[i] = uint8(rng.IntN(256))
	}
	for i := range gm.Cb {
		gm.Cb[i], gm.Cr[i] = 128, 128
	}
	imgs["grey YCbCr"] = gm
	return imgs
}

// TestFastPathsMatchGeneric checks that every concrete-type fast path
// hashes exactly as the generic At/NRGBAModel path does.
func TestFastPathsMatchGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, sz := range [][2]int{{5, 7}, {37, 29}, {130, 140}, {600, 520}} {
		for name, img := range randomImages(rng, sz[0], sz[1]) {
			for _, opts := range []Options{{Dihedral: true}, {Dihedral: true, Resize512: true}} {
				got, err1 := opts.FromImage(img)
				want, err2 := opts.FromImage(opaque{img})
				if err1 != nil || err2 != nil {
					t.Fatalf("%s: %v, %v", name, err1, err2)
				}
				if got != want {
					t.Errorf("%s %dx%d %+v: fast path %v q%d, generic %v q%d",
						name, sz[0], sz[1], opts, got.Hash, got.Quality, want.Hash, want.Quality)
				}
			}
		}
	}
}

// TestAllGreyIsGrey checks that an image whose pixels are all grey hashes
// from the grey value, as the reference does (its decoder hands such images
// over as one channel), and that one colour pixel switches to the RGB
// formula.
func TestAllGreyIsGrey(t *testing.T) {
	r := image.Rect(0, 0, 90, 70)
	gray, rgb := image.NewGray(r), image.NewNRGBA(r)
	for y := 0; y < 70; y++ {
		for x := 0; x < 90; x++ {
			v := uint8(15 * ((x/9 + y/7) % 17)) // multiples of 15 differ under the formula
			gray.SetGray(x, y, color.Gray{v})
			rgb.SetNRGBA(x, y, color.NRGBA{v, v, v, uint8(x)})
		}
	}
	g, _ := FromImage(gray)
	c, _ := FromImage(rgb)
	if g != c {
		t.Errorf("grey NRGBA %v, Gray %v", c.Hash, g.Hash)
	}
	luma := make([]float32, 90*70)
	lumaOf(rgb, luma, axis(new([]int), 90, false), axis(new([]int), 70, false), nil)
	if luma[9] != 15 {
		t.Errorf("grey luma of 15 = %v, want 15", luma[9])
	}
	rgb.SetNRGBA(89, 69, color.NRGBA{1, 2, 3, 255})
	lumaOf(rgb, luma, axis(new([]int), 90, false), axis(new([]int), 70, false), nil)
	if want := (float32(0.299)*15 + float32(0.587)*15) + float32(0.114)*15; luma[9] != want {
		t.Errorf("colour luma of 15 = %v, want %v", luma[9], want)
	}
}

func TestStraightColourUnderAlpha(t *testing.T) {
	r := image.Rect(0, 0, 40, 40)
	a, b := image.NewNRGBA(r), image.NewNRGBA(r)
	a16 := image.NewNRGBA64(r)
	for i := 0; i < len(a.Pix); i += 4 {
		v := uint8(i * 7 / 5)
		copy(a.Pix[i:], []uint8{v, v / 2, 255 - v, 0})
		copy(b.Pix[i:], []uint8{v, v / 2, 255 - v, 255})
		a16.Pix[2*i], a16.Pix[2*i+2], a16.Pix[2*i+4] = v, v/2, 255-v
		a16.Pix[2*i+1], a16.Pix[2*i+3], a16.Pix[2*i+5] = 0x77, 0x88, 0x99
	}
	ha, _ := FromImage(a)
	hb, _ := FromImage(b)
	h16, _ := FromImage(a16)
	if ha != hb || h16 != hb {
		t.Errorf("transparent %v, 16-bit transparent %v, opaque %v: want equal", ha.Hash, h16.Hash, hb.Hash)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		run  func() (Result, error)
		want error
	}{
		{"nil image", func() (Result, error) { return FromImage(nil) }, ErrTooSmall},
		{"4 wide", func() (Result, error) { return FromImage(image.NewGray(image.Rect(0, 0, 4, 100))) }, ErrTooSmall},
		{"4 tall", func() (Result, error) { return FromImage(image.NewRGBA(image.Rect(0, 0, 100, 4))) }, ErrTooSmall},
		{"empty", func() (Result, error) { return FromImage(image.NewRGBA(image.Rectangle{})) }, ErrTooSmall},
		{"luma 4×4", func() (Result, error) { return FromLuma(make([]float32, 16), 4, 4) }, ErrTooSmall},
		{"luma short", func() (Result, error) { return FromLuma(make([]float32, 24), 5, 5) }, ErrLumaSize},
		{"luma negative", func() (Result, error) { return FromLuma(nil, -5, 0) }, ErrLumaSize},
		{"5×5 ok", func() (Result, error) { return FromImage(image.NewGray(image.Rect(0, 0, 5, 5))) }, nil},
	}
	for _, tt := range tests {
		r, err := tt.run()
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.want)
		}
		if err != nil && r != (Result{}) {
			t.Errorf("%s: non-zero result with error", tt.name)
		}
	}
}

func TestHashStringDistance(t *testing.T) {
	var a, b Hash
	if a.String() != "0000000000000000000000000000000000000000000000000000000000000000" {
		t.Errorf("zero hash %q", a.String())
	}
	b.setBit(0)   // lowest bit of the last word: the last hex digit
	b.setBit(255) // highest bit of the first word: the first hex digit
	b.setBit(17)
	if got, want := b.String(), "8000000000000000000000000000000000000000000000000000000000020001"; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
	if d := a.Distance(b); d != 3 {
		t.Errorf("Distance = %d, want 3", d)
	}
	if d := b.Distance(b); d != 0 {
		t.Errorf("self distance %d", d)
	}
}

// TestConcurrent hashes from many goroutines; with -race it checks that the
// pooled buffers are never shared.
func TestConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var imgs []image.Image
	var want []Result
	for _, sz := range [][2]int{{64, 64}, {100, 80}, {300, 200}, {7, 90}} {
		for _, img := range randomImages(rng, sz[0], sz[1]) {
			r, err := Options{Dihedral: true}.FromImage(img)
			if err != nil {
				t.Fatal(err)
			}
			imgs, want = append(imgs, img), append(want, r)
		}
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for k := range imgs {
				i := (k + g*5) % len(imgs)
				r, err := Options{Dihedral: true}.FromImage(imgs[i])
				if err != nil || r != want[i] {
					t.Errorf("goroutine %d image %d: %v %v, want %v", g, i, r.Hash, err, want[i].Hash)
				}
			}
		})
	}
	wg.Wait()
}

func FuzzPDQ(f *testing.F) {
	f.Add([]byte{10, 10, 0, 1, 2, 3})
	f.Add([]byte{39, 3, 1, 255})
	f.Add([]byte{63, 63, 2, 0, 128, 255, 7})
	f.Add([]byte{4, 40, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 3 {
			return
		}
		w, h := 1+int(data[0])%40, 1+int(data[1])%40
		if data[0] == 63 && data[1] == 63 {
			w, h = 64, 64 // the reference's 64×64 shortcut
		}
		px := data[3:]
		at := func(i int) uint8 {
			if len(px) == 0 {
				return 0
			}
			return px[i%len(px)] ^ uint8(i/len(px))
		}
		var img image.Image
		switch data[2] % 3 {
		case 0:
			m := image.NewNRGBA(image.Rect(0, 0, w, h))
			for i := range m.Pix {
				m.Pix[i] = at(i)
			}
			img = m
		case 1:
			m := image.NewGray(image.Rect(0, 0, w, h))
			for i := range m.Pix {
				m.Pix[i] = at(i)
			}
			img = m
		default:
			m := image.NewRGBA(image.Rect(0, 0, w, h))
			for i := range m.Pix {
				m.Pix[i] = at(i)
			}
			img = opaque{m}
		}
		opts := Options{Dihedral: data[0]&1 == 1, Resize512: data[1]&1 == 1}
		r1, err1 := opts.FromImage(img)
		r2, err2 := opts.FromImage(img)
		if r1 != r2 || (err1 == nil) != (err2 == nil) {
			t.Fatalf("not deterministic: %v %v / %v %v", r1.Hash, err1, r2.Hash, err2)
		}
		tooSmall := w < minDim || h < minDim
		if tooSmall != errors.Is(err1, ErrTooSmall) || (!tooSmall && err1 != nil) {
			t.Fatalf("%d×%d: error %v", w, h, err1)
		}
		if r1.Quality < 0 || r1.Quality > 100 {
			t.Fatalf("quality %d", r1.Quality)
		}
	})
}

func TestYCbCrToRGB(t *testing.T) {
	for y := range 256 {
		for cb := range 256 {
			for cr := range 256 {
				r, g, b := yccToRGB(uint8(y), uint8(cb), uint8(cr))
				r0, g0, b0 := color.YCbCrToRGB(uint8(y), uint8(cb), uint8(cr))
				if r != r0 || g != g0 || b != b0 {
					t.Fatalf("YCbCr %d %d %d: %d %d %d, want %d %d %d", y, cb, cr, r, g, b, r0, g0, b0)
				}
			}
		}
	}
}

// TestFromLumaMatchesFromImage checks that FromLuma, including its 512
// resize, agrees with FromImage on the same pixels.
func TestFromLumaMatchesFromImage(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, sz := range [][2]int{{700, 600}, {300, 513}, {512, 512}, {90, 64}} {
		img := image.NewGray(image.Rect(0, 0, sz[0], sz[1]))
		luma := make([]float32, len(img.Pix))
		for i := range img.Pix {
			img.Pix[i] = uint8(rng.IntN(256))
			luma[i] = float32(img.Pix[i])
		}
		for _, opts := range []Options{{}, {Resize512: true, Dihedral: true}} {
			want, err1 := opts.FromImage(img)
			got, err2 := opts.FromLuma(luma, sz[0], sz[1])
			if err1 != nil || err2 != nil || got != want {
				t.Errorf("%v %+v: FromLuma %v (%v), FromImage %v (%v)", sz, opts, got.Hash, err2, want.Hash, err1)
			}
		}
	}
}

// TestNonFiniteLuma checks that wild luma neither panics nor leaves the
// quality range.
func TestNonFiniteLuma(t *testing.T) {
	luma := make([]float32, 100*100)
	for i := range luma {
		switch i % 4 {
		case 0:
			luma[i] = float32(math.Inf(1))
		case 1:
			luma[i] = float32(math.NaN())
		case 2:
			luma[i] = -math.MaxFloat32
		}
	}
	r1, err := Options{Dihedral: true}.FromLuma(luma, 100, 100)
	r2, _ := Options{Dihedral: true}.FromLuma(luma, 100, 100)
	if err != nil || r1 != r2 || r1.Quality < 0 || r1.Quality > 100 {
		t.Errorf("non-finite luma: %v quality %d err %v, deterministic %v", r1.Hash, r1.Quality, err, r1 == r2)
	}
}
