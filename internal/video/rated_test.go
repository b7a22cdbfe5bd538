package video

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/hashshare/hashshare/internal/testenv"
)

// readFrames reads every frame of src, checking that frame numbers count
// from 0 in steps of every, and returns them end to end.
func readFrames(src FrameSource, every int) ([]byte, error) {
	w, h := src.Size()
	buf := make([]byte, 3*w*h)
	var all []byte
	for want := 0; ; want += every {
		n, err := src.Next(buf)
		if err == io.EOF {
			return all, nil
		}
		if err != nil {
			return all, err
		}
		if n != want {
			return all, errors.New("frame numbers out of step")
		}
		all = append(all, buf...)
	}
}

// TestRated checks OpenRated and OpenBoth against ffmpeg's own command
// lines: the rated frames are byte for byte those of the TMK reference's
// (-s 64:64 -r 15, no stream named, so ffmpeg's choice: the default
// stream, here the second), and OpenBoth's sampled frames are Open's, from one
// decode.
func TestRated(t *testing.T) {
	ffmpeg, _ := testenv.FFmpeg(t)
	dir := t.TempDir()
	clips := []struct {
		name string
		path string
	}{
		{"25 fps", clip(t, dir, "rate.mp4", []string{"-f", "lavfi", "-i", "testsrc2=size=96x80:rate=25:duration=2"},
			[]string{"-c:v", "libx264", "-preset", "ultrafast"})},
		{"two video streams", clip(t, dir, "two.mkv", []string{
			"-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=2",
			"-f", "lavfi", "-i", "testsrc=size=96x80:rate=30:duration=2"},
			// ffmpeg prefers a default stream, then the larger.
			[]string{"-map", "0", "-map", "1", "-disposition:v:0", "0", "-disposition:v:1", "default", "-c:v", "libx264", "-preset", "ultrafast"})},
	}
	r := Rated{Rate: 15, Width: 64, Height: 64}
	ctx := context.Background()
	for _, c := range clips {
		t.Run(c.name, func(t *testing.T) {
			want, err := exec.Command(ffmpeg, "-nostdin", "-v", "error", "-i", c.path, "-s", "64:64", "-an", "-f", "rawvideo",
				"-c:v", "rawvideo", "-pix_fmt", "rgb24", "-r", "15", "pipe:1").Output()
			if err != nil {
				t.Fatal(err)
			}
			d := &FFmpeg{}
			src, err := d.OpenRated(ctx, c.path, r)
			if err != nil {
				t.Fatal(err)
			}
			got, err := readFrames(src, 1)
			src.Close()
			if err != nil || len(got) == 0 || !bytes.Equal(got, want) {
				t.Fatalf("OpenRated: %v: %d bytes, ffmpeg's command line %d, equal %v", err, len(got), len(want), bytes.Equal(got, want))
			}

			s := Sampling{Every: 3}
			_, _, alone, err := decodeAll(ctx, d, c.path, s)
			if err != nil {
				t.Fatal(err)
			}
			_, sampled, rated, err := d.OpenBoth(ctx, c.path, func(Info) Sampling { return s }, r)
			if err != nil {
				t.Fatal(err)
			}
			defer sampled.Close()
			defer rated.Close()
			var both []byte
			var bothErr error
			var wg sync.WaitGroup
			wg.Go(func() { both, bothErr = readFrames(rated, 1) })
			frames, err := readFrames(sampled, 3)
			wg.Wait()
			if err != nil || bothErr != nil {
				t.Fatalf("OpenBoth: sampled %v, rated %v", err, bothErr)
			}
			if !bytes.Equal(both, want) {
				t.Errorf("OpenBoth's rated frames: %d bytes, ffmpeg's command line %d", len(both), len(want))
			}
			if !bytes.Equal(frames, bytes.Join(alone, nil)) {
				t.Errorf("OpenBoth's sampled frames: %d bytes, Open's %d", len(frames), len(bytes.Join(alone, nil)))
			}
		})
	}
}

// readRated reads every rated frame of path and returns the error that
// ends them, nil at a clean end.
func readRated(ctx context.Context, d *FFmpeg, path string, r Rated) error {
	src, err := d.OpenRated(ctx, path, r)
	if err != nil {
		return err
	}
	defer src.Close()
	_, err = readFrames(src, 1)
	return err
}

