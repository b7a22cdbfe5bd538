package media

import (
	"errors"
	"fmt"
)

// Errors of hashing media. A media error comes with a [Hashes] that still
// holds the digests of every byte read (see [HashReader]).
var (
	// ErrImageTooLarge reports an image over [Options.MaxPixels] or
	// [Options.MaxImageBytes], or one that would take more memory to
	// decode and hash than its whole [Budget]. It is detected from the
	// image's header, before its pixels are allocated.
	ErrImageTooLarge = errors.New("media: image too large")

	// ErrImageDecode reports bytes that begin like an image of a known
	// format but do not decode: truncated or corrupt. The message names the
	// format.
	ErrImageDecode = errors.New("media: image does not decode")

	// ErrHashFailed reports a perceptual hash that failed on a decoded
	// image. It means a bug, in hashshare or a library it uses; the panic
	// that caused it, if any, was recovered.
	ErrHashFailed = errors.New("media: hashing failed")

	// ErrNoVideoDecoder reports a video that could not be decoded because
	// ffmpeg is not installed. Its message says how to install it; the
	// digests are computed all the same.
	ErrNoVideoDecoder = errors.New("media: no video decoder")

	// ErrVideoDecode reports bytes that begin like a video container but
	// do not decode: no video stream, corrupt or truncated.
	ErrVideoDecode = errors.New("media: video does not decode")

	// ErrVideoTooLarge reports a video over [VideoOptions]' limits:
	// refused from its probe (duration, frames, frame size, frame rate)
	// before a frame is decoded, or stopped (more frames than declared, the
	// decoder's memory), or a file over VideoOptions.MaxBytes.
	ErrVideoTooLarge = errors.New("media: video too large")

	// ErrVideoUnsupported reports a video whose codec or container is
	// not on the decoder's allow-lists.
	ErrVideoUnsupported = errors.New("media: video codec or container not allowed")

	// ErrVideoTimeout reports a video whose decoding passed its
	// wall-clock timeout or CPU-time limit.
	ErrVideoTimeout = errors.New("media: video decoding timed out")

	// ErrUnknownTransform reports a [Transform] name that is not one of the
	// eight.
	ErrUnknownTransform = errors.New("media: unknown transform")
)

// hashError is a problem with the media itself. Its message starts with
// its sentinel's, which carries the package's one prefix, then names the
// format sniffed: "media: image does not decode: png: decoding 64×48
// image: unexpected EOF".
type hashError struct {
	kind   error  // ErrImageTooLarge, ErrImageDecode, ErrHashFailed or an ErrVideo…
	format string // the format sniffed, or ""
	msg    string // what went wrong
	err    error  // the underlying error, if any
}

func (e *hashError) Error() string {
	s := e.kind.Error() + ": "
	if e.format != "" {
		s += e.format + ": "
	}
	s += e.msg
	if e.err != nil {
		s += ": " + e.err.Error()
	}
	return s
}

func (e *hashError) Unwrap() []error {
	if e.err == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.err}
}

func errorf(kind error, format string, err error, msg string, args ...any) *hashError {
	return &hashError{kind: kind, format: format, msg: fmt.Sprintf(msg, args...), err: err}
}

// wrap gives an error that is not about the media (reading, ctx ending)
// the package's prefix; a media error already has it.
func wrap(doing string, err error) error {
	var he *hashError
	if err == nil || errors.As(err, &he) {
		return err
	}
	return fmt.Errorf("media: %s: %w", doing, err)
}
