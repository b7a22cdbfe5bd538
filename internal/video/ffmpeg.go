package video

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
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
	return f.probe(ctx, path, false)
}

// probe is Probe; with every, each other video stream but a cover
// picture must pass the limits too, because ffmpeg's own choice of
// stream (a rated output's) may fall on any.
func (f *FFmpeg) probe(ctx context.Context, path string, every bool) (Info, error) {
	_, prog, err := f.programs()
	if err != nil {
		return Info{}, err
	}
	lim := f.Limits.withDefaults()
	streams := "v:0"
	if every {
		streams = "v"
	}
	args := []string{
		"-v", "error", "-hide_banner",
		"-protocol_whitelist", "file",
		"-format_whitelist", strings.Join(containers, ","),
		"-codec_whitelist", strings.Join(append(videoDecoders(), otherDecoders...), ","),
		"-select_streams", streams,
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
	all, err := parseStreams(out)
	if err != nil {
		return first(all), err
	}
	info := all[0]
	if err := lim.check(info); err != nil {
		return info, err
	}
	for _, s := range all[1:] {
		if s.AttachedPic {
			continue
		}
		if err := lim.check(s); err != nil {
			return info, fmt.Errorf("video stream %d: %w", s.Stream, err)
		}
	}
	return info, nil
}

// fileURL names path for ffmpeg with the file: protocol, so that a name
// such as "http://x" or "concat:a|b" is a file name, never a protocol.
func fileURL(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return "file:" + path
}
