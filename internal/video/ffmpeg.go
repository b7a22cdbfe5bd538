package video

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FFmpeg decodes through the ffprobe and ffmpeg programs. The zero value
// finds both in PATH and applies the default limits. An FFmpeg is safe
// for concurrent use once in use; do not change its fields then.
type FFmpeg struct {
	// Path and ProbePath name the ffmpeg and ffprobe programs; "" finds
	// them in PATH. With Path set and ProbePath not, ffprobe is looked for
	// beside ffmpeg first.
	Path, ProbePath string
	// Limits bound what is decoded and what the children may use.
	Limits Limits
	// Threads is the number of decoding threads; 0 leaves ffmpeg's
	// automatic choice (one per core, and one more for frame threading),
	// as its own decode uses. The codecs that decode bit-exactly do so
	// whatever the threads.
	Threads int
	// NoSIMD turns FFmpeg's SIMD code off (-cpuflags 0), so that swscale
	// converts colour with its portable C code, which rounds differently
	// from its x86-64 SIMD path: the frames are then those an arm64 build
	// gives, and the hashes those of upstream's 2022 sample files. Codecs
	// decode bit-exactly either way, but more slowly without SIMD.
	NoSIMD bool
	// Rate, when positive, has ffmpeg put frames out at that constant
	// rate, duplicating and dropping decoded ones as its -r output option
	// does, scaled to the Sampling's size (default: the stream's) by its
	// -s output option (bicubic): the frame pipeline of TMK's reference
	// (-s 64:64 -r 15). Sampling.Every is then ignored, frame numbers
	// count the frames put out, MaxFrames bounds them, and decoding
	// starts after the probe rather than beside it.
	Rate int
}

var _ Decoder = (*FFmpeg)(nil)

// programs returns the paths of ffmpeg and ffprobe, or ErrNoDecoder.
func (f *FFmpeg) programs() (ffmpeg, ffprobe string, err error) {
	ffmpeg, err = look(f.Path, "ffmpeg")
	if err != nil {
		return "", "", err
	}
	probe := f.ProbePath
	if probe == "" && f.Path != "" {
		if p := filepath.Join(filepath.Dir(ffmpeg), "ffprobe"); isExecutable(p) {
			probe = p
		}
	}
	ffprobe, err = look(probe, "ffprobe")
	return ffmpeg, ffprobe, err
}

func look(path, name string) (string, error) {
	if path == "" {
		path = name
	}
	p, err := exec.LookPath(path)
	if err != nil {
		return "", errorf(ErrNoDecoder, "%s not found (%v); %s", name, err, installHint)
	}
	return p, nil
}

func isExecutable(p string) bool { _, err := exec.LookPath(p); return err == nil }

// threads is the number of threads the CPU limit allows for.
func (f *FFmpeg) threads() int {
	if f.Threads > 0 {
		return f.Threads
	}
	return runtime.NumCPU() + 1
}

// Available reports whether the programs are installed, with
// ErrNoDecoder's message if not.
func (f *FFmpeg) Available() error {
	_, _, err := f.programs()
	return err
}

// Version returns ffmpeg's name and version from "ffmpeg -version", e.g.
// "ffmpeg 5.1.9-0+deb12u1", or "ffmpeg" when it cannot be run. It is
// asked once per program.
func (f *FFmpeg) Version(ctx context.Context) string {
	prog, _, err := f.programs()
	if err != nil {
		return "ffmpeg"
	}
	if v, ok := versions.Load(prog); ok {
		return v.(string)
	}
	v := "ffmpeg"
	c, err := start(ctx, "ffmpeg", prog, []string{"-hide_banner", "-version"}, nil, 10*time.Second, 10*time.Second, f.Limits.withDefaults())
	if err != nil {
		return v
	}
	out, _ := io.ReadAll(io.LimitReader(c.stdout, 64<<10))
	if c.wait() != nil {
		return v
	}
	line, _, _ := strings.Cut(string(out), "\n")
	if fs := strings.Fields(line); len(fs) >= 3 && fs[1] == "version" {
		v = "ffmpeg " + fs[2]
	}
	versions.Store(prog, v)
	return v
}

