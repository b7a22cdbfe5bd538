// Package vpdq is the vPDQ video hash: the PDQ hashes of a video's sampled
// frames, each with its frame number, quality and timestamp, matched by
// the share of frames that agree.
//
// The string form is python-threatexchange's, byte for byte; the per-frame
// file form is Meta's C++ reference's (vpdq-hash-video). Hashing a video
// file lives in hashdb/media, which decodes frames through ffmpeg.
package vpdq

// A Feature is one hashed frame.
type Feature struct {
	// Frame is the frame's number among the decoded frames, from 0. Forms
	// that carry no frame numbers (pytx's) leave it 0 on every feature.
	Frame uint32
	// Quality is PDQ's 0–100 gradient score; below 50 the frame is
	// skipped by matching, as the reference skips it.
	Quality uint8
	// PDQ is the frame's 256-bit PDQ hash, in the byte order of its hex
	// form.
	PDQ [32]byte
	// Seconds is the frame's timestamp, computed as the reference does:
	// float32(frame) / float32(fps).
	Seconds float64
}

// A Hash is a video's vPDQ: its features in frame order, and what is
// known of the video and of how it was hashed.
type Hash struct {
	Features []Feature
	Video    Video
}

// Video describes the video a [Hash] came from and how it was sampled.
// Forms that carry none of it (pytx's string, the C++ file) leave it
// zero.
type Video struct {
	// Width and Height are the decoded frame size in pixels.
	Width, Height int
	// FPS is the frame rate the sampling used (avg_frame_rate, else
	// r_frame_rate), and FPSRational the form ffprobe gave, e.g.
	// "30000/1001".
	FPS         float64
	FPSRational string
	// Duration is the container's duration in seconds, Frames the number
	// of frames decoded.
	Duration float64
	Frames   int
	// SecondsPerHash is the sampling interval: 0 hashes every frame.
	SecondsPerHash float64
	// Downsample is the square size frames were scaled to before PDQ,
	// or 0 for full resolution.
	Downsample int
	// Decoder names the decoder and its settings, e.g.
	// "ffmpeg 5.1.9 cli; scale=area; bt601", so drift between decoders
	// can be diagnosed.
	Decoder string
}
