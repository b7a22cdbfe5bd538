package hashdb

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"

	"github.com/hashshare/hashshare/hashdb/signal"

	"github.com/hashshare/hashshare/internal/media"
)

// Errors of hashing media. A media error comes with a [Hashes] that still
// holds the digests of every byte read (see [HashReader]).
var (
	// ErrImageTooLarge reports an image over [HashOptions.MaxPixels] or
	// [HashOptions.MaxImageBytes]. It is detected from the image's header,
	// before its pixels are allocated.
	ErrImageTooLarge = errors.New("hashdb: image too large")

	// ErrImageDecode reports bytes that begin like an image of a known
	// format but do not decode: truncated or corrupt. The message names the
	// format.
	ErrImageDecode = errors.New("hashdb: image does not decode")

	// ErrHashFailed reports a perceptual hash that failed on a decoded
	// image. It means a bug, in hashshare or a library it uses; the panic
	// that caused it, if any, was recovered.
	ErrHashFailed = errors.New("hashdb: hashing failed")
)

// Limits applied when [HashOptions] leaves them zero.
const (
	// DefaultMaxPixels is the largest image decoded by default, 64 Mi
	// pixels: 8192×8192.
	DefaultMaxPixels = media.DefaultMaxPixels
	// DefaultMaxImageBytes is the most bytes of one image held in memory by
	// default, 256 MiB. Bytes that are not an image are never held.
	DefaultMaxImageBytes = media.DefaultMaxImageBytes
)

// HashOptions choose what [HashReader], [HashFile], [HashImage] and
// [HashTree] compute. A nil *HashOptions, like the zero value, computes
// every algorithm within the default limits.
type HashOptions struct {
	// Algorithms lists the algorithms to compute; empty means all of them.
	Algorithms []signal.Algorithm
	// MaxPixels is the largest width × height decoded; larger images fail
	// with ErrImageTooLarge. 0 means DefaultMaxPixels.
	MaxPixels int64
	// MaxImageBytes is the largest image file read into memory; larger
	// images fail with ErrImageTooLarge. 0 means DefaultMaxImageBytes.
	MaxImageBytes int64
	// Dihedral also computes the PDQ hashes of the image's 8 rotations and
	// reflections, in Hashes.Dihedral.
	Dihedral bool
	// PDQResize512 computes PDQ as Meta's reference command-line tool does,
	// after resizing an image larger than 512 px on a side to 512×512. Off,
	// PDQ hashes the full image, as the reference library, HMA and
	// python-threatexchange do.
	PDQResize512 bool
	// Workers is how many files HashTree hashes at once; 0 means one per
	// core (GOMAXPROCS).
	Workers int
}

func (o *HashOptions) media() (*media.Options, error) {
	m := &media.Options{Want: media.All}
	if o == nil {
		return m, nil
	}
	if len(o.Algorithms) > 0 {
		m.Want = 0
		for _, a := range o.Algorithms {
			if !a.Valid() {
				return nil, fmt.Errorf("hashdb: hash options: %w: %d", signal.ErrUnknownAlgorithm, uint8(a))
			}
			m.Want |= media.Of(alg(a))
		}
	}
	m.MaxPixels, m.MaxImageBytes = o.MaxPixels, o.MaxImageBytes
	m.Dihedral, m.Resize512 = o.Dihedral, o.PDQResize512
	return m, nil
}

// alg maps an Algorithm onto internal/media's numbering, which follows
// Algorithms().
func alg(a signal.Algorithm) media.Alg { return media.Alg(a - signal.PDQ) }

// Hashes is everything hashing one piece of media found: its signals and
// facts about the input.
type Hashes struct {
	// Signals holds one signal per algorithm computed, in the order of
	// Algorithms(). Item.Signals takes it as is.
	Signals []signal.Signal
	// Unreliable is the subset of Signals computed from too little
	// information to match on: PDQ of quality below 50 (the reference's
	// rule), and the 64-bit hashes of a flat or nearly flat image (luma
	// standard deviation under 2 grey levels), which hash to values such as
	// 8000000000000000 or 0 that every other flat image shares.
	// Item.Unreliable takes it as is.
	Unreliable []signal.Signal
	// Dihedral holds, when HashOptions.Dihedral is set, the PDQ hashes of
	// the image's 8 rotations and reflections: original, rotated 90°,
	// 180° and 270° (counter-clockwise), flipped top to bottom, flipped left
	// to right, transposed, and transposed about the anti-diagonal.
	// Dihedral[0] is the PDQ signal, except for an image of exactly 64×64
	// pixels, which Meta's reference hashes without blurring on its own
	// but with blurring among the eight.
	Dihedral []signal.Signal
	// Format is the image format, as the first bytes say: "jpeg", "png",
	// "gif", "bmp", "tiff", "webp", or "" when the bytes are not an image
	// (or for HashImage).
	Format string
	// Width and Height are the decoded image's, or 0.
	Width, Height int
	// Quality is PDQ's quality score, 0 to 100, when PDQ was computed.
	Quality int
	// Size is the number of bytes read; 0 for HashImage.
	Size int64
	// Skipped says, for each algorithm not in Signals, why: "not
	// requested", "not an image", "image smaller than 5 px", "image does
	// not decode", …
	Skipped map[signal.Algorithm]string

	stages media.Stages // for benchmarks
}

