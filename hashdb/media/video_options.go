package media

import (
	"fmt"
	"math"
	"time"

	"github.com/hashshare/hashshare/internal/video"
)

// Defaults of [VideoOptions].
const (
	// DefaultSecondsPerHash is the sampling interval of vPDQ by default:
	// one frame a second, as python-threatexchange and HMA hash.
	DefaultSecondsPerHash = 1.0
	// DefaultMaxVideoBytes is the largest video file hashed as a video by
	// default, 8 GiB; the digests of a larger one are still computed.
	DefaultMaxVideoBytes = 8 << 30
)

// VideoOptions choose how a video's vPDQ is computed and bound what its
// decoding may cost. Every zero field means its default, so the zero value
// hashes one frame a second at full resolution through the ffmpeg and
// ffprobe found in PATH, within the default limits.
type VideoOptions struct {
	// SecondsPerHash hashes one frame every this many seconds of the
	// video (0 means DefaultSecondsPerHash); the frame kept is each whose
	// number is a multiple of int(SecondsPerHash × fps), as the reference
	// keeps them. EveryFrame hashes every frame instead, as the reference
	// command-line tool does by default.
	SecondsPerHash float64
	EveryFrame     bool
	// Downsample scales frames to Downsample × Downsample pixels (the
	// reference's area filter) before PDQ; 0 hashes them at full
	// resolution, as the reference and python-threatexchange do.
	// Downsampled hashes drift about 10 bits from full-resolution ones.
	Downsample int
	// NoSIMD converts colour with swscale's portable C code rather than
	// its x86-64 SIMD code, which rounds differently: the frames, and so
	// the hashes, of an arm64 build and of upstream's 2022 sample files,
	// where the default gives those of Meta's reference built on x86-64.
	// Decoding is slower without SIMD.
	NoSIMD bool
	// FFmpeg and FFprobe name the programs; "" finds them in PATH (and
	// ffprobe beside FFmpeg when only that is given).
	FFmpeg, FFprobe string
	// MaxBytes is the largest file hashed as a video (default
	// DefaultMaxVideoBytes): a larger one gets only its digests, and
	// ErrVideoTooLarge.
	MaxBytes int64
	// The limits of decoding; see the defaults below. MaxDuration (4 h),
	// MaxFrames (1,000,000 frames declared or decoded), MaxPixels (36 Mi
	// pixels a frame, 8K) and MaxFPS (1000) refuse a video from its
	// probe, before a frame is decoded.
	MaxDuration time.Duration
	MaxFrames   int
	MaxPixels   int64
	MaxFPS      float64
	// Timeout is the wall-clock limit of decoding one video (default 30 s
	// plus half its duration), capped by the context.
	Timeout time.Duration
	// CPU and Memory limit ffmpeg's CPU time (default: its timeout times
	// one more than its threads) and address space (default 4 GiB), on
	// Linux.
	CPU    time.Duration
	Memory int64
	// Threads is ffmpeg's decoding threads (0: ffmpeg's automatic
	// choice), and Workers the goroutines hashing frames (0: GOMAXPROCS).
	Threads, Workers int
	// TempDir is where a video is spooled for ffmpeg, which needs a file
	// it can seek; "" means os.TempDir().
	TempDir string
	// TMK also computes the video's TMK+PDQF hash, into Hashes.TMK (see
	// [TMKFile]), from the same decode: ffmpeg puts out vPDQ's frames and
	// TMK's (64×64 at 15 fps) side by side.
	TMK bool
}

// videoConfig is VideoOptions with the defaults applied.
type videoConfig struct {
	secondsPerHash float64 // 0: every frame
	downsample     int
	maxBytes       int64
	workers        int
	tempDir        string
	decoder        *video.FFmpeg
	tmk            bool
}

func (o *VideoOptions) config() (videoConfig, error) {
	c := videoConfig{secondsPerHash: DefaultSecondsPerHash, maxBytes: DefaultMaxVideoBytes}
	switch {
	case o.SecondsPerHash < 0 || math.IsNaN(o.SecondsPerHash) || math.IsInf(o.SecondsPerHash, 0):
		return c, fmt.Errorf("media: options: video: SecondsPerHash %v is not a duration in seconds", o.SecondsPerHash)
	case o.Downsample < 0 || o.Downsample > 0 && o.Downsample < 5:
		return c, fmt.Errorf("media: options: video: Downsample %d is under PDQ's 5 px", o.Downsample)
	case o.SecondsPerHash > 0:
		c.secondsPerHash = o.SecondsPerHash
	}
	if o.EveryFrame {
		c.secondsPerHash = 0
	}
	c.tmk = o.TMK
	if o.MaxBytes > 0 {
		c.maxBytes = o.MaxBytes
	}
	c.downsample, c.workers, c.tempDir = o.Downsample, o.Workers, o.TempDir
	c.decoder = &video.FFmpeg{
		Path: o.FFmpeg, ProbePath: o.FFprobe, Threads: o.Threads, NoSIMD: o.NoSIMD,
		Limits: video.Limits{
			MaxDuration: o.MaxDuration, MaxFrames: o.MaxFrames, MaxPixels: o.MaxPixels, MaxFPS: o.MaxFPS,
			Timeout: o.Timeout, CPU: o.CPU, Memory: o.Memory,
		},
	}
	return c, nil
}
