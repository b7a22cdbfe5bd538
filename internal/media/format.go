package media

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

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