// versions caches Version by program path.
var versions sync.Map

// Probe runs ffprobe on the file at path, sandboxed as ffmpeg is, and
// reads its first video stream.
func (f *FFmpeg) Probe(ctx context.Context, path string) (Info, error) {
	_, prog, err := f.programs()
	if err != nil {
		return Info{}, err
	}
	lim := f.Limits.withDefaults()
	args := []string{
		"-v", "error", "-hide_banner",
		"-protocol_whitelist", "file",
		"-format_whitelist", strings.Join(containers, ","),
		"-codec_whitelist", strings.Join(append(videoDecoders(), otherDecoders...), ","),
		"-select_streams", "v:0",
		"-show_entries", probeEntries,
		"-of", "json",
		fileURL(path),
	}
	cpu := lim.CPU
	if cpu <= 0 {
		cpu = lim.ProbeTimeout
	}
	c, err := start(ctx, "ffprobe", prog, args, nil, lim.ProbeTimeout, cpu, lim)
	if err != nil {
		return Info{}, err
	}
	out, rerr := io.ReadAll(io.LimitReader(c.stdout, maxProbeOutput+1))
	if len(out) > maxProbeOutput {
		c.kill()
		c.wait()
		return Info{}, errorf(ErrDecode, "ffprobe wrote over %d bytes", maxProbeOutput)
	}
	if err := c.wait(); err != nil {
		return Info{}, err
	}
	if rerr != nil {
		return Info{}, fmt.Errorf("video: reading ffprobe: %w", rerr)
	}
	info, err := parseProbe(out)
	if err != nil {
		return info, err
	}
	return info, lim.check(info)
}

// fileURL names path for ffmpeg with the file: protocol, so that a name
// such as "http://x" or "concat:a|b" is a file name, never a protocol.
func fileURL(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return "file:" + path
}

// Open probes the file at path with ffprobe and, at the same time,
// starts ffmpeg on it, so that the probe costs no time of its own: ffmpeg
// opens the input and then waits for its filter graph, which it is given
// once the probe's Info has passed the limits and choose has said which
// frames to keep and at what size. A refused video is never decoded past
// the first frames both programs read to learn its streams; ffmpeg is
// killed.
func (f *FFmpeg) Open(ctx context.Context, path string, choose func(Info) Sampling) (Info, FrameSource, error) {
	prog, _, err := f.programs()
	if err != nil {
		return Info{}, nil, err
	}
	if f.Rate > 0 {
		return f.openRate(ctx, prog, path, choose)
	}
	lim := f.Limits.withDefaults()
	script, feed, err := os.Pipe()
	if err != nil {
		return Info{}, nil, fmt.Errorf("video: %w", err)
	}
	defer feed.Close()
	// Until the probe says how long the video is, ffmpeg gets the probe's
	// timeout (all it does meanwhile is open the input) and the CPU limit
	// of the longest video allowed, which the probe then lowers: a limit
	// may be lowered but not raised.
	c, err := start(ctx, "ffmpeg", prog, f.args(lim, path), []*os.File{script}, lim.ProbeTimeout, f.cpu(lim, lim.timeout(lim.MaxDuration)), lim)
	script.Close()
	if err != nil {
		return Info{}, nil, err
	}
	fail := func(err error) (Info, FrameSource, error) {
		c.kill()
		c.wait()
		return Info{}, nil, err
	}
	info, err := f.Probe(ctx, path)
	if err != nil {
		c.kill()
		c.wait()
		return info, nil, err
	}
	s := choose(info)
	w, h := info.Width, info.Height
	if s.Width > 0 || s.Height > 0 {
		w, h = s.Width, s.Height
		if w < minSide || h < minSide || w > lim.MaxSide || h > lim.MaxSide {
			return fail(errorf(ErrTooLarge, "downsample size %d×%d is outside %d to %d px", w, h, minSide, lim.MaxSide))
		}
	}
	every := max(s.Every, 1)
	timeout := lim.timeout(info.Duration)
	if err := c.limit(timeout, f.cpu(lim, timeout)); err != nil {
		return fail(err)
	}
	// A write error means ffmpeg has exited, and wait will say why.
	io.WriteString(feed, filterGraph(info, w, h, every))
	feed.Close()
	// At most this many frames come out; one more means the video has more
	// frames than it declared, and is over MaxFrames.
	maxOut := (lim.MaxFrames + every - 1) / every
	return info, &pipeSource{c: c, w: w, h: h, fr: frameReader{r: c.stdout, size: 3 * w * h, every: every, maxOut: maxOut, maxFrames: lim.MaxFrames}}, nil
}

