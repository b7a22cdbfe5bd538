package media_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashshare/hashshare/internal/media"
)

func ExampleHash() {
	r, err := media.Hash(context.Background(), strings.NewReader("hello, world\n"), nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("md5 %x, %d bytes\n", r.MD5, r.Size)
	fmt.Printf("pdq: %s\n", r.Skipped[media.PDQ])
	// Output:
	// md5 22c3683b094136c3398391ae71b20f04, 13 bytes
	// pdq: not an image
}