// Signal returns the signal of algorithm a, if it was computed.
func (h *Hashes) Signal(a signal.Algorithm) (signal.Signal, bool) {
	for _, s := range h.Signals {
		if s.Algorithm() == a {
			return s, true
		}
	}
	return signal.Signal{}, false
}

// HashReader reads r to its end, once, and computes every requested signal
// of its bytes: MD5, SHA-1 and SHA-256 always and, when the bytes are an
// image in a format hashshare decodes (JPEG, PNG, GIF's first frame, BMP,
// TIFF, WebP), PDQ, pHash, dHash and aHash of its pixels. Bytes that are not
// an image, such as a video or a PDF, stream through the digests in
// constant memory and get only those: that is not an error, and Skipped
// says why the perceptual hashes do not apply.
//
// Pixels are hashed as [HashImage] describes. An image is decoded only
// after its header has been checked against the limits, so a small file
// declaring a huge image costs no more than reading its header.
//
// A corrupt image fails with an error wrapping [ErrImageDecode], one over
// the limits with [ErrImageTooLarge]: the returned Hashes is then not nil
// and holds the digests of every byte, so that a caller may still record
// them. An error reading r, or ctx ending, comes with a nil Hashes.
func HashReader(ctx context.Context, r io.Reader, opts *HashOptions) (h *Hashes, err error) {
	mo, err := opts.media()
	if err != nil {
		return nil, err
	}
	defer recoverHash(&h, &err)
	res, err := media.Hash(ctx, r, mo)
	return convert(res, err, "reading media")
}

// HashFile hashes the file at path, as [HashReader] hashes its bytes.
func HashFile(ctx context.Context, path string, opts *HashOptions) (h *Hashes, err error) {
	mo, err := opts.media()
	if err != nil {
		return nil, err
	}
	defer recoverHash(&h, &err)
	res, err := media.File(ctx, path, mo)
	return convert(res, err, "hashing file")
}

// HashImage computes the perceptual signals of an image already decoded;
// the digests do not apply, as there are no bytes. img is not modified. An
// image over [HashOptions.MaxPixels] fails with [ErrImageTooLarge], as the
// normalised copy described below costs 4 bytes per pixel.
//
// Every algorithm hashes the same pixels: the image's bounds moved to
// (0,0), and each pixel's straight (non-premultiplied) 8-bit colour with
// alpha ignored — the colour under a transparent pixel is hashed, without
// compositing, as Meta's PDQ reference does; a premultiplied pixel of alpha
// 0 is black. pHash, dHash and aHash are exactly what goimagehash v1.1.0
// returns for that opaque image. Pixels are hashed as stored: EXIF
// orientation is not applied, as in the PDQ reference.
func HashImage(img image.Image, opts *HashOptions) (h *Hashes, err error) {
	mo, err := opts.media()
	if err != nil {
		return nil, err
	}
	defer recoverHash(&h, &err)
	res, err := media.HashImage(img, mo)
	return convert(res, err, "hashing image")
}

// recoverHash is the last guard: internal/media recovers the panics of
// decoders and hashes itself, so reaching this one is a bug.
func recoverHash(h **Hashes, err *error) {
	if p := recover(); p != nil {
		*h, *err = nil, fmt.Errorf("%w: panic: %v", ErrHashFailed, p)
	}
}

// convert turns internal/media's result and error into the public ones.
func convert(res *media.Result, err error, doing string) (*Hashes, error) {
	if err != nil {
		var me *media.Error
		if !errors.As(err, &me) {
			return nil, fmt.Errorf("hashdb: %s: %w", doing, err)
		}
		sentinel := ErrHashFailed
		switch me.Kind {
		case media.TooLarge:
			sentinel = ErrImageTooLarge
		case media.Decode:
			sentinel = ErrImageDecode
		}
		err = fmt.Errorf("%w: %w", sentinel, me)
	}
	if res == nil {
		return nil, err
	}
	return fromResult(res), err
}

func fromResult(r *media.Result) *Hashes {
	h := &Hashes{
		Format:  r.Format,
		Width:   r.Width,
		Height:  r.Height,
		Size:    r.Size,
		Skipped: make(map[signal.Algorithm]string),
		stages:  r.Stages,
	}
	for _, a := range signal.Algorithms() {
		m := alg(a)
		if !r.Done.Has(m) {
			h.Skipped[a] = r.Skipped[m]
			continue
		}
		var s signal.Signal
		switch a {
		case signal.PDQ:
			s = mustPDQ(r.PDQ)
			h.Quality = r.Quality
		case signal.PHash:
			s, _ = signal.FromUint64(a, r.PHash)
		case signal.DHash:
			s, _ = signal.FromUint64(a, r.DHash)
		case signal.AHash:
			s, _ = signal.FromUint64(a, r.AHash)
		case signal.MD5:
			s, _ = signal.New(a, r.MD5[:])
		case signal.SHA1:
			s, _ = signal.New(a, r.SHA1[:])
		case signal.SHA256:
			s, _ = signal.New(a, r.SHA256[:])
		}
		h.Signals = append(h.Signals, s)
		if r.Weak.Has(m) {
			h.Unreliable = append(h.Unreliable, s)
		}
	}
	if r.Dihedral != nil {
		for _, d := range r.Dihedral {
			h.Dihedral = append(h.Dihedral, mustPDQ(d))
		}
	}
	return h
}

func mustPDQ(v [32]byte) signal.Signal {
	s, _ := signal.New(signal.PDQ, v[:])
	return s
}
