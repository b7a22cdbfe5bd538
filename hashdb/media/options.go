package media

import (
	"fmt"

	"github.com/hashshare/hashshare/hashdb/signal"
)

// Limits applied when [Options] leaves them zero.
const (
	// DefaultMaxPixels is the largest image decoded by default, 64 Mi
	// pixels: 8192×8192.
	DefaultMaxPixels = 64 << 20
	// DefaultMaxImageBytes is the most bytes of one image held in memory by
	// default, 256 MiB: enough for an uncompressed 8192×8192 RGBA TIFF.
	// Bytes that are not an image are never held.
	DefaultMaxImageBytes = 256 << 20
)

// Options choose what [HashReader], [HashFile], [HashImage] and [HashTree]
// compute. Every zero field means its default, so a nil *Options, like
// the zero value, computes every algorithm within the default limits, and
// &Options{MaxPixels: 1e6} changes only that limit.
type Options struct {
	// Algorithms lists the algorithms to compute; empty means all of them.
	Algorithms []signal.Algorithm
	// MaxPixels is the largest width × height decoded; larger images fail
	// with ErrImageTooLarge. 0 means DefaultMaxPixels.
	MaxPixels int64
	// MaxImageBytes is the largest image file read into memory; larger
	// images fail with ErrImageTooLarge. 0 means DefaultMaxImageBytes.
	MaxImageBytes int64
	// Dihedral also computes the PDQ hashes of the image's 8 rotations and
	// reflections, in Hashes.Dihedral.
	Dihedral bool
	// PDQResize512 computes PDQ as Meta's reference command-line tool does,
	// after resizing an image larger than 512 px on a side to 512×512. Off,
	// PDQ hashes the full image, as the reference library, HMA and
	// python-threatexchange do.
	PDQResize512 bool
	// Workers is how many files HashTree hashes at once; 0 means one per
	// core (GOMAXPROCS).
	Workers int
	// Budget bounds the memory decodes take at once, and refuses an image
	// that would take more than all of it; nil means [DefaultBudget],
	// shared by the whole process.
	Budget *Budget
	// Video chooses how videos are hashed: their vPDQ, computed when PDQ
	// is among the Algorithms.
	Video VideoOptions
}

// config is Options with the defaults applied, plus what HashFile knows.
type config struct {
	want          set
	maxPixels     int64
	maxImageBytes int64
	dihedral      bool
	resize512     bool
	workers       int
	budget        *Budget
	video         videoConfig
	sizeHint      int64 // the expected number of bytes, if known, to size the image buffer
}

func (o *Options) config() (c config, err error) {
	c = config{want: all, maxPixels: DefaultMaxPixels, maxImageBytes: DefaultMaxImageBytes, budget: DefaultBudget}
	if o == nil {
		c.video, err = (&VideoOptions{}).config()
		return c, err
	}
	if o.Budget != nil {
		c.budget = o.Budget
	}
	if len(o.Algorithms) > 0 {
		c.want = 0
		for _, a := range o.Algorithms {
			if !a.Valid() {
				return c, fmt.Errorf("media: options: %w: %d", signal.ErrUnknownAlgorithm, uint8(a))
			}
			c.want |= setOf(a)
		}
	}
	if o.MaxPixels > 0 {
		c.maxPixels = o.MaxPixels
	}
	if o.MaxImageBytes > 0 {
		c.maxImageBytes = o.MaxImageBytes
	}
	c.dihedral, c.resize512, c.workers = o.Dihedral, o.PDQResize512, o.Workers
	c.video, err = o.Video.config()
	return c, err
}
