package video

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Rated asks for frames put out at a constant rate and size, as ffmpeg's
// -r and -s output options make them, duplicating and dropping decoded
// frames and scaling them with its default (bicubic) filter: the frame
// pipeline of TMK's reference (-s 64:64 -r 15). No filter graph of ours
// is added, because any (even "null") changes which frames -r keeps; and
// the stream is ffmpeg's own choice, as on the reference's command line
// (which names none), where sampled frames come from the first video
// stream.
type Rated struct {
	// Rate is the frames put out a second; Width and Height their size.
	Rate, Width, Height int
}

func (r Rated) check(lim Limits) error {
	switch {
	case r.Rate <= 0 || float64(r.Rate) > lim.MaxFPS:
		return fmt.Errorf("video: rate %d fps is outside 1 to %g", r.Rate, lim.MaxFPS)
	case r.Width < minSide || r.Height < minSide || r.Width > lim.MaxSide || r.Height > lim.MaxSide:
		return errorf(ErrTooLarge, "rated size %d×%d is outside %d to %d px", r.Width, r.Height, minSide, lim.MaxSide)
	}
	return nil
}

// Open probes the file at path with ffprobe and, at the same time,
// starts ffmpeg on it, so that the probe costs no time of its own: ffmpeg
// opens the input and then waits for its filter graph, which it is given
// once the probe's Info has passed the limits and choose has said which
// frames to keep and at what size. A refused video is never decoded past
// the first frames both programs read to learn its streams; ffmpeg is
// killed.
func (f *FFmpeg) Open(ctx context.Context, path string, choose func(Info) Sampling) (Info, FrameSource, error) {
	info, sampled, _, err := f.open(ctx, path, choose, nil)
	if err != nil {
		return info, nil, err
	}
	return info, sampled, nil
}

// OpenRated decodes the file at path to r's frames; frame numbers count
// the frames put out, and MaxFrames bounds them. The probe runs beside
// the decode rather than before it, so that it costs no wall time: frames
// may come before its verdict, and a video it refuses is killed then, its
// source failing with the probe's error at its next frame or, at the
// latest, in place of its end. ffmpeg's own limits (-t, -max_pixels,
// -frames:v, the allow-lists, the CPU and memory limits) bound what it
// decodes meanwhile.
func (f *FFmpeg) OpenRated(ctx context.Context, path string, r Rated) (FrameSource, error) {
	_, _, rated, err := f.open(ctx, path, nil, &r)
	if err != nil {
		return nil, err
	}
	return rated, nil
}

// OpenBoth decodes the file at path once for two outputs: the frames
// choose samples, as Open delivers them, and r's frames, as OpenRated
// delivers them. ffmpeg writes both from the one decode and stalls while
// either pipe is full, so the two sources must be read concurrently.
// Either source failing or being closed stops ffmpeg, and so ends the
// other with an error; each must still be closed.
func (f *FFmpeg) OpenBoth(ctx context.Context, path string, choose func(Info) Sampling, r Rated) (Info, FrameSource, FrameSource, error) {
	info, sampled, rated, err := f.open(ctx, path, choose, &r)
	if err != nil {
		return info, nil, nil, err
	}
	return info, sampled, rated, nil
}

