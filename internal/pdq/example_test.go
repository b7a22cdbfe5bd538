package pdq_test

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/hashshare/hashshare/internal/pdq"
)

// card draws a deterministic 240×160 test image of smooth colour waves,
// mirrored left to right when mirror is set.
func card(mirror bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 240, 160))
	for y := 0; y < 160; y++ {
		for x := 0; x < 240; x++ {
			fx, fy := float64(x), float64(y)
			if mirror {
				fx = 239 - fx
			}
			// Explicit conversions keep arm64 from fusing into FMA, so the
			// pixels (and the output below) are the same everywhere.
			v := 128 + float64(60*math.Sin(fx/17)*math.Cos(fy/11)) + float64(50*math.Sin(float64(fx+float64(2*fy))/29))
			img.SetNRGBA(x, y, color.NRGBA{uint8(v), uint8(255 - v), uint8(fx), 255})
		}
	}
	return img
}

func Example() {
	r, err := pdq.FromImage(card(false))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Hash, r.Quality)

	// The dihedral hashes predict the hashes of rotated and mirrored
	// copies, up to a few bits of resampling difference.
	d, _ := pdq.Options{Dihedral: true}.FromImage(card(false))
	m, _ := pdq.FromImage(card(true))
	fmt.Println(m.Hash.Distance(d.Dihedral[pdq.FlipY]))
	// Output:
	// 000cdff6000cdff2000cfff2000cfff2000cfff2000efff2fff4aaa9aaf3aa89 31
	// 6
}
