package media

import (
	"context"
	"errors"
	"io"

	"github.com/hashshare/hashshare/hashdb/tmk"
	"github.com/hashshare/hashshare/internal/pdq"
	"github.com/hashshare/hashshare/internal/video"
)

// TMKFile computes the TMK+PDQF hash of the video file at path as Meta's
// reference (tmk-hash-video) does: ffmpeg's frames at 64×64 (bicubic) and
// 15 fps, the PDQ float feature of each, accumulated in frame order. opts
// may be nil; its decoder settings and limits apply (its sampling and
// downsampling do not). A video that is refused or fails to decode gives
// an error wrapping ErrVideoTooLarge, ErrVideoUnsupported, ErrVideoDecode or ErrNoVideoDecoder, as
// for vPDQ; one with no frames gives ErrVideoDecode.
func TMKFile(ctx context.Context, path string, opts *VideoOptions) (*tmk.Hash, error) {
	var o VideoOptions
	if opts != nil {
		o = *opts
	}
	c, err := o.config()
	if err != nil {
		return nil, err
	}
	return tmkFile(ctx, path, &c)
}

// tmkFile is TMKFile with c's decoder.
func tmkFile(ctx context.Context, path string, c *videoConfig) (*tmk.Hash, error) {
	dec := *c.decoder
	dec.Rate = tmk.FPS
	_, src, err := dec.Open(ctx, path, func(video.Info) video.Sampling {
		return video.Sampling{Width: 64, Height: 64}
	})
	if err != nil {
		return nil, videoError("", err)
	}
	defer src.Close()
	b := tmk.NewBuilder()
	buf := make([]byte, 64*64*3)
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
			return nil, videoError("", err)
		}
		if err := pdq.Float256FromRGB24(buf, &f); err != nil {
			return nil, err
		}
		b.Add(&f)
	}
	h := b.Hash()
	if h == nil {
		return nil, errorf(ErrVideoDecode, "", nil, "the video has no frames")
	}
	return h, nil
}
