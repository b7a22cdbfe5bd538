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

// BenchmarkTMKFile hashes shared videos to TMK+PDQF and reports
// "x-ffmpeg": its time over that of ffmpeg's own 64×64, 15 fps decode of
// the same file (the reference's command line, output to /dev/null), the
// two run alternately in the same iterations so that the ratio holds on a
// noisy machine; the target is ≤ 1.25.
func BenchmarkTMKFile(b *testing.B) {
	ffmpeg, _ := testenv.FFmpeg(b)
	dir := filepath.Join(testenv.Dir(b, "vpdq"), "videos")
	ctx := context.Background()
	for _, name := range []string{"chair-20-sd-bar", "pattern-hd-no-bar", "doorknob-hd-no-bar"} {
		path := filepath.Join(dir, name+".mp4")
		b.Run(strings.TrimSuffix(name, ".mp4"), func(b *testing.B) {
			var ours, base time.Duration
			for b.Loop() {
				t := time.Now()
				if out, err := exec.Command(ffmpeg, "-nostdin", "-v", "error", "-i", path, "-s", "64:64", "-an",
					"-f", "rawvideo", "-c:v", "rawvideo", "-pix_fmt", "rgb24", "-r", "15", "-y", "/dev/null").CombinedOutput(); err != nil {
					b.Fatalf("%v: %s", err, out)
				}
				base += time.Since(t)
				t = time.Now()
				if _, err := TMKFile(ctx, path, nil); err != nil {
					b.Fatal(err)
				}
				ours += time.Since(t)
			}
			b.ReportMetric(float64(ours)/float64(base), "x-ffmpeg")
			b.ReportMetric(ours.Seconds()/float64(b.N), "s-tmk")
			b.ReportMetric(base.Seconds()/float64(b.N), "s-ffmpeg")
		})
	}
}

// BenchmarkVideoAndTMK hashes shared videos to vPDQ alone and to vPDQ and
// TMK+PDQF together (one decode, two ffmpeg outputs), alternately in the
// same iterations, and reports "x-vpdq": the time of both over that of
// vPDQ alone, the cost of adding TMK.
func BenchmarkVideoAndTMK(b *testing.B) {
	testenv.FFmpeg(b)
	dir := filepath.Join(testenv.Dir(b, "vpdq"), "videos")
	ctx := context.Background()
	for _, name := range []string{"chair-20-sd-bar", "pattern-hd-no-bar", "doorknob-hd-no-bar"} {
		path := filepath.Join(dir, name+".mp4")
		b.Run(name, func(b *testing.B) {
			var both, alone time.Duration
			for b.Loop() {
				t := time.Now()
				if _, err := HashFile(ctx, path, nil); err != nil {
					b.Fatal(err)
				}
				alone += time.Since(t)
				t = time.Now()
				if h, err := HashFile(ctx, path, &Options{Video: VideoOptions{TMK: true}}); err != nil || h.TMK == nil {
					b.Fatal(err)
				}
				both += time.Since(t)
			}
			b.ReportMetric(float64(both)/float64(alone), "x-vpdq")
			b.ReportMetric(both.Seconds()/float64(b.N), "s-both")
			b.ReportMetric(alone.Seconds()/float64(b.N), "s-vpdq")
		})
	}
}
