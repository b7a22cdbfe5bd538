package video

import (
	"context"
	"math"
	"time"
)

// A Decoder probes video files and decodes their frames. [FFmpeg] is the
// implementation; the interface leaves room for another backend (libav
// through cgo, a WASM build of ffmpeg).
type Decoder interface {
	// Probe reads what the file's container says of its first video
	// stream. A video outside the decoder's limits or allow-lists comes
	// back with its Info filled and an error wrapping ErrTooLarge or
	// ErrUnsupported.
	Probe(ctx context.Context, path string) (Info, error)
	// Open probes the file as Probe does and, unless the video is
	// refused, starts decoding the frames choose selects given its Info.
	// The Info comes back filled when the video is refused.
	Open(ctx context.Context, path string, choose func(Info) Sampling) (Info, FrameSource, error)
}

// A FrameSource delivers a video's selected frames in order, as packed
// RGB24 (3 bytes a pixel, rows of 3 × width bytes, no padding).
type FrameSource interface {
	// Size returns the frames' width and height.
	Size() (width, height int)
	// Next reads the next frame into buf, which must hold 3 × width ×
	// height bytes, and returns its frame number among the decoded
	// frames. It returns io.EOF after the last frame, and an error
	// wrapping ErrDecode, ErrTooLarge or ErrTimeout if decoding failed.
	Next(buf []byte) (frame int, err error)
	// Close stops decoding, if it has not ended, and releases the
	// decoder. It is safe to call more than once.
	Close() error
}

// Info is what a probe found of a video's first video stream.
type Info struct {
	// Stream is the stream's index in the container: the reference
	// drains the decoder's last delayed frames only for stream 0.
	Stream int
	// Codec is the codec's name as ffprobe gives it: "h264", "hevc",
	// "vp9", "av1"…
	Codec string
	// Width and Height are the coded frame size, PixFmt the decoder's
	// pixel format ("yuv420p", "yuvj420p"…).
	Width, Height int
	PixFmt        string
	// FPS is the frame rate the reference samples by: avg_frame_rate, or
	// r_frame_rate where that is 0 or unknown. FPSRational is its
	// rational form, "30/1" or "30000/1001".
	FPS         float64
	FPSRational string
	// Frames is the stream's frame count as the container declares it,
	// or 0 when it does not say.
	Frames int
	// Duration is the container's duration (the stream's when the
	// container gives none), or 0 when unknown.
	Duration time.Duration
	// Container is the demuxer's name, e.g. "mov,mp4,m4a,3gp,3g2,mj2".
	Container string
	// AttachedPic reports that the stream is a cover picture, which the
	// reference hashes as the video when it is the first video stream.
	AttachedPic bool
}

// EstimatedFrames is Frames, or the duration times the frame rate when the
// container does not declare a frame count.
func (i Info) EstimatedFrames() int {
	if i.Frames > 0 {
		return i.Frames
	}
	return int(math.Ceil(i.Duration.Seconds() * i.FPS))
}

// Sampling selects the frames to decode and their size.
type Sampling struct {
	// Every keeps decoded frame n when n % Every == 0; 0 and 1 keep every
	// frame. [Step] computes it as the reference does.
	Every int
	// Width and Height are the size frames are scaled to (swscale's area
	// filter); 0 keeps the stream's size.
	Width, Height int
}

// Step returns the reference's sampling step for one hash every
// secondsPerHash seconds at fps frames a second: int(secondsPerHash × fps),
// truncated, and at least 1. At 29.97 fps and 1 s it is 29.
func Step(secondsPerHash, fps float64) int {
	k := secondsPerHash * fps
	if !(k >= 1) || math.IsInf(k, 0) || k > math.MaxInt32 {
		if k > math.MaxInt32 {
			return math.MaxInt32
		}
		return 1
	}
	return int(k)
}
