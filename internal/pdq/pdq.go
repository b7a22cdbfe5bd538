package pdq

import (
	"errors"
	"fmt"
	"image"
	"sync"
)

// ErrTooSmall reports an image under 5 pixels on a side, which the reference
// does not hash (it outputs the all-zero hash with quality 0). Such a result
// must not be stored or matched.
var ErrTooSmall = errors.New("pdq: image too small to hash")

// ErrLumaSize reports a luma buffer whose length is not width × height.
var ErrLumaSize = errors.New("pdq: luma buffer does not match its dimensions")

// minDim is the reference's smallest hashable width and height.
const minDim = 5

// cliDim is the size to which the reference command-line tool resizes images
// larger than it on either side.
const cliDim = 512

// Result is the outcome of hashing one image.
type Result struct {
	// Hash is the PDQ hash.
	Hash Hash
	// Quality is the reference's quality score, 0 to 100: the amount of
	// gradient in the blurred 64×64 image. The reference advises that hashes
	// of quality under 50 are unreliable.
	Quality int
	// Dihedral holds, when Options.Dihedral is set, the hashes of the
	// image's eight rotations and reflections, indexed by Original,
	// Rotate90 … FlipMinus1; otherwise it is zero. Dihedral[Original] equals
	// Hash except for images of exactly 64×64 pixels, which the reference's
	// single-hash function hashes without blurring but its dihedral function
	// blurs.
	Dihedral [8]Hash
}

// Options select how an image is hashed. The zero value hashes at full
// resolution and computes no dihedral hashes. Options are safe for
// concurrent use.
type Options struct {
	// Resize512 reproduces the reference command-line tool
	// (pdq-photo-hasher), which first resizes an image wider or taller than
	// 512 pixels to 512×512 by nearest neighbour (aspect ratio not kept; the
	// source of pixel d is floor(d·size/512)). Off, the image is hashed at
	// full resolution, as the reference library and its ports do.
	Resize512 bool
	// Dihedral also computes the hashes of the image's eight rotations and
	// reflections, in Result.Dihedral.
	Dihedral bool
}

// FromImage hashes img at full resolution with no dihedral hashes; see
// Options.FromImage.
func FromImage(img image.Image) (Result, error) { return Options{}.FromImage(img) }

// FromLuma hashes a row-major float32 luma buffer of width × height, as the
// reference's pdqHash256FromFloatLuma does. luma is not modified.
func FromLuma(luma []float32, width, height int) (Result, error) {
	return Options{}.FromLuma(luma, width, height)
}

// FromImage hashes img. An image under 5 pixels on a side (or a nil img)
// gives ErrTooSmall and a zero Result.
func (o Options) FromImage(img image.Image) (Result, error) {
	w, h := 0, 0
	if img != nil {
		w, h = img.Bounds().Dx(), img.Bounds().Dy()
	}
	if w < minDim || h < minDim {
		return Result{}, fmt.Errorf("%w: %d×%d", ErrTooSmall, w, h)
	}
	b := getBuffers()
	defer putBuffers(b)
	resize := o.Resize512 && (w > cliDim || h > cliDim)
	xs, ys := axis(&b.xs, w, resize), axis(&b.ys, h, resize)
	w, h = len(xs), len(ys)
	luma := grow(&b.a, w*h)
	lumaOf(img, luma, xs, ys, &b.cx)
	return b.hash(luma, w, h, o.Dihedral), nil
}

// FromLuma hashes a row-major float32 luma buffer of width × height, with
// values in 0..255 as the reference produces them. luma is not modified.
// Non-finite values give a deterministic but meaningless result.
func (o Options) FromLuma(luma []float32, width, height int) (Result, error) {
	if width < 0 || height < 0 || len(luma) != width*height {
		return Result{}, fmt.Errorf("%w: %d values for %d×%d", ErrLumaSize, len(luma), width, height)
	}
	if width < minDim || height < minDim {
		return Result{}, fmt.Errorf("%w: %d×%d", ErrTooSmall, width, height)
	}
	b := getBuffers()
	defer putBuffers(b)
	if o.Resize512 && (width > cliDim || height > cliDim) {
		xs, ys := axis(&b.xs, width, true), axis(&b.ys, height, true)
		src := luma
		luma = grow(&b.a, cliDim*cliDim)
		for i, y := range ys {
			for j, x := range xs {
				luma[i*cliDim+j] = src[y*width+x]
			}
		}
		width, height = cliDim, cliDim
	}
	return b.hash(luma, width, height, o.Dihedral), nil
}

// buffers is the scratch space of one hash computation, pooled so that a
// call allocates nothing once the pool is warm.
type buffers struct {
	a, b, c  []float32 // full-size luma and blur passes; c is height×64
	run      []float32 // running sums of four rows
	xs, ys   []int     // source column and row of each luma sample
	cx       []int     // lumaOf's scratch
	img      [64 * 64]float32
	tmp      [16 * 64]float32
	dct, aux [16 * 16]float32
	sorted   [16 * 16]float32
}

var pool = sync.Pool{New: func() any { return new(buffers) }}

func getBuffers() *buffers  { return pool.Get().(*buffers) }
func putBuffers(b *buffers) { pool.Put(b) }

// grow returns (*s)[:n], reallocating *s when it is too short.
func grow[T any](s *[]T, n int) []T {
	if cap(*s) < n {
		*s = make([]T, n)
	}
	*s = (*s)[:n]
	return *s
}

// axis returns, in *s, the source index of each luma sample along an axis of
// n pixels: all of them, or the 512 nearest-neighbour picks of the reference
// tool's resize (which resizes both axes when either exceeds 512).
func axis(s *[]int, n int, resize bool) []int {
	if !resize {
		out := grow(s, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := grow(s, cliDim)
	for i := range out {
		out[i] = i * n / cliDim
	}
	return out
}

// hash computes the result for a width × height luma buffer, which may be
// b.a, in which case it is overwritten.
func (b *buffers) hash(luma []float32, w, h int, dihedral bool) Result {
	var r Result
	direct := w == 64 && h == 64
	if direct {
		// The reference's single-hash function takes a 64×64 input as the
		// already-downsampled buffer.
		copy(b.img[:], luma)
		r.Quality = quality(&b.img)
		dct64To16(&b.img, &b.tmp, &b.dct)
		r.Hash = toBits(&b.dct, &b.sorted)
		if !dihedral {
			return r
		}
	}
	b.downsample(luma, w, h)
	q := quality(&b.img)
	dct64To16(&b.img, &b.tmp, &b.dct)
	if !direct {
		r.Quality = q
		r.Hash = toBits(&b.dct, &b.sorted)
	}
	if dihedral {
		dihedral8(&b.dct, &b.aux, &b.sorted, &r.Dihedral)
	}
	return r
}

// downsample blurs luma (w × h) with the reference's two Jarosz passes and
// samples it to 64×64 in b.img. luma is read before b.a is written, so it may
// be b.a.
func (b *buffers) downsample(luma []float32, w, h int) {
	rows, cols := newWindow(w, windowSize(w)), newWindow(h, windowSize(h))
	var xs, ys [64]int
	for i := range 64 {
		xs[i], ys[i] = sampleIndex(i, w), sampleIndex(i, h)
	}
	tmp := grow(&b.b, w*h)
	run := grow(&b.run, 4*w)
	boxRows(luma, tmp, w, h, rows)
	out := grow(&b.a, w*h)
	boxCols(tmp, out, run, w, h, cols)
	c := grow(&b.c, h*64)
	boxRowsSampled(out, c, run, w, h, rows, &xs)
	boxColsSampled(c, &b.img, h, cols, &ys)
}
