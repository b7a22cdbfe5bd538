package hashdb

import (
	"fmt"
	"math"
	"slices"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/hashshare/hashshare/hashdb/vpdq"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// videoToProto packs a normalized video hash (see proto/hashshare/v1/
// video.proto): hashes and qualities as bytes, frame numbers and
// timestamps as varint deltas, timestamps in the most compact form that
// holds them exactly.
func videoToProto(h *vpdq.Hash) *pb.VideoHash {
	if h == nil {
		return nil
	}
	n := len(h.Features)
	v := h.Video
	p := &pb.VideoHash{
		Hashes:         make([]byte, 0, 32*n),
		Qualities:      make([]byte, 0, n),
		Width:          int32(v.Width),
		Height:         int32(v.Height),
		Fps:            v.FPS,
		FpsRational:    v.FPSRational,
		Duration:       v.Duration,
		Frames:         int64(v.Frames),
		SecondsPerHash: v.SecondsPerHash,
		Downsample:     int32(v.Downsample),
		Decoder:        v.Decoder,
	}
	var prev int64
	anyFrame := false
	for _, f := range h.Features {
		p.Hashes = append(p.Hashes, f.PDQ[:]...)
		p.Qualities = append(p.Qualities, f.Quality)
		anyFrame = anyFrame || f.Frame != 0
	}
	if anyFrame {
		p.FrameDeltas = make([]int64, n)
		for i, f := range h.Features {
			p.FrameDeltas[i] = int64(f.Frame) - prev
			prev = int64(f.Frame)
		}
	}
	switch {
	case secondsFromFrames(h):
		p.SecondsFromFrames = true
	default:
		if d, ok := timeDecimals(h); ok {
			p.TimeDecimals = uint32(d)
			scale := math.Pow10(d)
			prev = 0
			allZero := true
			deltas := make([]int64, n)
			for i, f := range h.Features {
				u := int64(math.Round(f.Seconds * scale))
				deltas[i] = u - prev
				prev = u
				allZero = allZero && u == 0
			}
			if !allZero {
				p.TimeDeltas = deltas
			} else {
				p.TimeDecimals = 0
			}
		} else {
			p.Seconds = make([]float64, n)
			for i, f := range h.Features {
				p.Seconds[i] = f.Seconds
			}
		}
	}
	return p
}

// secondsFromFrames reports whether every timestamp follows the
// reference's rule float32(frame) / float32(fps).
func secondsFromFrames(h *vpdq.Hash) bool {
	fps := h.Video.FPS
	if !(fps > 0) || math.IsInf(fps, 0) || float32(fps) == 0 {
		return false
	}
	for _, f := range h.Features {
		if f.Seconds != referenceSeconds(f.Frame, fps) {
			return false
		}
	}
	return true
}

// referenceSeconds is the reference's timestamp of frame at fps.
func referenceSeconds(frame uint32, fps float64) float64 {
	return float64(float32(frame) / float32(fps))
}

// timeDecimals returns the fewest decimals, up to 6, in which every
// timestamp of h is exactly units / 10^d.
func timeDecimals(h *vpdq.Hash) (int, bool) {
next:
	for d := 0; d <= 6; d++ {
		scale := math.Pow10(d)
		for _, f := range h.Features {
			u := math.Round(f.Seconds * scale)
			if u > 1<<53 || u/scale != f.Seconds {
				continue next
			}
		}
		return d, true
	}
	return 0, false
}

// videoFromProto unpacks p, checking it is a form videoToProto writes.
func videoFromProto(p *pb.VideoHash) (*vpdq.Hash, error) {
	if p == nil {
		return nil, nil
	}
	hs, qs := p.GetHashes(), p.GetQualities()
	n := len(hs) / 32
	switch {
	case len(hs)%32 != 0:
		return nil, fmt.Errorf("video hash: %d bytes of frame hashes, not a multiple of 32", len(hs))
	case n > vpdq.MaxFeatures:
		return nil, fmt.Errorf("video hash: %d frames, more than %d", n, vpdq.MaxFeatures)
	case len(qs) != n:
		return nil, fmt.Errorf("video hash: %d qualities for %d frames", len(qs), n)
	case len(p.GetFrameDeltas()) != 0 && len(p.GetFrameDeltas()) != n:
		return nil, fmt.Errorf("video hash: %d frame numbers for %d frames", len(p.GetFrameDeltas()), n)
	case len(p.GetTimeDeltas()) != 0 && len(p.GetTimeDeltas()) != n:
		return nil, fmt.Errorf("video hash: %d timestamps for %d frames", len(p.GetTimeDeltas()), n)
	case len(p.GetSeconds()) != 0 && len(p.GetSeconds()) != n:
		return nil, fmt.Errorf("video hash: %d timestamps for %d frames", len(p.GetSeconds()), n)
	case p.GetTimeDecimals() > 6:
		return nil, fmt.Errorf("video hash: %d timestamp decimals, more than 6", p.GetTimeDecimals())
	case p.GetSecondsFromFrames() && !(p.GetFps() > 0):
		return nil, fmt.Errorf("video hash: timestamps from frame numbers without a frame rate")
	}
	h := &vpdq.Hash{Features: make([]vpdq.Feature, n), Video: vpdq.Video{
		Width:          int(p.GetWidth()),
		Height:         int(p.GetHeight()),
		FPS:            p.GetFps(),
		FPSRational:    p.GetFpsRational(),
		Duration:       p.GetDuration(),
		Frames:         int(p.GetFrames()),
		SecondsPerHash: p.GetSecondsPerHash(),
		Downsample:     int(p.GetDownsample()),
		Decoder:        p.GetDecoder(),
	}}
	var frame, units int64
	scale := math.Pow10(int(p.GetTimeDecimals()))
	for i := range h.Features {
		f := &h.Features[i]
		copy(f.PDQ[:], hs[32*i:])
		f.Quality = qs[i]
		if fd := p.GetFrameDeltas(); len(fd) != 0 {
			frame += fd[i]
			if frame < 0 || frame > math.MaxUint32 {
				return nil, fmt.Errorf("video hash: frame %d: frame number %d out of range", i, frame)
			}
			f.Frame = uint32(frame)
		}
		switch {
		case p.GetSecondsFromFrames():
			f.Seconds = referenceSeconds(f.Frame, h.Video.FPS)
		case len(p.GetSeconds()) != 0:
			f.Seconds = p.GetSeconds()[i]
		case len(p.GetTimeDeltas()) != 0:
			units += p.GetTimeDeltas()[i]
			if units < 0 || units > 1<<53 {
				return nil, fmt.Errorf("video hash: frame %d: timestamp out of range", i)
			}
			f.Seconds = float64(units) / scale
		}
	}
	if err := checkVideo(h); err != nil {
		return nil, err
	}
	return h, nil
}

// Limits on what a stored video hash says of its video.
const (
	maxVideoText = 256
	maxVideoSide = 1 << 20
	// maxVideoBytes bounds a video hash's packed form, so that its item
	// fits in a bundle frame (1 MiB by default): about 23,000 frames, six
	// hours at one hash a second or 13 minutes of every frame at 30 fps.
	maxVideoBytes = 800_000
)

// checkVideo checks a video hash an item may carry: a valid vPDQ hash
// with at least one frame, and a description that fits the stored form.
func checkVideo(h *vpdq.Hash) error {
	if len(h.Features) == 0 {
		return fmt.Errorf("video hash: no frames")
	}
	if err := h.Validate(); err != nil {
		return fmt.Errorf("video hash: %w", err)
	}
	v := &h.Video
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) && x >= 0 }
	switch {
	case v.Width < 0 || v.Width > maxVideoSide || v.Height < 0 || v.Height > maxVideoSide:
		return fmt.Errorf("video hash: frame size %d×%d out of range", v.Width, v.Height)
	case v.Downsample < 0 || v.Downsample > maxVideoSide:
		return fmt.Errorf("video hash: downsample %d out of range", v.Downsample)
	case !finite(v.FPS) || !finite(v.Duration) || !finite(v.SecondsPerHash):
		return fmt.Errorf("video hash: frame rate, duration and seconds per hash must be finite and not negative")
	case v.Frames < 0:
		return fmt.Errorf("video hash: %d frames decoded", v.Frames)
	case len(v.FPSRational) > maxVideoText || len(v.Decoder) > maxVideoText:
		return fmt.Errorf("video hash: frame rate or decoder text longer than %d bytes", maxVideoText)
	case !utf8.ValidString(v.FPSRational) || !utf8.ValidString(v.Decoder):
		return fmt.Errorf("video hash: frame rate or decoder text is not UTF-8")
	}
	return nil
}

// normalizeVideo returns the copy of h an item stores, or why it cannot:
// its features copied, a negative zero timestamp made zero (the stored
// form keeps no sign on zero).
func normalizeVideo(h *vpdq.Hash) (*vpdq.Hash, error) {
	if h == nil {
		return nil, nil
	}
	if err := checkVideo(h); err != nil {
		return nil, err
	}
	c := &vpdq.Hash{Features: slices.Clone(h.Features), Video: h.Video}
	for i := range c.Features {
		if c.Features[i].Seconds == 0 {
			c.Features[i].Seconds = 0
		}
	}
	if n := proto.Size(videoToProto(c)); n > maxVideoBytes {
		return nil, fmt.Errorf("video hash: %d frames pack into %d bytes, more than %d (about 23,000 frames; hash long videos at a coarser sampling)", len(c.Features), n, maxVideoBytes)
	}
	return c, nil
}

// sameVideo reports whether a and b are the same video hash.
func sameVideo(a, b *vpdq.Hash) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Video == b.Video && slices.Equal(a.Features, b.Features)
}