// openRate is Open with f.Rate set. Any filter graph of ffmpeg's own
// (even "null") changes which frames its -r keeps, so the frames are
// scaled by -s and resampled by -r alone, as on the reference's command
// line; ffmpeg then starts only once the probe has passed, since -s
// needs the size.
func (f *FFmpeg) openRate(ctx context.Context, prog, path string, choose func(Info) Sampling) (Info, FrameSource, error) {
	lim := f.Limits.withDefaults()
	info, err := f.Probe(ctx, path)
	if err != nil {
		return info, nil, err
	}
	s := choose(info)
	w, h := info.Width, info.Height
	if s.Width > 0 || s.Height > 0 {
		w, h = s.Width, s.Height
		if w < minSide || h < minSide || w > lim.MaxSide || h > lim.MaxSide {
			return info, nil, errorf(ErrTooLarge, "downsample size %d×%d is outside %d to %d px", w, h, minSide, lim.MaxSide)
		}
	}
	args := f.args(lim, path)
	// The input options and -i, then the output options of a rate.
	args = args[:slices.Index(args, "-filter_threads")]
	args = append(args,
		"-s", fmt.Sprintf("%d:%d", w, h),
		"-r", strconv.Itoa(f.Rate),
		"-frames:v", strconv.Itoa(lim.MaxFrames+1),
		"-f", "rawvideo", "-c:v", "rawvideo", "-pix_fmt", "rgb24",
		"pipe:1",
	)
	timeout := lim.timeout(info.Duration)
	c, err := start(ctx, "ffmpeg", prog, args, nil, timeout, f.cpu(lim, timeout), lim)
	if err != nil {
		return info, nil, err
	}
	return info, &pipeSource{c: c, w: w, h: h, fr: frameReader{r: c.stdout, size: 3 * w * h, every: 1, maxOut: lim.MaxFrames, maxFrames: lim.MaxFrames}}, nil
}

// cpu is the CPU-time limit of a child with the given timeout.
func (f *FFmpeg) cpu(lim Limits, timeout time.Duration) time.Duration {
	if lim.CPU > 0 {
		return lim.CPU
	}
	return time.Duration(f.threads()+1) * timeout
}

// args is ffmpeg's command line for decoding: §5.2 of the vPDQ notes, with
// the filter graph read from file descriptor 3 once the probe is done.
func (f *FFmpeg) args(lim Limits, path string) []string {
	var args, threads []string
	if f.NoSIMD {
		args = []string{"-cpuflags", "0"}
	}
	if f.Threads > 0 {
		threads = []string{"-threads", strconv.Itoa(f.Threads)}
	}
	args = append(args,
		"-nostdin", "-hide_banner", "-nostats", "-loglevel", "error",
		"-protocol_whitelist", "file",
		"-format_whitelist", strings.Join(containers, ","),
		"-codec_whitelist", strings.Join(videoDecoders(), ","),
		"-noautorotate")
	args = append(args, threads...)
	args = append(args,
		"-max_pixels", strconv.FormatInt(lim.MaxPixels, 10),
		"-t", strconv.FormatFloat(lim.MaxDuration.Seconds(), 'f', 3, 64),
		"-i", fileURL(path),
		"-map", "0:v:0", "-an", "-sn", "-dn",
		"-filter_threads", "1",
		"-filter_script:v", "pipe:3",
		"-fps_mode", "passthrough",
	)
	return append(args,
		"-frames:v", strconv.Itoa(lim.MaxFrames+1),
		"-f", "rawvideo", "-pix_fmt", "rgb24",
		"pipe:1",
	)
}

