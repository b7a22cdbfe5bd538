package video

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashshare/hashshare/internal/testenv"
)

// clip makes a synthetic video in dir with ffmpeg: args go between the
// generator inputs and the output file. It skips the test when the
// encoder is missing from this ffmpeg build.
func clip(t *testing.T, dir, name string, inputs, args []string) string {
	t.Helper()
	ffmpeg, _ := testenv.FFmpeg(t)
	out := filepath.Join(dir, name)
	cmd := exec.Command(ffmpeg, append(append(append([]string{"-nostdin", "-v", "error", "-y"}, inputs...), args...), out)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		if strings.Contains(string(b), "Unknown encoder") || strings.Contains(string(b), "not found") {
			t.Skipf("%s: this ffmpeg cannot encode it: %s", name, b)
		}
		t.Fatalf("making %s: %v: %s", name, err, b)
	}
	return out
}

// testsrc is a lavfi test pattern: 64×48 at 10 fps for 2 s (20 frames).
var testsrc = []string{"-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=2"}

// decodeAll probes path and reads every frame s selects.
func decodeAll(ctx context.Context, d *FFmpeg, path string, s Sampling) (Info, []int, [][]byte, error) {
	info, src, err := d.Open(ctx, path, func(Info) Sampling { return s })
	if err != nil {
		return info, nil, nil, err
	}
	defer src.Close()
	w, h := src.Size()
	var frames []int
	var pix [][]byte
	for {
		buf := make([]byte, 3*w*h)
		n, err := src.Next(buf)
		if err == io.EOF {
			return info, frames, pix, nil
		}
		if err != nil {
			return info, frames, pix, err
		}
		frames = append(frames, n)
		pix = append(pix, buf)
	}
}

func seq(n, step int) []int {
	s := make([]int, 0, n)
	for i := range n {
		s = append(s, i*step)
	}
	return s
}

