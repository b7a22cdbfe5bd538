package video

import (
	"slices"
	"strings"
	"time"
)

// Limits bound what a decoder accepts and what its child process may use.
// Each zero field means its default.
type Limits struct {
	// MaxDuration is the longest video decoded (default 4 h). Past it the
	// probe refuses the video, and decoding stops reading.
	MaxDuration time.Duration
	// MaxFrames is the most frames a video may declare or decode (default
	// 1,000,000: over 9 h at 30 fps).
	MaxFrames int
	// MaxPixels is the largest frame, width × height (default 36 Mi: 8K),
	// and MaxSide the longest side (default 8192). Frames under 5 px on a
	// side are refused too: PDQ cannot hash them.
	MaxPixels int64
	MaxSide   int
	// MaxFPS is the highest frame rate accepted (default 1000).
	MaxFPS float64
	// Timeout is the wall-clock limit of a decode (default 30 s plus half
	// the video's duration), capped by the caller's context. It counts the
	// time the reader waits for frames, not the time it spends on each
	// between calls to Next, so that hashing every frame on a slow machine
	// does not count against ffmpeg. The probe has ProbeTimeout (default
	// 30 s).
	Timeout, ProbeTimeout time.Duration
	// CPU is the child's CPU-time limit (default: its wall-clock timeout
	// times one more than its threads, so that it never fires before the
	// timeout on a child that keeps every thread busy).
	CPU time.Duration
	// Memory is the child's address-space limit, RLIMIT_AS (default 4
	// GiB; ffmpeg reserves far more address space than it touches).
	Memory int64
}

// Defaults of Limits.
const (
	DefaultMaxDuration  = 4 * time.Hour
	DefaultMaxFrames    = 1_000_000
	DefaultMaxPixels    = 36 << 20
	DefaultMaxSide      = 8192
	DefaultMaxFPS       = 1000
	DefaultProbeTimeout = 30 * time.Second
	DefaultMemory       = 4 << 30
	minSide             = 5
)

func (l Limits) withDefaults() Limits {
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	if l.MaxDuration <= 0 {
		l.MaxDuration = DefaultMaxDuration
	}
	if l.MaxFrames <= 0 {
		l.MaxFrames = DefaultMaxFrames
	}
	def(&l.MaxPixels, DefaultMaxPixels)
	if l.MaxSide <= 0 {
		l.MaxSide = DefaultMaxSide
	}
	if l.MaxFPS <= 0 {
		l.MaxFPS = DefaultMaxFPS
	}
	if l.ProbeTimeout <= 0 {
		l.ProbeTimeout = DefaultProbeTimeout
	}
	def(&l.Memory, DefaultMemory)
	return l
}

// timeout is the wall-clock limit for decoding a video of duration d.
func (l Limits) timeout(d time.Duration) time.Duration {
	if l.Timeout > 0 {
		return l.Timeout
	}
	return 30*time.Second + d/2
}

// check refuses a video whose probe is outside l (which has its defaults)
// or the allow-lists.
func (l Limits) check(i Info) error {
	if !allowedContainer(i.Container) {
		return errorf(ErrUnsupported, "container %q is not one of %s", i.Container, strings.Join(containers, ", "))
	}
	if _, ok := decoders[i.Codec]; !ok {
		return errorf(ErrUnsupported, "codec %q is not one of %s", i.Codec, strings.Join(codecNames(), ", "))
	}
	switch {
	case i.Width <= 0 || i.Height <= 0:
		return errorf(ErrDecode, "stream has no frame size (%d×%d)", i.Width, i.Height)
	case i.Width < minSide || i.Height < minSide:
		return errorf(ErrDecode, "%d×%d frames are under %d px on a side", i.Width, i.Height, minSide)
	case i.Width > l.MaxSide || i.Height > l.MaxSide:
		return errorf(ErrTooLarge, "%d×%d frames: a side over %d px", i.Width, i.Height, l.MaxSide)
	case int64(i.Width)*int64(i.Height) > l.MaxPixels:
		return errorf(ErrTooLarge, "%d×%d frames: over %d pixels", i.Width, i.Height, l.MaxPixels)
	case !(i.FPS > 0):
		return errorf(ErrDecode, "stream has no frame rate (avg %q)", i.FPSRational)
	case i.FPS > l.MaxFPS:
		return errorf(ErrTooLarge, "frame rate %s (%.4g fps) over %g", i.FPSRational, i.FPS, l.MaxFPS)
	case i.Duration > l.MaxDuration:
		return errorf(ErrTooLarge, "duration %v over %v", i.Duration.Round(time.Millisecond), l.MaxDuration)
	case i.EstimatedFrames() > l.MaxFrames:
		return errorf(ErrTooLarge, "%d frames over %d", i.EstimatedFrames(), l.MaxFrames)
	}
	return nil
}

