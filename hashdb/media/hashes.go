package media

import (
	"time"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tmk"
	"github.com/hashshare/hashshare/hashdb/vpdq"
)

// Hashes is everything hashing one piece of media found: its signals and
// facts about the input. Its JSON form is described at [JSON].
type Hashes struct {
	// Signals holds one signal per algorithm computed, in the order of
	// signal.Algorithms(). hashdb's Item.Signals takes it as is.
	Signals []signal.Signal
	// Unreliable is the subset of Signals computed from too little
	// information to match on: PDQ of quality below 50 (the reference's
	// rule), and the 64-bit hashes of a flat or nearly flat image (luma
	// standard deviation under 2 grey levels), which hash to values such as
	// 8000000000000000 or 0 that every other flat image shares.
	// hashdb's Item.Unreliable takes it as is.
	Unreliable []signal.Signal
	// Dihedral holds, when Options.Dihedral is set, the PDQ hashes of the
	// image's 8 rotations and reflections, indexed by [Transform]:
	// Dihedral[Rotate90] is the hash of the image rotated 90°.
	// Dihedral[Original] is the PDQ signal, except for an image of exactly
	// 64×64 pixels, which Meta's reference hashes without blurring on its
	// own but with blurring among the eight.
	Dihedral []signal.Signal
	// Format is the image format, as the first bytes say: "jpeg", "png",
	// "gif", "bmp", "tiff", "webp"; or a video's container: "mp4", "mov",
	// "matroska", "webm", "avi", "flv", "mpegts", "mpeg", "asf"; or ""
	// when the bytes are neither (or for HashImage).
	Format string
	// Width and Height are the decoded image's or video frames', or 0.
	Width, Height int
	// Quality is PDQ's quality score, 0 to 100, when PDQ was computed.
	Quality int
	// Size is the number of bytes read; 0 for HashImage.
	Size int64
	// Video is the vPDQ of a video, when the media is one and its frames
	// were decoded; nil otherwise.
	Video *vpdq.Hash
	// VideoSkipped says, for a video whose Video is nil, why: "ffmpeg is
	// not installed", "video over the limits", "video does not decode"…
	// (an error comes with each but "not requested"). It is "" for a
	// video hashed and for media that is not a video.
	VideoSkipped string
	// TMK is the TMK+PDQF hash of a video, when VideoOptions.TMK asked for
	// it and its frames decoded.
	TMK *tmk.Hash
	// ContentType is "photo" for an image, "video" for a video, as the
	// first bytes say, and "" for anything else (or for HashImage's
	// decoded image: "photo"). hashdb.ParseContentType reads it.
	ContentType string
	// Skipped says, for each algorithm not in Signals, why: "not
	// requested", "not an image", "image smaller than 5 px", "image does
	// not decode", …
	Skipped map[signal.Algorithm]string

	// What the stages found, until finish lays it out above.
	got        [numSlots]signal.Signal // by algorithm
	skipped    [numSlots]string        // by algorithm
	done, weak set                     // algorithms computed; those too weak to match on
	lumaStdDev float64                 // of the normalised image, in grey levels
	stages     stages                  // for benchmarks
}

// Signal returns the signal of algorithm a, if it was computed.
func (h *Hashes) Signal(a signal.Algorithm) (signal.Signal, bool) {
	for _, s := range h.Signals {
		if s.Algorithm() == a {
			return s, true
		}
	}
	return signal.Signal{}, false
}

// set records the signal of its algorithm; weak marks it unreliable.
func (h *Hashes) set(s signal.Signal, weak bool) {
	a := s.Algorithm()
	h.got[a] = s
	h.done |= setOf(a)
	if weak {
		h.weak |= setOf(a)
	}
}

// skip records why the algorithms of s not computed yet were not, unless
// an earlier stage already said.
func (h *Hashes) skip(s set, why string) {
	for _, a := range signal.Algorithms() {
		if s.has(a) && !h.done.has(a) && h.skipped[a] == "" {
			h.skipped[a] = why
		}
	}
}

// finish lays what the stages recorded out in the exported fields.
func (h *Hashes) finish() *Hashes {
	h.Signals, h.Unreliable = nil, nil
	h.Skipped = make(map[signal.Algorithm]string)
	for _, a := range signal.Algorithms() {
		if !h.done.has(a) {
			h.Skipped[a] = h.skipped[a]
			continue
		}
		h.Signals = append(h.Signals, h.got[a])
		if h.weak.has(a) {
			h.Unreliable = append(h.Unreliable, h.got[a])
		}
	}
	return h
}

// Reasons an algorithm did not apply, reported in Hashes.Skipped.
const (
	notRequested = "not requested"
	notImage     = "not an image"
	tooSmall     = "image smaller than 5 px"
	noPixels     = "image has no pixels"
	noBytes      = "no bytes: hashed a decoded image"
	failed       = "image could not be hashed"
	undecodable  = "image does not decode"
	overLimit    = "image over the size limit"
)

// minPDQQuality is the PDQ quality below which a PDQ hash is unreliable:
// the reference's recommendation.
const minPDQQuality = 50

// minLumaStdDev is the luma standard deviation, in grey levels, below
// which the 64-bit hashes of an image are unreliable: a flat or nearly
// flat image hashes to 8000000000000000, 0 or ffffffffffffffff (or noise
// around them), values that match every other flat image.
const minLumaStdDev = 2.0

// set is a set of algorithms, by bit.
type set uint16

// numSlots is one more than the largest Algorithm, whose values start at 1.
const numSlots = int(signal.SHA256) + 1

// all is every algorithm; perceptual hash pixels, digests hash bytes.
const (
	perceptual = set(1<<signal.PDQ | 1<<signal.PHash | 1<<signal.DHash | 1<<signal.AHash)
	digests    = set(1<<signal.MD5 | 1<<signal.SHA1 | 1<<signal.SHA256)
	all        = perceptual | digests
)

func setOf(algs ...signal.Algorithm) set {
	var s set
	for _, a := range algs {
		s |= 1 << a
	}
	return s
}

func (s set) has(a signal.Algorithm) bool { return s&(1<<a) != 0 }

// stages are the durations of the stages of one hashing, for benchmarks.
// Stages run concurrently, so they may add up to more than the whole.
type stages struct {
	Read, Digest, Decode, Normalise, PDQ, PHash, DHash, AHash, Total time.Duration
}