// filterGraph selects every every-th decoded frame and converts it to
// RGB24 at w×h as the reference's swscale context does.
func filterGraph(info Info, w, h, every int) string {
	var vf []string
	if every > 1 {
		vf = append(vf, "select='not(mod(n\\,"+strconv.Itoa(every)+"))'")
	}
	scale := fmt.Sprintf("scale=%d:%d:flags=area", w, h)
	if r := inRange(info.PixFmt); r != "" {
		scale += ":in_color_matrix=bt601:in_range=" + r
	}
	return strings.Join(append(vf, scale, "format=rgb24"), ",")
}

// inRange is the input range swscale assumes for a pixel format when no
// one sets it, as in the reference: full ("pc") for the JPEG formats
// (yuvj*) and grey, limited ("tv") for other YUV. "" leaves an RGB
// format's conversion as it is.
func inRange(pixFmt string) string {
	switch {
	case strings.HasPrefix(pixFmt, "yuvj"), strings.HasPrefix(pixFmt, "gray"), strings.HasPrefix(pixFmt, "ya"):
		return "pc"
	case strings.HasPrefix(pixFmt, "yuv"), strings.HasPrefix(pixFmt, "nv"), strings.HasPrefix(pixFmt, "p0"),
		strings.HasPrefix(pixFmt, "p2"), strings.HasPrefix(pixFmt, "y2"), strings.HasPrefix(pixFmt, "uyv"):
		return "tv"
	}
	return ""
}

// frameReader cuts a stream into frames of a fixed size: the n-th is
// decoded frame n × every, and a frame past maxOut means the video has
// more frames than the limit allows.
type frameReader struct {
	r                   io.Reader
	size, every, maxOut int
	n                   int // frames read
	maxFrames           int // the limit, for the message
}

// next reads the next frame into buf[:size] and returns its number: io.EOF
// at a clean end, ErrDecode when the stream ends inside a frame,
// ErrTooLarge for a frame past maxOut.
func (f *frameReader) next(buf []byte) (int, error) {
	if len(buf) < f.size {
		return 0, fmt.Errorf("video: frame buffer of %d bytes for frames of %d", len(buf), f.size)
	}
	m, err := io.ReadFull(f.r, buf[:f.size])
	switch {
	case err == io.ErrUnexpectedEOF:
		return 0, errorf(ErrDecode, "frame %d is short: %d of %d bytes", f.n*f.every, m, f.size)
	case err != nil:
		return 0, err
	case f.n == f.maxOut:
		return 0, errorf(ErrTooLarge, "more than %d frames", f.maxFrames)
	}
	f.n++
	return (f.n - 1) * f.every, nil
}

// pipeSource reads frames from ffmpeg's stdout.
type pipeSource struct {
	c    *child
	w, h int
	fr   frameReader
	done bool
	err  error
}

func (p *pipeSource) Size() (int, int) { return p.w, p.h }

func (p *pipeSource) Next(buf []byte) (int, error) {
	if p.done {
		return 0, p.err
	}
	p.c.resume()
	n, err := p.fr.next(buf)
	p.c.pause()
	switch {
	case err == nil:
		return n, nil
	case err == io.EOF:
		return 0, p.finish(p.c.wait())
	}
	// A short frame or one too many: stop ffmpeg, and report why it
	// failed if it did (a short frame usually means it crashed).
	p.c.kill()
	if werr := p.c.wait(); werr != nil && !errors.Is(err, ErrTooLarge) {
		err = werr
	}
	return 0, p.finish(err)
}

// finish ends the source with err; a clean end with no frame is ErrDecode.
func (p *pipeSource) finish(err error) error {
	p.done = true
	switch {
	case err == nil && p.fr.n == 0:
		err = errorf(ErrDecode, "ffmpeg decoded no frames: %s", orNone(p.c.stderr.tail(600)))
	case err == nil:
		err = io.EOF
	}
	p.err = err
	return err
}

func orNone(s string) string {
	if s == "" {
		return "no message"
	}
	return s
}

// Close stops ffmpeg if it is still running.
func (p *pipeSource) Close() error {
	if !p.done {
		p.c.kill()
		p.c.wait()
		p.done, p.err = true, errorf(ErrDecode, "the frame source is closed")
	}
	return nil
}
