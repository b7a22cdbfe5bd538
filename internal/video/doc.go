// Package video decodes video frames for hashing, as Meta's vPDQ reference
// selects and converts them, through a [Decoder]. [FFmpeg] is the one
// implementation: the ffprobe and ffmpeg programs run as child processes,
// because a video decoder is a large attack surface and hostile files are
// the normal input here.
//
// # Safety
//
// A video is probed before a frame is decoded, and refused when its
// duration, frame count, frame size, frame rate, codec or container is
// outside [Limits] ([ErrTooLarge], [ErrUnsupported]). Both programs get
// argument lists built here (never a shell), a file: path with the file
// protocol alone allowed, and allow-lists of demuxers and decoders that
// leave out playlists (hls, concat, image2, tee…) which could read other
// files or URLs. Each child runs in its own process group with an empty
// environment but PATH and no stdin; on Linux it also gets the parent-death
// signal and, right after it starts, CPU-time and address-space limits
// (prlimit). A wall-clock timeout, by default 30 s plus half the video's
// duration, kills the group ([ErrTimeout]), as does the caller's context
// ending. Only the last 64 KiB of a child's stderr are kept, for the
// error message. Frames arrive on a pipe at a fixed size, which is checked:
// a short frame is an error, not a frame.
//
// # Frames as the reference decodes them
//
// The frames are those of the reference (vpdq/cpp, libav since 2023): the
// first video stream, frames counted in decoder output order from 0, frame
// n kept when n % Every == 0, converted by swscale with its area filter,
// the BT.601 matrix and the range the pixel format implies (full for
// yuvj*), at the stream's size or a downsample size, with no frame
// duplicated or dropped (fps_mode passthrough) and no autorotation. The
// known differences: the reference drains the decoder's delayed frames only
// when video is stream 0, and aborts on a corrupt packet where ffmpeg
// conceals the error and goes on.
//
// # Frames at a constant rate
//
// TMK's reference reads frames as ffmpeg's command line -s 64:64 -r 15
// puts them out: [FFmpeg.OpenRated] delivers those ([Rated]), byte for
// byte, ffmpeg's choice of stream included. [FFmpeg.OpenBoth] delivers
// the sampled frames of vPDQ and the rated ones of TMK from one decode:
// one ffmpeg with two outputs, each on a pipe of its own.
//
// # Cost
//
// ffprobe and ffmpeg start together: ffmpeg opens the input and waits for
// its filter graph on an inherited pipe, which it gets once the probe has
// passed the limits, so the probe costs no wall time of its own on a
// machine with a core to spare. That pipe needs a Unix-like system. A
// rated output alone has no filter graph to wait for, so ffmpeg decodes
// beside the probe, until its output pipe is full.
//
// Without ffmpeg on the machine, every call fails with [ErrNoDecoder],
// whose message says how to install it.
package video
