package media

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashshare/hashshare/internal/testenv"
)

// BenchmarkVideo hashes shared videos at the default one frame a second
// through HashFile (spool, digests, probe, decode, PDQ) and reports
// "x-ffmpeg": its time over that of ffmpeg's own decode of the same file
// (ffmpeg -i F -f null -), the two run alternately in the same iterations
// so that the ratio holds on a noisy machine; the target is ≤ 1.25. The
// ffmpeg-null sub-benchmark is the baseline on its own. Besides three
// shared videos (4 to 20 s), chair-20 looped six times (2 min, remuxed
// without re-encoding) shows the ratio once the fixed cost of starting
// two processes is spread over a longer video.
func BenchmarkVideo(b *testing.B) {
	ffmpeg, _ := testenv.FFmpeg(b)
	dir := filepath.Join(testenv.Dir(b, "vpdq"), "videos")
	ctx := context.Background()
	looped := filepath.Join(b.TempDir(), "chair-20-looped-6x.mp4")
	if out, err := exec.Command(ffmpeg, "-nostdin", "-v", "error", "-stream_loop", "5", "-i", filepath.Join(dir, "chair-20-sd-bar.mp4"),
		"-c", "copy", looped).CombinedOutput(); err != nil {
		b.Fatalf("%v: %s", err, out)
	}
	for _, path := range []string{
		filepath.Join(dir, "chair-20-sd-bar.mp4"), filepath.Join(dir, "pattern-hd-no-bar.mp4"), filepath.Join(dir, "doorknob-hd-no-bar.mp4"), looped,
	} {
		name := strings.TrimSuffix(filepath.Base(path), ".mp4")
		null := func(b *testing.B) {
			if out, err := exec.Command(ffmpeg, "-nostdin", "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, out)
			}
		}
		b.Run(name+"/ffmpeg-null", func(b *testing.B) {
			for b.Loop() {
				null(b)
			}
		})
		b.Run(name+"/vpdq-1s", func(b *testing.B) {
			var ours, base time.Duration
			for b.Loop() {
				t := time.Now()
				null(b)
				base += time.Since(t)
				t = time.Now()
				if _, err := HashFile(ctx, path, nil); err != nil {
					b.Fatal(err)
				}
				ours += time.Since(t)
			}
			b.ReportMetric(float64(ours)/float64(base), "x-ffmpeg")
			b.ReportMetric(ours.Seconds()/float64(b.N), "s-vpdq")
			b.ReportMetric(base.Seconds()/float64(b.N), "s-ffmpeg")
		})
	}
}

// BenchmarkVideoEveryFrame hashes every frame of the 1280×720 shared
// video at full resolution and reports frames/s, beside the same file's
// ffmpeg -f null decode in frames/s for scale.
func BenchmarkVideoEveryFrame(b *testing.B) {
	ffmpeg, _ := testenv.FFmpeg(b)
	path := filepath.Join(testenv.Dir(b, "vpdq"), "videos", "doorknob-hd-no-bar.mp4")
	opts := &Options{Video: VideoOptions{EveryFrame: true}}
	var frames int
	var ours, base time.Duration
	for b.Loop() {
		t := time.Now()
		if out, err := exec.Command(ffmpeg, "-nostdin", "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
		base += time.Since(t)
		t = time.Now()
		h, err := HashFile(context.Background(), path, opts)
		if err != nil {
			b.Fatal(err)
		}
		ours += time.Since(t)
		frames = len(h.Video.Features)
	}
	b.ReportMetric(float64(frames*b.N)/ours.Seconds(), "frames/s")
	b.ReportMetric(float64(frames*b.N)/base.Seconds(), "ffmpeg-frames/s")
}