// containers are the demuxers allowed: ISO-BMFF (mov, mp4…), Matroska and
// WebM, AVI, FLV, MPEG-TS, MPEG-PS and ASF. Playlist and multi-file
// demuxers (hls, dash, concat, image2, tee…) are left out, as are raw
// elementary streams.
var containers = []string{"mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "avi", "flv", "mpegts", "mpeg", "asf"}

// allowedContainer reports whether a demuxer named name (ffprobe's
// format_name, a comma-separated list of aliases) is allowed.
func allowedContainer(name string) bool {
	for n := range strings.SplitSeq(name, ",") {
		if slices.Contains(containers, n) {
			return true
		}
	}
	return false
}

// decoders maps each allowed codec, by ffprobe's codec_name, to the names
// of the ffmpeg decoders that may decode it: ffmpeg's -codec_whitelist
// matches decoder names.
var decoders = map[string][]string{
	"h264":       {"h264"},
	"hevc":       {"hevc"},
	"vp8":        {"vp8", "libvpx"},
	"vp9":        {"vp9", "libvpx-vp9"},
	"av1":        {"libdav1d", "libaom-av1", "av1"},
	"mpeg4":      {"mpeg4"},
	"mpeg1video": {"mpeg1video"},
	"mpeg2video": {"mpeg2video"},
	"h263":       {"h263"},
	"flv1":       {"flv"},
	"msmpeg4v3":  {"msmpeg4"},
	"wmv1":       {"wmv1"},
	"wmv2":       {"wmv2"},
	"wmv3":       {"wmv3"},
	"vc1":        {"vc1"},
	"theora":     {"theora"},
	"mjpeg":      {"mjpeg"},
}

// otherDecoders are the audio and subtitle decoders ffprobe may open: it
// opens a decoder for every stream, and fails on one not allowed, so a
// video whose other streams use none of these is refused.
var otherDecoders = []string{
	"aac", "aac_fixed", "aac_latm", "ac3", "ac3_fixed", "eac3", "mp1", "mp1float", "mp2", "mp2float", "mp3", "mp3float",
	"opus", "libopus", "vorbis", "libvorbis", "flac", "alac", "wmav1", "wmav2", "wmapro", "dca", "truehd",
	"pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_s24be", "pcm_s32le", "pcm_f32le", "pcm_u8", "pcm_alaw", "pcm_mulaw",
	"adpcm_ima_wav", "adpcm_ms", "amrnb", "amrwb", "speex", "nellymoser", "gsm_ms",
	"mov_text", "subrip", "ass", "ssa", "webvtt", "text", "dvdsub", "dvbsub",
}

// videoDecoders is ffmpeg's -codec_whitelist: every allowed video
// decoder.
func videoDecoders() []string {
	var all []string
	for _, c := range codecNames() {
		all = append(all, decoders[c]...)
	}
	return all
}

func codecNames() []string {
	var s []string
	for c := range decoders {
		s = append(s, c)
	}
	slices.Sort(s)
	return s
}
