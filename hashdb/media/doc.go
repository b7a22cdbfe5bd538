// Package media turns bytes into every signal hashshare computes, in one
// pass and within fixed limits: the MD5, SHA-1 and SHA-256 digests of the
// raw bytes and, when the bytes are an image, PDQ and goimagehash's pHash,
// dHash and aHash of its pixels. It returns plain values; package hashdb
// turns them into Signals.
//
// # One read
//
// The first bytes decide the format. Bytes that are not an image stream
// through the digests in constant memory, whatever their size. Image bytes
// are buffered (up to Options.MaxImageBytes), digested on one core while
// another decodes them, and decoded once after the header has been checked
// against Options.MaxPixels, so a crafted header declaring a huge image costs
// no more than reading the header.
//
// # Pixels
//
// Every perceptual algorithm hashes the same normalised copy of the pixels:
// an opaque *image.RGBA whose bounds start at (0,0). The rule for alpha is
// the one Meta's PDQ reference applies: alpha is ignored, and the straight
// (non-premultiplied) 8-bit colour of each pixel is hashed without
// compositing onto any background. Colour a format stores under a
// transparent pixel is therefore hashed as it is; a fully transparent pixel
// of a premultiplied image (image.RGBA, a GIF's transparent index) has no
// colour left and is black. 16-bit samples keep their high byte.
//
// Pixels are hashed as stored, before any EXIF orientation is applied, as
// the PDQ reference does: a rotated photo is matched through PDQ's dihedral
// hashes, not by guessing its orientation. A GIF is hashed from its first
// frame.
//
// # goimagehash, guarded
//
// The pHash, dHash and aHash values are exactly what
// github.com/corona10/goimagehash v1.1.0 returns for the normalised image.
// Handing it that image, rather than the decoded one, avoids its traps: an
// image already at its working size whose bounds do not start at (0,0) is
// read from the wrong pixels, transparent pixels count as black, and an image
// with no pixels makes PerceptionHash read a stale pooled buffer. Any panic
// in a third-party decoder or hash is recovered and returned as an error of
// kind Internal or Decode; none escapes.
package media
