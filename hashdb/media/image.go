package media

import (
	"image"
	"sync"
	"time"
)

// HashImage computes the perceptual signals of an image already decoded;
// the digests do not apply, as there are no bytes. img is not modified. An
// image over [Options.MaxPixels] fails with [ErrImageTooLarge], as the
// normalised copy described below costs 4 bytes per pixel.
//
// Every algorithm hashes the same pixels: the image's bounds moved to
// (0,0), and each pixel's straight (non-premultiplied) 8-bit colour with
// alpha ignored — the colour under a transparent pixel is hashed, without
// compositing, as Meta's PDQ reference does; a premultiplied pixel of alpha
// 0 is black. pHash, dHash and aHash are exactly what goimagehash v1.1.0
// returns for that opaque image. Pixels are hashed as stored: EXIF
// orientation is not applied, as in the PDQ reference.
func HashImage(img image.Image, opts *Options) (h *Hashes, err error) {
	c, err := opts.config()
	if err != nil {
		return nil, err
	}
	defer recoverHash(&h, &err)
	h, err = hashImage(img, &c)
	return finish(h, err)
}

func hashImage(img image.Image, c *config) (*Hashes, error) {
	start := time.Now()
	h := &Hashes{}
	h.skip(all&^c.want, notRequested)
	h.skip(digests, noBytes)
	if img == nil {
		h.skip(perceptual, noPixels)
		return h, nil
	}
	var b image.Rectangle
	if err := guard("Bounds", func() error { b = img.Bounds(); return nil }); err != nil {
		return nil, errorf(ErrHashFailed, "", err, "reading bounds")
	}
	if err := checkSize(b.Dx(), b.Dy(), c.maxPixels, ""); err != nil {
		return nil, err
	}
	h.Width, h.Height, h.ContentType = b.Dx(), b.Dy(), "photo"
	err := normaliseAndPerceive(img, false, c, h)
	h.stages.Total = time.Since(start)
	if err != nil {
		return nil, err
	}
	return h, nil
}

// normaliseAndPerceive hashes the pixels of img; owned says img is the
// caller's alone, to be normalised in place.
func normaliseAndPerceive(img image.Image, owned bool, c *config, h *Hashes) error {
	if c.want&perceptual == 0 {
		return nil
	}
	t := time.Now()
	var m *image.RGBA
	// The normalised copy is garbage as soon as the hashes are computed:
	// reuse it rather than make the collector reclaim 4 bytes per pixel
	// per image.
	pix := pixPool.Get().(*[]byte)
	defer pixPool.Put(pix)
	err := guard("normalise", func() error { m, h.lumaStdDev = normalise(img, owned, pix); return nil })
	if err != nil {
		h.skip(perceptual, failed)
		return errorf(ErrHashFailed, h.Format, err, "normalising %T", img)
	}
	h.stages.Normalise = time.Since(t)
	if err := perceive(m, c, h); err != nil {
		h.skip(perceptual, failed)
		return err
	}
	return nil
}

var pixPool = sync.Pool{New: func() any { return new([]byte) }}