// open starts one ffmpeg with a sampled output when choose is set and a
// rated one when r is, beside the probe. Each output is a pipe of its
// own, inherited as a file descriptor from 3 on; the filter graph of the
// sampled output comes on descriptor 3 once the probe has passed.
func (f *FFmpeg) open(ctx context.Context, path string, choose func(Info) Sampling, r *Rated) (Info, *pipeSource, FrameSource, error) {
	prog, _, err := f.programs()
	if err != nil {
		return Info{}, nil, nil, err
	}
	lim := f.Limits.withDefaults()
	if r != nil {
		if err := r.check(lim); err != nil {
			return Info{}, nil, nil, err
		}
	}
	var (
		args        = f.inputArgs(lim, path)
		extra       []*os.File // the child's ends: descriptor 3 on
		feed        *os.File   // this process's end of the filter script
		sampledPipe *os.File   // the read ends of the outputs
		ratedPipe   *os.File
	)
	closeAll := func() {
		for _, p := range append(extra, feed, sampledPipe, ratedPipe) {
			if p != nil {
				p.Close()
			}
		}
	}
	// output makes a pipe for an output and returns its read end and the
	// child's descriptor for the write end.
	output := func() (*os.File, int, error) {
		rd, wr, err := os.Pipe()
		if err != nil {
			return nil, 0, fmt.Errorf("video: %w", err)
		}
		extra = append(extra, wr)
		return rd, 2 + len(extra), nil
	}
	if choose != nil {
		rd, wr, err := os.Pipe()
		if err != nil {
			return Info{}, nil, nil, fmt.Errorf("video: %w", err)
		}
		extra, feed = append(extra, rd), wr // descriptor 3, as sampledArgs says
		rd, fd, err := output()
		if err != nil {
			closeAll()
			return Info{}, nil, nil, err
		}
		sampledPipe = rd
		args = append(args, sampledArgs(lim, fd)...)
	}
	if r != nil {
		rd, fd, err := output()
		if err != nil {
			closeAll()
			return Info{}, nil, nil, err
		}
		ratedPipe = rd
		args = append(args, ratedArgs(lim, *r, fd)...)
	}
	// Until the probe says how long the video is, ffmpeg gets the probe's
	// timeout (all it does meanwhile is open the input, or put out the
	// rated frames its pipe holds) and the CPU limit of the longest video
	// allowed, which the probe then lowers: a limit may be lowered but not
	// raised.
	c, err := start(ctx, "ffmpeg", prog, args, extra, lim.ProbeTimeout, f.cpu(lim, lim.timeout(lim.MaxDuration)), lim)
	for _, e := range extra {
		e.Close() // the child has its own copies now
	}
	extra = nil
	if err != nil {
		closeAll()
		return Info{}, nil, nil, err
	}
	fail := func(info Info, err error) (Info, *pipeSource, FrameSource, error) {
		c.kill()
		c.wait()
		closeAll()
		return info, nil, nil, err
	}
	if choose == nil {
		// Nothing waits for the probe: it judges beside the decode.
		src := newPipeSource(c, ratedPipe, r.Width, r.Height, 1, lim.MaxFrames, lim.MaxFrames)
		return Info{}, nil, f.judged(ctx, path, lim, c, src), nil
	}
	info, err := f.probe(ctx, path, r != nil)
	if err != nil {
		return fail(info, err)
	}
	timeout := lim.timeout(info.Duration)
	if err := c.limit(timeout, f.cpu(lim, timeout)); err != nil {
		return fail(info, err)
	}
	s := choose(info)
	w, h := info.Width, info.Height
	if s.Width > 0 || s.Height > 0 {
		w, h = s.Width, s.Height
		if w < minSide || h < minSide || w > lim.MaxSide || h > lim.MaxSide {
			return fail(info, errorf(ErrTooLarge, "downsample size %d×%d is outside %d to %d px", w, h, minSide, lim.MaxSide))
		}
	}
	every := max(s.Every, 1)
	// A write error means ffmpeg has exited, and wait will say why.
	io.WriteString(feed, filterGraph(info, w, h, every))
	feed.Close()
	// At most this many frames come out; one more means the video has
	// more frames than it declared, and is over MaxFrames.
	maxOut := (lim.MaxFrames + every - 1) / every
	sampled := newPipeSource(c, sampledPipe, w, h, every, maxOut, lim.MaxFrames)
	var rated FrameSource
	if r != nil {
		rated = newPipeSource(c, ratedPipe, r.Width, r.Height, 1, lim.MaxFrames, lim.MaxFrames)
	}
	return info, sampled, rated, nil
}

// inputArgs is the start of ffmpeg's command line: §5.2 of the vPDQ
// notes, up to and including the input.
func (f *FFmpeg) inputArgs(lim Limits, path string) []string {
	var args []string
	if f.NoSIMD {
		args = []string{"-cpuflags", "0"}
	}
	args = append(args,
		"-nostdin", "-hide_banner", "-nostats", "-loglevel", "error",
		"-protocol_whitelist", "file",
		"-format_whitelist", strings.Join(containers, ","),
		"-codec_whitelist", strings.Join(videoDecoders(), ","),
		"-noautorotate")
	if f.Threads > 0 {
		args = append(args, "-threads", strconv.Itoa(f.Threads))
	}
	return append(args,
		"-max_pixels", strconv.FormatInt(lim.MaxPixels, 10),
		"-t", strconv.FormatFloat(lim.MaxDuration.Seconds(), 'f', 3, 64),
		"-i", fileURL(path),
	)
}

// sampledArgs is the output of the first video stream's frames, every
// one of them (the filter graph read from descriptor 3 selects), to
// descriptor fd.
func sampledArgs(lim Limits, fd int) []string {
	return []string{
		"-map", "0:v:0", "-an", "-sn", "-dn",
		"-filter_threads", "1",
		"-filter_script:v", "pipe:3",
		"-fps_mode", "passthrough",
		"-frames:v", strconv.Itoa(lim.MaxFrames + 1),
		"-f", "rawvideo", "-pix_fmt", "rgb24",
		"pipe:" + strconv.Itoa(fd),
	}
}

// ratedArgs is the output of r's frames to descriptor fd: the options of
// the TMK reference's command line, which maps no stream.
func ratedArgs(lim Limits, r Rated, fd int) []string {
	return []string{
		"-an", "-sn", "-dn",
		"-s", fmt.Sprintf("%d:%d", r.Width, r.Height),
		"-r", strconv.Itoa(r.Rate),
		"-frames:v", strconv.Itoa(lim.MaxFrames + 1),
		"-f", "rawvideo", "-c:v", "rawvideo", "-pix_fmt", "rgb24",
		"pipe:" + strconv.Itoa(fd),
	}
}

// cpu is the CPU-time limit of a child with the given timeout.
func (f *FFmpeg) cpu(lim Limits, timeout time.Duration) time.Duration {
	if lim.CPU > 0 {
		return lim.CPU
	}
	return time.Duration(f.threads()+1) * timeout
}
