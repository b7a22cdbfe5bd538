package media

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"sync"
)

// DefaultDecodeBytes is the size of [DefaultBudget]: 1 GiB, which decodes
// and hashes an 8192×8192 image of 8-bit samples (the largest MaxPixels
// allows by default) one at a time, and refuses the same image with
// 16-bit samples, which would take half as much again.
const DefaultDecodeBytes = 1 << 30

// DefaultBudget is the [Budget] of decodes whose Options name none: one for
// the whole process, so that concurrent hashing, however many callers or
// workers start it, never holds more than DefaultDecodeBytes of decoded
// pixels at once.
var DefaultBudget = NewBudget(DefaultDecodeBytes)

// A Budget bounds the memory that decoding and hashing images may take at
// once. Before an image is decoded, the memory it will take is estimated
// from its header: its pixels times the bytes per pixel its colour model
// stores, plus the working set hashing needs per pixel. An image whose
// estimate exceeds the whole budget is refused with [ErrImageTooLarge],
// before any of it is decoded; others wait, in turn, until enough of the
// budget is free, or their context ends. A small file that declares a
// large image of wide samples (a 500 kB PNG of 8000×8000 16-bit RGBA
// pixels takes 1.5 GB to decode) therefore costs at most the budget.
//
// A Budget is safe for concurrent use. Share one among everything in a
// process that hashes, as [DefaultBudget] is shared by default.
type Budget struct {
	total int64

	mu      sync.Mutex
	used    int64
	waiters []*waiter // in arrival order
}

type waiter struct {
	n     int64
	ready chan struct{} // closed once the waiter holds its n
}

// NewBudget returns a budget of bytes; a size of 0 or less means
// DefaultDecodeBytes.
func NewBudget(bytes int64) *Budget {
	if bytes <= 0 {
		bytes = DefaultDecodeBytes
	}
	return &Budget{total: bytes}
}

// Size returns the budget's size in bytes.
func (b *Budget) Size() int64 { return b.total }

// InUse returns how many bytes of the budget decodes hold now.
func (b *Budget) InUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// acquire waits until n bytes of the budget are free and takes them,
// returning the function that gives them back. It fails at once if n is
// more than the whole budget, and when ctx ends while it waits.
func (b *Budget) acquire(ctx context.Context, n int64) (release func(), err error) {
	if n > b.total {
		return nil, fmt.Errorf("needs about %d MiB to decode and hash, over the budget of %d MiB", (n+1<<20-1)>>20, b.total>>20)
	}
	release = func() { b.release(n) }
	b.mu.Lock()
	if len(b.waiters) == 0 && b.used+n <= b.total {
		b.used += n
		b.mu.Unlock()
		return release, nil
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	b.waiters = append(b.waiters, w)
	b.mu.Unlock()
	select {
	case <-w.ready:
		return release, nil
	case <-ctx.Done():
		b.mu.Lock()
		select {
		case <-w.ready: // granted meanwhile: give it back
			b.mu.Unlock()
			b.release(n)
		default:
			for i, x := range b.waiters {
				if x == w {
					b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
					break
				}
			}
			b.grant() // those behind it may fit now
			b.mu.Unlock()
		}
		return nil, ctx.Err()
	}
}

func (b *Budget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.grant()
	b.mu.Unlock()
}

// grant hands the budget to waiters in arrival order while the first
// fits: a large decode is not starved by small ones overtaking it.
func (b *Budget) grant() {
	for len(b.waiters) > 0 && b.used+b.waiters[0].n <= b.total {
		w := b.waiters[0]
		b.waiters = b.waiters[1:]
		b.used += w.n
		close(w.ready)
	}
}

// hashBytesPerPixel is the working set of hashing per pixel, on top of
// the decoded image: the RGBA copy normalisation makes (when the decoder's
// form is not RGBA already) is counted apart; this is the float luma and
// the buffers of PDQ's blur and the 64-bit hashes' resizing.
const hashBytesPerPixel = 8

// decodeCost estimates the memory decoding and hashing an image of cfg
// takes: the decoder's pixels at the depth its colour model stores, the
// RGBA copy normalisation makes of any other form, and hashing's working
// set.
func decodeCost(cfg image.Config) int64 {
	stored, copied := 4.0, 4.0 // a form normalisation converts
	switch cfg.ColorModel {
	case color.RGBAModel, color.NRGBAModel:
		copied = 0 // normalised in place
	case color.RGBA64Model, color.NRGBA64Model:
		stored = 8
	case color.Gray16Model, color.Alpha16Model:
		stored = 2
	case color.GrayModel, color.AlphaModel:
		stored = 1
	case color.YCbCrModel:
		stored = 3 // 4:4:4 at most
	case color.NYCbCrAModel:
		stored = 4
	default:
		if _, ok := cfg.ColorModel.(color.Palette); ok {
			stored = 1
		}
	}
	px := float64(cfg.Width) * float64(cfg.Height)
	return int64(px * (stored + copied + hashBytesPerPixel))
}
