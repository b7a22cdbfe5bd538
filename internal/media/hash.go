package media

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"io"
	"sync"
	"time"
)

// Defaults for Options.
const (
	// DefaultMaxPixels is 64 Mi pixels: an 8192×8192 image.
	DefaultMaxPixels = 64 << 20
	// DefaultMaxImageBytes bounds the bytes of one image held in memory:
	// 256 MiB, enough for an uncompressed 8192×8192 RGBA TIFF.
	DefaultMaxImageBytes = 256 << 20
)

// More reasons an algorithm did not apply.
const (
	Undecodable = "image does not decode"
	OverLimit   = "image over the size limit"
)

// Options control Hash and HashImage.
type Options struct {
	Want          Set   // algorithms to compute (a nil *Options computes All)
	MaxPixels     int64 // largest width×height decoded; 0 means DefaultMaxPixels
	MaxImageBytes int64 // largest image buffered; 0 means DefaultMaxImageBytes
	Dihedral      bool  // also compute PDQ's 8 dihedral hashes
	Resize512     bool  // hash PDQ as the reference CLI does, at 512×512
	SizeHint      int64 // the expected number of bytes, if known, to size the image buffer
}

func (o *Options) withDefaults() Options {
	v := Options{Want: All}
	if o != nil {
		v = *o
	}
	if v.MaxPixels <= 0 {
		v.MaxPixels = DefaultMaxPixels
	}
	if v.MaxImageBytes <= 0 {
		v.MaxImageBytes = DefaultMaxImageBytes
	}
	v.Want &= All
	return v
}

// Hash reads src to its end once and computes the algorithms in opts.Want.
//
// The error is a *Error for a problem with the media (an image too large or
// corrupt); the Result is then not nil and holds the digests of every byte
// read, so that a caller can still record them. Any other error (reading
// src, or ctx ending, whose error is returned as is) comes with a nil
// Result.
func Hash(ctx context.Context, src io.Reader, o *Options) (*Result, error) {
	start := time.Now()
	opts := o.withDefaults()
	r := &Result{}
	skip(r, All&^opts.Want, NotRequested)
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	hint := opts.SizeHint
	if l, ok := src.(interface{ Len() int }); ok && hint <= 0 {
		hint = int64(l.Len()) // bytes.Reader, strings.Reader, bytes.Buffer: what is left to read
	}
	br := bufio.NewReaderSize(&ctxReader{ctx: ctx, r: src}, 32<<10)
	head, err := br.Peek(sniffLen)
	if err != nil && err != io.EOF {
		return nil, err
	}
	f := sniff(head)
	d := newDigester(opts.Want)
	if f == nil || opts.Want&perceptual == 0 {
		// Not an image, or no pixels wanted: stream the bytes through the
		// digests in constant memory.
		if f == nil {
			skip(r, perceptual, NotImage)
		} else {
			r.Format = f.name
		}
		t := time.Now()
		n, err := d.readFrom(br)
		if err != nil {
			return nil, err
		}
		r.Size = n
		d.sum(r)
		r.Stages.Digest = time.Since(t)
		r.Stages.Total = time.Since(start)
		return r, nil
	}

	r.Format = f.name
	var (
		data []byte
		over = hint > opts.MaxImageBytes // known from the file's size: buffer nothing
	)
	if !over {
		t := time.Now()
		data, over, err = readImage(br, opts.MaxImageBytes, hint)
		r.Stages.Read = time.Since(t)
		if err != nil {
			return nil, err
		}
	}
	if over {
		skip(r, perceptual, OverLimit)
		d.Write(data)
		n, err := d.readFrom(br)
		if err != nil {
			return nil, err
		}
		r.Size = int64(len(data)) + n
		d.sum(r)
		return r, errorf(TooLarge, f.name, nil, "%d bytes, over the limit of %d bytes for an image", r.Size, opts.MaxImageBytes)
	}
	r.Size = int64(len(data))

	// The digests need only the bytes, the pixels only the decoder: do both
	// at once.
	var (
		wg     sync.WaitGroup
		digest time.Duration
	)
	if opts.Want&digests != 0 {
		wg.Go(func() {
			t := time.Now()
			d.Write(data)
			digest = time.Since(t)
		})
	}
	err = pixels(ctx, f, data, &opts, r)
	wg.Wait()
	d.sum(r)
	r.Stages.Digest = digest
	r.Stages.Total = time.Since(start)
	if err != nil {
		if _, ok := err.(*Error); !ok {
			return nil, err // ctx ended
		}
	}
	return r, err
}

