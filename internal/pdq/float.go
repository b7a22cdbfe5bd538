package pdq

// Float256FromRGB24 writes into out the PDQF frame feature of a 64×64
// packed RGB24 frame (tightly packed, 12,288 bytes), as TMK's
// PDQFloatFrameBufferHasher computes it: the colour luma, then, the frame
// being 64×64 already, no blur, straight to the 64→16 DCT, whose 16×16
// output is the feature, row-major and not thresholded. pix must hold
// 64 × 64 × 3 bytes; a shorter one gives ErrRGB24Size.
func Float256FromRGB24(pix []byte, out *[256]float32) error {
	if len(pix) < 64*64*3 {
		return ErrRGB24Size
	}
	b := getBuffers()
	defer putBuffers(b)
	rgb24Luma(pix, 64, 64, 3*64, b.img[:])
	dct64To16(&b.img, &b.tmp, (*[16 * 16]float32)(out))
	return nil
}
