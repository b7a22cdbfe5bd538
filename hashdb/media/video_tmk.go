package media

import (
	"context"
	"errors"
	"io"

	"github.com/hashshare/hashshare/hashdb/tmk"
	"github.com/hashshare/hashshare/internal/pdq"
	"github.com/hashshare/hashshare/internal/video"
)

// tmkFrames are the frames TMK's reference hashes: ffmpeg's 64×64
// (bicubic) at 15 fps.
var tmkFrames = video.Rated{Rate: tmk.FPS, Width: 64, Height: 64}

// TMKFile computes the TMK+PDQF hash of the video file at path as Meta's
// reference (tmk-hash-video) does: ffmpeg's frames at 64×64 (bicubic) and
// 15 fps, from the stream ffmpeg chooses, the PDQ float feature of each,
// accumulated in frame order. opts may be nil; its decoder settings and
// limits apply (its sampling and downsampling do not). A video that is
// refused or fails to decode gives an error wrapping ErrVideoTooLarge,
// ErrVideoUnsupported, ErrVideoDecode or ErrNoVideoDecoder, as for vPDQ;
// one with no frames gives ErrVideoDecode. To have both a video's vPDQ
// and its TMK from one decode, set [VideoOptions.TMK] and hash it with
// [HashFile] or [HashReader].
func TMKFile(ctx context.Context, path string, opts *VideoOptions) (*tmk.Hash, error) {
	var o VideoOptions
	if opts != nil {
		o = *opts
	}
	c, err := o.config()
	if err != nil {
		return nil, err
	}
	src, err := c.decoder.OpenRated(ctx, path, tmkFrames)
	if err != nil {
		return nil, videoError("", err)
	}
	defer src.Close()
	h, err := hashTMK(ctx, src)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		return nil, videoError("", err)
	}
	return h, nil
}

// errNoFrames is hashTMK's error for a video that put out no frames.
var errNoFrames = errors.New("the video has no frames at 15 fps")

// hashTMK accumulates the TMK+PDQF hash of src's frames, in order.
func hashTMK(ctx context.Context, src video.FrameSource) (*tmk.Hash, error) {
	b := tmk.NewBuilder()
	buf := make([]byte, 3*tmkFrames.Width*tmkFrames.Height)
	var f [tmk.Dim]float32
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		_, err := src.Next(buf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := pdq.Float256FromRGB24(buf, &f); err != nil {
			return nil, err
		}
		b.Add(&f)
	}
	h := b.Hash()
	if h == nil {
		return nil, errNoFrames
	}
	return h, nil
}
