package testimage_test

import (
	"fmt"

	"github.com/hashshare/hashshare/internal/testimage"
)

// The same seed draws the same picture, so a test's expected hashes stay
// put; another seed draws an unrelated one.
func ExamplePhoto() {
	a, b, c := testimage.Photo(64, 48, 1), testimage.Photo(64, 48, 1), testimage.Photo(64, 48, 2)
	fmt.Println(a.Bounds().Dx(), a.Bounds().Dy(), string(a.Pix) == string(b.Pix), string(a.Pix) == string(c.Pix))
	// Output: 64 48 true false
}
