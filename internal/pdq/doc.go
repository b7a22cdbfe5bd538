// Package pdq computes PDQ, Meta's 256-bit perceptual image hash, bit for bit
// as Meta's C++ reference implementation (facebook/ThreatExchange, pdq/cpp)
// computes it.
//
// The pipeline is the reference's: float32 luma, two passes of a Jarosz
// (box) filter along rows then columns, point sampling down to 64×64, a
// quality score from that 64×64 buffer, the 16×16 low-frequency block of its
// DCT (DC dropped), and one bit per coefficient above the median. Every
// floating-point operation is float32 and happens in the reference's order;
// products are rounded explicitly so that the compiler never fuses them into
// FMA instructions, which keeps results identical on amd64 and arm64.
//
// By default an image is hashed at full resolution, as pdqhash-python,
// python-threatexchange, HMA and Meta's Java port do. Options.Resize512
// reproduces the reference command-line tool, which first resizes any image
// larger than 512 pixels on a side to 512×512.
//
// Pixels become luma as the reference's decoder pipeline delivers them:
// alpha is dropped without compositing (the colour under a transparent pixel
// is hashed), an image whose pixels are all grey is hashed from the grey
// value itself (ImageMagick hands such images to the reference as one
// channel), and 16-bit samples are scaled to 8 bits with >>8. The reference
// tool instead keeps the low byte of 16-bit samples, so 16-bit images are the
// one case where this package deliberately differs.
package pdq
