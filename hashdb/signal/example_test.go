package signal_test

import (
	"errors"
	"fmt"

	"github.com/hashshare/hashshare/hashdb/signal"
)

func ExampleParse() {
	a, _ := signal.Parse("pdq:f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22")
	b, _ := signal.Parse("PDQ:F8F8F0CEE0F4A84F06370A22038F63F0B36E2ED596621E1D33E6B39C4E9C9B23")
	d, _ := a.Distance(b)
	fmt.Println(b)
	fmt.Println("distance:", d, "match:", d <= signal.PDQ.DefaultThreshold())

	_, err := signal.Parse("phash:d1c4b0b0")
	fmt.Println(errors.Is(err, signal.ErrInvalid), err)

	m, _ := signal.Parse("md5:d41d8cd98f00b204e9800998ecf8427e")
	_, err = a.Distance(m)
	fmt.Println(err)
	// Output:
	// pdq:f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b23
	// distance: 1 match: true
	// true invalid signal: phash: 8 characters, want 16 hex digits
	// signals are not comparable: pdq and md5 are different algorithms
}