// pixels decodes data as format f and computes the perceptual hashes.
func pixels(ctx context.Context, f *format, data []byte, opts *Options, r *Result) error {
	t := time.Now()
	var cfg image.Config
	err := guard(0, func() (err error) { cfg, err = f.config(bytes.NewReader(data)); return err })
	if err != nil {
		skip(r, perceptual, Undecodable)
		return errorf(Decode, f.name, err, "reading header")
	}
	if err := checkSize(cfg.Width, cfg.Height, opts.MaxPixels, f.name); err != nil {
		skip(r, perceptual, OverLimit)
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var img image.Image
	err = guard(0, func() (err error) { img, err = f.decode(bytes.NewReader(data)); return err })
	if err == nil && img == nil {
		err = fmt.Errorf("decoder returned no image")
	}
	if err != nil {
		skip(r, perceptual, Undecodable)
		return errorf(Decode, f.name, err, "decoding %d×%d image", cfg.Width, cfg.Height)
	}
	b := img.Bounds()
	if err := checkSize(b.Dx(), b.Dy(), opts.MaxPixels, f.name); err != nil {
		skip(r, perceptual, OverLimit)
		return err
	}
	r.Width, r.Height = b.Dx(), b.Dy()
	r.Stages.Decode = time.Since(t)
	if err := ctx.Err(); err != nil {
		return err
	}
	// The decoded image is ours alone, so it may be normalised in place.
	return normaliseAndPerceive(img, true, opts, r)
}

// HashImage computes the perceptual algorithms in opts.Want of an image
// already decoded; the digests do not apply. img is not modified.
func HashImage(img image.Image, o *Options) (*Result, error) {
	start := time.Now()
	opts := o.withDefaults()
	r := &Result{}
	skip(r, All&^opts.Want, NotRequested)
	skip(r, digests, NoBytes)
	if img == nil {
		skip(r, perceptual, NoPixels)
		return r, nil
	}
	var b image.Rectangle
	if err := guard(0, func() error { b = img.Bounds(); return nil }); err != nil {
		return nil, errorf(Internal, "", err, "reading bounds")
	}
	if err := checkSize(b.Dx(), b.Dy(), opts.MaxPixels, ""); err != nil {
		skip(r, perceptual, OverLimit)
		return nil, err
	}
	r.Width, r.Height = b.Dx(), b.Dy()
	err := normaliseAndPerceive(img, false, &opts, r)
	r.Stages.Total = time.Since(start)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func normaliseAndPerceive(img image.Image, owned bool, opts *Options, r *Result) error {
	if opts.Want&perceptual == 0 {
		return nil
	}
	t := time.Now()
	var m *image.RGBA
	// The normalised copy is garbage as soon as the hashes are computed:
	// reuse it rather than make the collector reclaim 4 bytes per pixel
	// per image.
	pix := pixPool.Get().(*[]byte)
	defer pixPool.Put(pix)
	err := guard(0, func() error { m, r.LumaStdDev = normalise(img, owned, pix); return nil })
	if err != nil {
		skip(r, perceptual, Failed)
		return errorf(Internal, r.Format, err, "normalising %T", img)
	}
	r.Stages.Normalise = time.Since(t)
	if err := perceive(m, opts.Want, opts, r); err != nil {
		skip(r, perceptual&^r.Done, Failed)
		return err
	}
	return nil
}

var pixPool = sync.Pool{New: func() any { return new([]byte) }}

// checkSize refuses an image over maxPixels, or with a negative side.
func checkSize(w, h int, maxPixels int64, format string) error {
	if w < 0 || h < 0 {
		return errorf(Decode, format, nil, "negative dimensions %d×%d", w, h)
	}
	// Divide rather than multiply: two sides a TIFF declares as up to 2³²−1
	// overflow an int64 product.
	if w > 0 && int64(h) > maxPixels/int64(w) {
		return errorf(TooLarge, format, nil, "%d×%d image is over the limit of %d pixels", w, h, maxPixels)
	}
	return nil
}

// readImage reads r to its end into memory, up to limit bytes. over
// reports that there were more, in which case data holds the first limit+1.
func readImage(r io.Reader, limit, hint int64) (data []byte, over bool, err error) {
	c := int64(64 << 10)
	if hint > 0 {
		c = hint + 1 // room to see io.EOF without growing
	}
	data = make([]byte, 0, min(c, limit+1))
	for {
		if len(data) == cap(data) {
			// Double, where append would grow a large slice by a quarter
			// and copy it many more times.
			data = append(make([]byte, 0, min(2*int64(cap(data)), limit+1)), data...)
		}
		n, err := r.Read(data[len(data):min(int64(cap(data)), limit+1)])
		data = data[:len(data)+n]
		switch {
		case int64(len(data)) > limit:
			return data, true, nil
		case err == io.EOF:
			return data, false, nil
		case err != nil:
			return nil, false, err
		}
	}
}

// ctxReader fails reads once ctx has ended, so that hashing a long stream
// stops soon after its context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
