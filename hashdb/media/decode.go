package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"time"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// A format is one image format this package decodes. The table is private
// on purpose: registering decoders with package image would change what
// image.Decode accepts in every program that links hashshare.
type format struct {
	name   string
	match  func(head []byte) bool
	decode func(io.Reader) (image.Image, error)
	config func(io.Reader) (image.Config, error)
}

// sniffLen is how many leading bytes sniff needs.
const sniffLen = 32

var formats = []format{
	{"jpeg", prefix("\xff\xd8\xff"), jpeg.Decode, jpeg.DecodeConfig},
	{"png", prefix("\x89PNG\r\n\x1a\n"), png.Decode, png.DecodeConfig},
	{"gif", func(h []byte) bool {
		return bytes.HasPrefix(h, []byte("GIF87a")) || bytes.HasPrefix(h, []byte("GIF89a"))
	}, gif.Decode, gif.DecodeConfig},
	{"bmp", isBMP, bmp.Decode, bmp.DecodeConfig},
	{"tiff", func(h []byte) bool {
		return bytes.HasPrefix(h, []byte("II*\x00")) || bytes.HasPrefix(h, []byte("MM\x00*"))
	}, tiff.Decode, tiff.DecodeConfig},
	{"webp", func(h []byte) bool {
		return len(h) >= 12 && string(h[:4]) == "RIFF" && string(h[8:12]) == "WEBP"
	}, webp.Decode, webp.DecodeConfig},
}

func prefix(p string) func([]byte) bool {
	return func(h []byte) bool { return bytes.HasPrefix(h, []byte(p)) }
}

// isBMP requires more than the two-byte "BM" signature, which plenty of
// text begins with: the DIB header that follows must have one of the sizes
// Windows defines, so that a text file is not reported as a corrupt BMP.
func isBMP(h []byte) bool {
	if len(h) < 18 || h[0] != 'B' || h[1] != 'M' {
		return false
	}
	switch binary.LittleEndian.Uint32(h[14:18]) {
	case 12, 40, 52, 56, 64, 108, 124:
		return true
	}
	return false
}

// sniff returns the format whose signature head starts with, or nil.
func sniff(head []byte) *format {
	for i := range formats {
		if formats[i].match(head) {
			return &formats[i]
		}
	}
	return nil
}

// decode decodes data as format f, after checking its header against the
// limits, and computes the perceptual hashes of its pixels.
func decode(ctx context.Context, f *format, data []byte, c *config, h *Hashes) error {
	t := time.Now()
	var cfg image.Config
	err := guard("header", func() (err error) { cfg, err = f.config(bytes.NewReader(data)); return err })
	if err != nil {
		h.skip(perceptual, undecodable)
		return errorf(ErrImageDecode, f.name, err, "reading header")
	}
	if err := checkSize(cfg.Width, cfg.Height, c.maxPixels, f.name); err != nil {
		h.skip(perceptual, overLimit)
		return err
	}
	release, err := c.budget.acquire(ctx, decodeCost(cfg))
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		h.skip(perceptual, overLimit)
		return errorf(ErrImageTooLarge, f.name, nil, "%d×%d image %v", cfg.Width, cfg.Height, err)
	}
	defer release()
	var img image.Image
	err = guard("decoder", func() (err error) { img, err = f.decode(bytes.NewReader(data)); return err })
	if err == nil && img == nil {
		err = fmt.Errorf("decoder returned no image")
	}
	if err != nil {
		h.skip(perceptual, undecodable)
		return errorf(ErrImageDecode, f.name, err, "decoding %d×%d image", cfg.Width, cfg.Height)
	}
	b := img.Bounds()
	if err := checkSize(b.Dx(), b.Dy(), c.maxPixels, f.name); err != nil {
		h.skip(perceptual, overLimit)
		return err
	}
	h.Width, h.Height = b.Dx(), b.Dy()
	h.stages.Decode = time.Since(t)
	if err := ctx.Err(); err != nil {
		return err
	}
	// The decoded image is ours alone, so it may be normalised in place.
	return normaliseAndPerceive(img, true, c, h)
}

// checkSize refuses an image over maxPixels, or with a negative side.
func checkSize(w, h int, maxPixels int64, format string) error {
	if w < 0 || h < 0 {
		return errorf(ErrImageDecode, format, nil, "negative dimensions %d×%d", w, h)
	}
	// Divide rather than multiply: two sides a TIFF declares as up to 2³²−1
	// overflow an int64 product.
	if w > 0 && int64(h) > maxPixels/int64(w) {
		return errorf(ErrImageTooLarge, format, nil, "%d×%d image is over the limit of %d pixels", w, h, maxPixels)
	}
	return nil
}
