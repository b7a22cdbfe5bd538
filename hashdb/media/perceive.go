package media

import (
	"fmt"
	"image"
	"sync"
	"time"

	"github.com/corona10/goimagehash"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/internal/pdq"
)

// pdqMinDim is the smallest width and height PDQ hashes.
const pdqMinDim = 5

// perceive computes the perceptual hashes in c.want of the normalised image
// m, each on its own goroutine: PDQ and goimagehash's three hashes share
// nothing but m, which none of them writes. It records them in h and
// returns the first failure.
func perceive(m *image.RGBA, c *config, h *Hashes) error {
	w, ht := m.Rect.Dx(), m.Rect.Dy()
	want := c.want & perceptual
	if w == 0 || ht == 0 {
		h.skip(want, noPixels)
		return nil
	}
	if want.has(signal.PDQ) && (w < pdqMinDim || ht < pdqMinDim) {
		h.skip(setOf(signal.PDQ), tooSmall)
		want &^= setOf(signal.PDQ)
	}

	var (
		wg   sync.WaitGroup
		errs [numSlots]error
		u64s [numSlots]uint64
	)
	run := func(a signal.Algorithm, d *time.Duration, f func() error) {
		if !want.has(a) {
			return
		}
		wg.Go(func() {
			t := time.Now()
			errs[a] = guard(a.String(), f) // each goroutine writes its own slot
			*d = time.Since(t)
		})
	}
	ghash := func(a signal.Algorithm, f func(image.Image) (*goimagehash.ImageHash, error)) func() error {
		return func() (err error) { u64s[a], err = goimageHash(f, m); return err }
	}
	var pr pdq.Result
	run(signal.PDQ, &h.stages.PDQ, func() (err error) {
		pr, err = pdq.Options{Dihedral: c.dihedral, Resize512: c.resize512}.FromImage(m)
		return err
	})
	run(signal.PHash, &h.stages.PHash, ghash(signal.PHash, goimagehash.PerceptionHash))
	run(signal.DHash, &h.stages.DHash, ghash(signal.DHash, goimagehash.DifferenceHash))
	run(signal.AHash, &h.stages.AHash, ghash(signal.AHash, goimagehash.AverageHash))
	wg.Wait()

	for a, err := range errs {
		if err != nil {
			return errorf(ErrHashFailed, h.Format, err, "%s of %d×%d image", signal.Algorithm(a), w, ht)
		}
	}
	if want.has(signal.PDQ) {
		h.set(pdqSignal(pr.Hash), pr.Quality < minPDQQuality)
		h.Quality = pr.Quality
		if c.dihedral {
			h.Dihedral = make([]signal.Signal, len(pr.Dihedral))
			for i, d := range pr.Dihedral {
				h.Dihedral[i] = pdqSignal(d)
			}
		}
	}
	flat := h.lumaStdDev < minLumaStdDev
	for _, a := range []signal.Algorithm{signal.PHash, signal.DHash, signal.AHash} {
		if want.has(a) {
			s, _ := signal.FromUint64(a, u64s[a]) // a is 64 bits wide: cannot fail
			h.set(s, flat)
		}
	}
	return nil
}

func pdqSignal(v pdq.Hash) signal.Signal {
	s, _ := signal.New(signal.PDQ, v[:]) // 32 bytes: cannot fail
	return s
}

// goimageHash runs one of goimagehash's 64-bit hashes. Its callers hand it
// only an opaque *image.RGBA at (0,0) with at least one pixel, which keeps
// goimagehash off its wrong-pixel and stale-buffer paths.
func goimageHash(f func(image.Image) (*goimagehash.ImageHash, error), m *image.RGBA) (uint64, error) {
	h, err := f(m)
	if err != nil {
		return 0, err
	}
	if h == nil {
		return 0, fmt.Errorf("goimagehash returned no hash")
	}
	return h.GetHash(), nil
}

// guard runs f and turns a panic into an error, so that no bug in a
// third-party decoder or hash takes the caller's process down.
func guard(what string, f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s panicked: %v", what, p)
		}
	}()
	return f()
}
