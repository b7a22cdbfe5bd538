package video

import (
	"errors"
	"fmt"
)

// Errors of decoding. Each error a Decoder returns wraps one of them (or
// the caller's context error), with a message naming what was wrong.
var (
	// ErrNoDecoder reports that no decoder is installed: the ffmpeg or
	// ffprobe program was not found.
	ErrNoDecoder = errors.New("video: no decoder")

	// ErrDecode reports a file that does not decode as a video: not a
	// container ffmpeg reads, no video stream, a corrupt stream or a
	// truncated frame.
	ErrDecode = errors.New("video: does not decode")

	// ErrTooLarge reports a video refused by its probe, or stopped, for
	// being over a limit: duration, frame count, frame size, frame rate,
	// frames decoded, or the child's memory.
	ErrTooLarge = errors.New("video: over the limits")

	// ErrUnsupported reports a codec or container outside the allow-lists.
	ErrUnsupported = errors.New("video: codec or container not allowed")

	// ErrTimeout reports a decoder stopped by the wall-clock timeout or
	// its CPU-time limit.
	ErrTimeout = errors.New("video: decoding timed out")
)

// installHint is ErrNoDecoder's advice.
const installHint = "install ffmpeg, which includes ffprobe (Debian and Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg), or give the programs' paths"

func errorf(kind error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{kind}, args...)...)
}