// TestClips decodes synthetic clips of several codecs and containers and
// checks frame selection against the reference's rules: every decoded
// frame once, in order, at the coded size, numbered from 0.
func TestClips(t *testing.T) {
	testenv.FFmpeg(t)
	dir := t.TempDir()
	ctx := context.Background()
	d := &FFmpeg{}
	x264 := []string{"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"}
	for _, tc := range []struct {
		name          string
		inputs, args  []string
		codec         string
		w, h, frames  int
		stream        int
		every         int
		wantFrameNums []int
	}{
		{"h264.mp4", testsrc, x264, "h264", 64, 48, 20, 0, 1, seq(20, 1)},
		{"h264-every10.mp4", testsrc, x264, "h264", 64, 48, 20, 0, 10, []int{0, 10}},
		{"vp9.webm", testsrc, []string{"-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"}, "vp9", 64, 48, 20, 0, 1, seq(20, 1)},
		{"hevc.mp4", testsrc, []string{"-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=none"}, "hevc", 64, 48, 20, 0, 1, seq(20, 1)},
		{"av1.mkv", testsrc, []string{"-c:v", "libaom-av1", "-cpu-used", "8", "-usage", "realtime"}, "av1", 64, 48, 20, 0, 3, seq(7, 3)},
		{"mpeg4.avi", testsrc, []string{"-c:v", "mpeg4"}, "mpeg4", 64, 48, 20, 0, 1, seq(20, 1)},
		{"mpeg2.ts", testsrc, []string{"-c:v", "mpeg2video"}, "mpeg2video", 64, 48, 20, 0, 1, seq(20, 1)},
		{"flv1.flv", testsrc, []string{"-c:v", "flv"}, "flv1", 64, 48, 20, 0, 1, seq(20, 1)},
		{"wmv2.asf", testsrc, []string{"-c:v", "wmv2"}, "wmv2", 64, 48, 20, 0, 1, seq(20, 1)},
		// The display matrix says 90°; the reference hashes the coded
		// frames, unrotated.
		{"rotated.mp4", testsrc, append([]string{"-metadata:s:v:0", "rotate=90"}, x264...), "h264", 64, 48, 20, 0, 1, seq(20, 1)},
		// 4:4:4 allows odd sides.
		{"odd.mp4", testsrc, []string{"-vf", "scale=63:37", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p"}, "h264", 63, 37, 20, 0, 1, seq(20, 1)},
		// Variable frame rate: 10 frames at 10 fps, then 10 at 40 fps. A
		// constant-rate output would duplicate frames; none may be added.
		{"vfr.mkv", testsrc, append([]string{"-vf", "settb=1/1000,setpts='if(lt(N,10),N/10,1+(N-10)/40)/TB'",
			"-fps_mode", "passthrough", "-enc_time_base", "1/1000"}, x264...), "h264", 64, 48, 20, 0, 1, seq(20, 1)},
		// Audio as stream 0, video as stream 1.
		{"audio-first.mkv", append([]string{"-f", "lavfi", "-i", "sine=duration=2"}, testsrc...),
			append([]string{"-map", "0:a", "-map", "1:v", "-c:a", "pcm_s16le"}, x264...), "h264", 64, 48, 20, 1, 1, seq(20, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := clip(t, dir, tc.name, tc.inputs, tc.args)
			info, frames, pix, err := decodeAll(ctx, d, path, Sampling{Every: tc.every})
			if err != nil {
				t.Fatalf("%+v: %v", info, err)
			}
			if info.Codec != tc.codec || info.Width != tc.w || info.Height != tc.h || info.Stream != tc.stream {
				t.Errorf("probe %+v, want codec %s %d×%d stream %d", info, tc.codec, tc.w, tc.h, tc.stream)
			}
			if !equal(frames, tc.wantFrameNums) {
				t.Errorf("frames %v, want %v", frames, tc.wantFrameNums)
			}
			for i, p := range pix {
				if len(p) != 3*tc.w*tc.h {
					t.Fatalf("frame %d: %d bytes", i, len(p))
				}
			}
		})
	}
}

// TestColourRange checks that the range comes from the pixel format, as
// in the reference: mid grey stays mid grey in limited (yuv420p) and full
// (yuvj420p) range alike; the wrong range would stretch or squash it by
// several levels.
func TestColourRange(t *testing.T) {
	testenv.FFmpeg(t)
	dir := t.TempDir()
	grey := []string{"-f", "lavfi", "-i", "color=c=0x808080:size=32x32:rate=5:duration=1"}
	for _, tc := range []struct{ name, pixFmt string }{{"tv.mp4", "yuv420p"}, {"pc.avi", "yuvj420p"}} {
		codec := []string{"-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", tc.pixFmt}
		if tc.pixFmt == "yuvj420p" {
			codec = []string{"-c:v", "mjpeg", "-q:v", "1", "-pix_fmt", tc.pixFmt}
		}
		path := clip(t, dir, tc.name, grey, codec)
		info, _, pix, err := decodeAll(context.Background(), &FFmpeg{}, path, Sampling{})
		if err != nil || len(pix) == 0 {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if info.PixFmt != tc.pixFmt {
			t.Errorf("%s: pix_fmt %s, want %s", tc.name, info.PixFmt, tc.pixFmt)
		}
		for _, v := range pix[0][:30] {
			if v < 126 || v > 130 {
				t.Fatalf("%s (%s): grey 128 came out as %d", tc.name, info.PixFmt, v)
			}
		}
	}
}

// TestHostile feeds what an attacker might upload: garbage, truncated
// files, playlists and concat scripts naming other files, a file whose
// name looks like a protocol. Each is refused or decoded as the one file
// it is, without hanging.
func TestHostile(t *testing.T) {
	testenv.FFmpeg(t)
	dir := t.TempDir()
	ctx := context.Background()
	d := &FFmpeg{Limits: Limits{Timeout: 20 * time.Second}}
	x264 := []string{"-c:v", "libx264", "-preset", "ultrafast"}
	good := clip(t, dir, "good.mp4", testsrc, x264)
	fast := clip(t, dir, "faststart.mp4", testsrc, append([]string{"-movflags", "+faststart"}, x264...))
	secret := filepath.Join(dir, "secret.mp4")
	copyFile(t, good, secret)
	data, _ := os.ReadFile(good)
	fastData, _ := os.ReadFile(fast)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name   string
		path   string
		want   error // nil: decodes; then at most maxOK frames
		frames int
	}{
		{"garbage", write("garbage.mp4", []byte(strings.Repeat("\x00\x01garbage", 1000))), ErrDecode, 0},
		{"empty", write("empty.mp4", nil), ErrDecode, 0},
		{"truncated, index at the end", write("trunc.mp4", data[:len(data)/2]), ErrDecode, 0},
		{"truncated, index first", write("trunc-fast.mp4", fastData[:len(fastData)*2/3]), nil, 20},
		{"hls playlist", write("list.m3u8", []byte("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:"+secret+"\n#EXT-X-ENDLIST\n")), ErrUnsupported, 0},
		{"concat script", write("list.txt", []byte("ffconcat version 1.0\nfile '"+secret+"'\n")), ErrUnsupported, 0},
		{"protocol-like name", write("concat:"+filepath.Base(secret)+"|x.mp4", data), nil, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, frames, _, err := decodeAll(ctx, d, tc.path, Sampling{})
			switch {
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Errorf("error %v, want %v (decoded %d frames)", err, tc.want, len(frames))
			case tc.want == nil && err != nil && !errors.Is(err, ErrDecode):
				t.Errorf("error %v", err)
			case tc.want == nil && len(frames) > tc.frames:
				t.Errorf("%d frames, over %d", len(frames), tc.frames)
			}
			t.Logf("%d frames, %v", len(frames), err)
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestLimits shows each limit firing: the probe's refusals before any
// frame, the wall-clock timeout, and the CPU and memory limits on the
// child.
func TestLimits(t *testing.T) {
	testenv.FFmpeg(t)
	dir := t.TempDir()
	ctx := context.Background()
	path := clip(t, dir, "clip.mp4", testsrc, []string{"-c:v", "libx264", "-preset", "ultrafast"})
	ffv1 := clip(t, dir, "ffv1.mkv", testsrc, []string{"-c:v", "ffv1"})
	nut := clip(t, dir, "clip.nut", testsrc, []string{"-c:v", "mpeg4"})
	wavpack := clip(t, dir, "wavpack.mkv", append([]string{"-f", "lavfi", "-i", "sine=duration=2"}, testsrc...),
		[]string{"-map", "1:v", "-map", "0:a", "-c:v", "mpeg4", "-c:a", "wavpack"})
	for _, tc := range []struct {
		name string
		path string
		lim  Limits
		s    Sampling
		want error
	}{
		{"duration", path, Limits{MaxDuration: time.Second}, Sampling{}, ErrTooLarge},
		{"frames", path, Limits{MaxFrames: 19}, Sampling{}, ErrTooLarge},
		{"pixels", path, Limits{MaxPixels: 64*48 - 1}, Sampling{}, ErrTooLarge},
		{"side", path, Limits{MaxSide: 63}, Sampling{}, ErrTooLarge},
		{"fps", path, Limits{MaxFPS: 9}, Sampling{}, ErrTooLarge},
		{"downsample", path, Limits{}, Sampling{Width: 4, Height: 4}, ErrTooLarge},
		{"codec", ffv1, Limits{}, Sampling{}, ErrUnsupported},
		{"container", nut, Limits{}, Sampling{}, ErrUnsupported},
		{"audio codec", wavpack, Limits{}, Sampling{}, ErrUnsupported},
		{"timeout", path, Limits{Timeout: time.Millisecond}, Sampling{}, ErrTimeout},
		{"memory", path, Limits{Memory: 48 << 20}, Sampling{}, ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, frames, _, err := decodeAll(ctx, &FFmpeg{Limits: tc.lim}, tc.path, tc.s)
			if !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v (%d frames)", err, tc.want, len(frames))
			}
			t.Logf("%v", err)
		})
	}
}

// TestCPULimit runs ffmpeg over a remux of a shared video looped until it
// takes seconds of CPU, under a 1 s CPU limit.
func TestCPULimit(t *testing.T) {
	if !limitsApplied {
		t.Skip("CPU limits are applied on Linux only")
	}
	src := filepath.Join(testenv.Dir(t, "vpdq"), "videos", "pattern-hd-no-bar.mp4")
	dir := t.TempDir()
	long := clip(t, dir, "long.mp4", []string{"-stream_loop", "5", "-i", src}, []string{"-c", "copy", "-an"})
	_, frames, _, err := decodeAll(context.Background(), &FFmpeg{Threads: 1, Limits: Limits{CPU: time.Second}}, long, Sampling{})
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "CPU") {
		t.Errorf("error %v after %d frames, want the CPU limit's ErrTimeout", err, len(frames))
	}
}

// TestChildLimits reads the limits the kernel holds for the children and
// checks their environment and process group.
func TestChildLimits(t *testing.T) {
	if !limitsApplied {
		t.Skip("limits are applied on Linux only")
	}
	testenv.FFmpeg(t)
	path := clip(t, t.TempDir(), "clip.mp4", testsrc, []string{"-c:v", "libx264", "-preset", "ultrafast"})
	var mu sync.Mutex
	var seen []string
	startHook = func(pid int) {
		lim, _ := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
		env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		mu.Lock()
		seen = append(seen, string(lim)+"\nENV "+strings.ReplaceAll(string(env), "\x00", " ")+"\nSTAT "+string(stat))
		mu.Unlock()
	}
	defer func() { startHook = nil }()
	_, _, _, err := decodeAll(context.Background(), &FFmpeg{Limits: Limits{CPU: 77 * time.Second, Memory: 3 << 30}}, path, Sampling{})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 {
		t.Fatalf("%d children seen, want ffprobe and ffmpeg", len(seen))
	}
	for _, s := range seen {
		if !regexpMatch(`Max cpu time\s+77\s+78\s+seconds`, s) || !regexpMatch(`Max address space\s+3221225472\s+3221225472\s+bytes`, s) {
			t.Errorf("limits not applied:\n%s", s)
		}
		env := s[strings.Index(s, "ENV ")+4 : strings.Index(s, "\nSTAT")]
		if f := strings.Fields(env); len(f) != 1 || !strings.HasPrefix(f[0], "PATH=") {
			t.Errorf("environment %q, want PATH alone", env)
		}
		// Fields of /proc/pid/stat after the name: state, ppid, pgrp.
		stat := strings.Fields(s[strings.LastIndex(s, ")")+1:])
		pid := strings.Fields(s[strings.Index(s, "STAT ")+5:])[0]
		if len(stat) < 3 || stat[2] != pid {
			t.Errorf("child %s is in process group %v, not its own", pid, stat[2:3])
		}
	}
}

func TestNoDecoder(t *testing.T) {
	for _, d := range []*FFmpeg{{Path: "/nonexistent/ffmpeg"}, {Path: "ffmpeg", ProbePath: "/nonexistent/ffprobe"}} {
		_, err := d.Probe(context.Background(), "x.mp4")
		if !errors.Is(err, ErrNoDecoder) || !strings.Contains(err.Error(), "apt-get install ffmpeg") {
			t.Errorf("%+v: Probe error %v, want ErrNoDecoder with how to install", d, err)
		}
		if _, _, err := d.Open(context.Background(), "x.mp4", func(Info) Sampling { return Sampling{} }); !errors.Is(err, ErrNoDecoder) {
			t.Errorf("%+v: Open error %v", d, err)
		}
	}
}

// TestCancel cancels the context while frames are read: the child's
// group is killed and Next reports the context's error.
func TestCancel(t *testing.T) {
	testenv.FFmpeg(t)
	path := clip(t, t.TempDir(), "clip.mp4", testsrc, []string{"-c:v", "libx264", "-preset", "ultrafast"})
	ctx, cancel := context.WithCancel(context.Background())
	d := &FFmpeg{}
	_, src, err := d.Open(ctx, path, func(Info) Sampling { return Sampling{} })
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	buf := make([]byte, 3*64*48)
	if _, err := src.Next(buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	for {
		_, err = src.Next(buf)
		if err != nil {
			break
		}
	}
	if !errors.Is(err, context.Canceled) && err != io.EOF {
		t.Errorf("after cancel: %v", err)
	}
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }

// TestTimeoutCountsWaiting reads frames slower than the timeout allows in
// all: the clock stops while the reader works on a frame, so only the
// time ffmpeg keeps it waiting counts.
func TestTimeoutCountsWaiting(t *testing.T) {
	testenv.FFmpeg(t)
	path := clip(t, t.TempDir(), "clip.mp4", testsrc, []string{"-c:v", "libx264", "-preset", "ultrafast"})
	d := &FFmpeg{Limits: Limits{Timeout: 2 * time.Second}}
	_, src, err := d.Open(context.Background(), path, func(Info) Sampling { return Sampling{} })
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	buf := make([]byte, 3*64*48)
	start := time.Now()
	n := 0
	for {
		_, err := src.Next(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d frames and %v: %v", n, time.Since(start), err)
		}
		n++
		time.Sleep(150 * time.Millisecond)
	}
	if n != 20 || time.Since(start) < 2*time.Second {
		t.Errorf("%d frames in %v", n, time.Since(start))
	}
}

// TestNTSCSampling checks the reference's sampling rule at 29.97 fps: one
// hash a second keeps every 29th frame, int(1 × 30000/1001).
func TestNTSCSampling(t *testing.T) {
	testenv.FFmpeg(t)
	path := clip(t, t.TempDir(), "ntsc.mp4", []string{"-f", "lavfi", "-i", "testsrc2=size=64x48:rate=30000/1001:duration=3"},
		[]string{"-c:v", "libx264", "-preset", "ultrafast"})
	var every int
	d := &FFmpeg{}
	info, src, err := d.Open(context.Background(), path, func(i Info) Sampling {
		every = Step(1, i.FPS)
		return Sampling{Every: every}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if info.FPSRational != "30000/1001" || every != 29 {
		t.Fatalf("fps %s, step %d", info.FPSRational, every)
	}
	var frames []int
	buf := make([]byte, 3*64*48)
	for {
		n, err := src.Next(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, n)
	}
	if want := []int{0, 29, 58, 87}; !equal(frames, want) {
		t.Errorf("frames %v, want %v", frames, want)
	}
}