// A refused video is refused by OpenRated (in place of its end, the
// probe running beside the decode) and OpenBoth as by Open, and so is one whose other video
// stream is over the limits, since ffmpeg may choose it; a bad Rated is
// refused before.
func TestRatedRefused(t *testing.T) {
	testenv.FFmpeg(t)
	path := clip(t, t.TempDir(), "long.mp4", testsrc, []string{"-c:v", "libx264", "-preset", "ultrafast"})
	d := &FFmpeg{Limits: Limits{MaxDuration: time.Second}}
	r := Rated{Rate: 15, Width: 64, Height: 64}
	ctx := context.Background()
	if err := readRated(ctx, d, path, r); !errors.Is(err, ErrTooLarge) {
		t.Errorf("OpenRated of a 2 s video under a 1 s limit: %v", err)
	}
	if _, _, _, err := d.OpenBoth(ctx, path, func(Info) Sampling { return Sampling{} }, r); !errors.Is(err, ErrTooLarge) {
		t.Errorf("OpenBoth of a 2 s video under a 1 s limit: %v", err)
	}
	two := clip(t, t.TempDir(), "two.mkv", []string{
		"-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=1",
		"-f", "lavfi", "-i", "testsrc=size=96x80:rate=10:duration=1"},
		[]string{"-map", "0", "-map", "1", "-c:v", "libx264", "-preset", "ultrafast"})
	small := &FFmpeg{Limits: Limits{MaxPixels: 64 * 48}}
	if err := readRated(ctx, small, two, r); !errors.Is(err, ErrTooLarge) {
		t.Errorf("OpenRated of a file whose second stream is over the pixel limit: %v", err)
	}
	if _, src, err := small.Open(ctx, two, func(Info) Sampling { return Sampling{} }); err != nil {
		t.Errorf("Open of a file whose first stream is within the limits: %v", err)
	} else {
		src.Close()
	}
	// The probe refuses a 60 fps video under a 30 fps limit while ffmpeg,
	// which knows no such limit, decodes: it is killed at the verdict,
	// long before its 900 frames are out.
	fast := clip(t, t.TempDir(), "fast.mp4", []string{"-f", "lavfi", "-i", "testsrc2=size=160x120:rate=60:duration=60"},
		[]string{"-c:v", "libx264", "-preset", "ultrafast"})
	src, err := (&FFmpeg{Limits: Limits{MaxFPS: 30}}).OpenRated(ctx, fast, r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readFrames(src, 1)
	src.Close()
	if n := len(got) / (3 * 64 * 64); !errors.Is(err, ErrTooLarge) || n >= 900 {
		t.Errorf("a 60 fps video under a 30 fps limit: %d frames, then %v", n, err)
	}
	for _, bad := range []Rated{{}, {Rate: 15, Width: 2, Height: 64}, {Rate: 15, Width: 64, Height: 9000}, {Rate: 5000, Width: 64, Height: 64}} {
		if _, err := (&FFmpeg{}).OpenRated(ctx, path, bad); err == nil {
			t.Errorf("OpenRated with %+v: no error", bad)
		}
	}
}

// Closing one of OpenBoth's sources stops ffmpeg: the other, being read
// beside it, ends with an error rather than hanging on a decoder that
// waits for the closed pipe.
func TestOpenBothClose(t *testing.T) {
	testenv.FFmpeg(t)
	path := clip(t, t.TempDir(), "long.mp4", []string{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=120"},
		[]string{"-c:v", "libx264", "-preset", "ultrafast"})
	for _, closeFirst := range []string{"sampled", "rated"} {
		t.Run(closeFirst, func(t *testing.T) {
			_, sampled, rated, err := (&FFmpeg{}).OpenBoth(context.Background(), path, func(Info) Sampling { return Sampling{} },
				Rated{Rate: 15, Width: 64, Height: 64})
			if err != nil {
				t.Fatal(err)
			}
			closed, other := sampled, rated
			if closeFirst == "rated" {
				closed, other = rated, sampled
			}
			done := make(chan error, 1)
			go func() { _, err := readFrames(other, 1); done <- err }()
			w, h := closed.Size()
			if _, err := closed.Next(make([]byte, 3*w*h)); err != nil {
				t.Fatal(err)
			}
			closed.Close()
			select {
			case err := <-done:
				if err == nil {
					t.Error("the other source ended cleanly after its sibling was closed")
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the other source hangs")
			}
			other.Close()
		})
	}
}
