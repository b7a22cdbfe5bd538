package pdq

import (
	"errors"
	"fmt"
)

// ErrRGB24Size reports an RGB24 buffer too short for its width, height and
// stride, or a stride under 3 × width.
var ErrRGB24Size = errors.New("pdq: RGB24 buffer does not match its dimensions")

// FromRGB24 hashes a width × height frame of packed 8-bit RGB (3 bytes a
// pixel, red first), whose rows start stride bytes apart, as the vPDQ
// reference's PDQFrameBufferHasher hashes a decoded frame: at full
// resolution, with luma 0.299R + 0.587G + 0.114B in float32, in the
// reference's order. That is the colour rule FromImage applies to images;
// the grey-image rule (luma = the grey level) belongs to the reference's
// image decoder and does not apply to frames, so a frame whose pixels are
// all grey hashes as the reference's video hasher hashes it.
//
// The last row needs only 3 × width bytes, so a tightly packed buffer
// (stride = 3 × width) of 3 × width × height bytes is accepted, as is one
// from a decoder that pads its rows. pix is not modified.
func (o Options) FromRGB24(pix []byte, width, height, stride int) (Result, error) {
	if width < 0 || height < 0 || stride < 3*width || (height > 0 && len(pix) < stride*(height-1)+3*width) {
		return Result{}, fmt.Errorf("%w: %d bytes for %d×%d at stride %d", ErrRGB24Size, len(pix), width, height, stride)
	}
	if width < minDim || height < minDim {
		return Result{}, fmt.Errorf("%w: %d×%d", ErrTooSmall, width, height)
	}
	if o.Resize512 && (width > cliDim || height > cliDim) {
		// Rare for frames: FromLuma does the tool's nearest-neighbour resize.
		luma := make([]float32, width*height)
		rgb24Luma(pix, width, height, stride, luma)
		return o.FromLuma(luma, width, height)
	}
	b := getBuffers()
	defer putBuffers(b)
	luma := grow(&b.a, width*height)
	rgb24Luma(pix, width, height, stride, luma)
	return b.hash(luma, width, height, o.Dihedral), nil
}

// rgb24Luma writes the colour luma of an RGB24 frame into dst, row-major.
func rgb24Luma(pix []byte, width, height, stride int, dst []float32) {
	t := &colourLuma
	for y := range height {
		row, out := pix[y*stride:y*stride+3*width:y*stride+3*width], dst[y*width:(y+1)*width:(y+1)*width]
		for x := range out {
			p := row[3*x : 3*x+3 : 3*x+3]
			out[x] = t.of(p[0], p[1], p[2])
		}
	}
}

// FromRGB24 hashes an RGB24 frame at full resolution with no dihedral
// hashes; see Options.FromRGB24.
func FromRGB24(pix []byte, width, height, stride int) (Result, error) {
	return Options{}.FromRGB24(pix, width, height, stride)
}
