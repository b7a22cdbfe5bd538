package pdq

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// The feature thresholded at its median is the 64×64 frame's PDQ hash.
func TestFloat256FromRGB24IsPDQBeforeThreshold(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		pix := make([]byte, 64*64*3)
		for i := range pix {
			pix[i] = byte(rng.IntN(256))
		}
		var f, sorted [256]float32
		if err := Float256FromRGB24(pix, &f); err != nil {
			t.Fatal(err)
		}
		r, err := FromRGB24(pix, 64, 64, 192)
		if err != nil {
			t.Fatal(err)
		}
		if got := toBits(&f, &sorted); got != r.Hash {
			t.Fatalf("thresholded feature %v, PDQ %v", got, r.Hash)
		}
	}
	var f [256]float32
	if err := Float256FromRGB24(make([]byte, 100), &f); !errors.Is(err, ErrRGB24Size) {
		t.Fatalf("short buffer: %v", err)
	}
}
