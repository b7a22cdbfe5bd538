package media

import (
	"fmt"
	"image"
	"sync"
	"time"

	"github.com/corona10/goimagehash"
	"github.com/hashshare/hashshare/internal/pdq"
)

// pdqMinDim is the smallest width and height PDQ hashes.
const pdqMinDim = 5

// perceive computes the perceptual hashes in want of the normalised image
// m, each on its own goroutine: PDQ and goimagehash's three hashes share
// nothing but m, which none of them writes. It fills r and returns the
// first failure.
func perceive(m *image.RGBA, want Set, opts *Options, r *Result) error {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	want &= perceptual
	if w == 0 || h == 0 {
		skip(r, want, NoPixels)
		return nil
	}
	if want.Has(PDQ) && (w < pdqMinDim || h < pdqMinDim) {
		skip(r, Of(PDQ), TooSmall)
		want &^= Of(PDQ)
	}

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs [NumAlgs]error
	)
	run := func(a Alg, d *time.Duration, f func() error) {
		if !want.Has(a) {
			return
		}
		wg.Go(func() {
			t := time.Now()
			err := guard(a, f)
			*d = time.Since(t)
			mu.Lock()
			errs[a] = err
			mu.Unlock()
		})
	}
	var pr pdq.Result
	run(PDQ, &r.Stages.PDQ, func() (err error) {
		pr, err = pdq.Options{Dihedral: opts.Dihedral, Resize512: opts.Resize512}.FromImage(m)
		return err
	})
	run(PHash, &r.Stages.PHash, func() (err error) { r.PHash, err = ghash(goimagehash.PerceptionHash, m); return err })
	run(DHash, &r.Stages.DHash, func() (err error) { r.DHash, err = ghash(goimagehash.DifferenceHash, m); return err })
	run(AHash, &r.Stages.AHash, func() (err error) { r.AHash, err = ghash(goimagehash.AverageHash, m); return err })
	wg.Wait()

	for a, err := range errs {
		if err != nil {
			return errorf(Internal, r.Format, err, "%s of %d×%d image", Alg(a), w, h)
		}
	}
	r.Done |= want
	if want.Has(PDQ) {
		r.PDQ, r.Quality = pr.Hash, pr.Quality
		if opts.Dihedral {
			d := pr.Dihedral
			r.Dihedral = &d
		}
		if r.Quality < MinPDQQuality {
			r.Weak |= Of(PDQ)
		}
	}
	if r.LumaStdDev < MinLumaStdDev {
		r.Weak |= want & Of(PHash, DHash, AHash)
	}
	return nil
}

// ghash runs one of goimagehash's 64-bit hashes. Its callers hand it only
// an opaque *image.RGBA at (0,0) with at least one pixel, which keeps
// goimagehash off its wrong-pixel and stale-buffer paths.
func ghash(f func(image.Image) (*goimagehash.ImageHash, error), m *image.RGBA) (uint64, error) {
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
// third-party hash takes the caller's process down.
func guard(a Alg, f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s panicked: %v", a, p)
		}
	}()
	return f()
}

func skip(r *Result, s Set, why string) {
	for a := range NumAlgs {
		if s.Has(a) && r.Skipped[a] == "" {
			r.Skipped[a] = why
		}
	}
}

// String returns the algorithm's name as hashdb spells it.
func (a Alg) String() string {
	if a < NumAlgs {
		return [...]string{"pdq", "phash", "dhash", "ahash", "md5", "sha1", "sha256"}[a]
	}
	return fmt.Sprintf("Alg(%d)", uint8(a))
}
