package tmk_test

import (
	"fmt"

	"github.com/hashshare/hashshare/hashdb/tmk"
)

func Example() {
	h := &tmk.Hash{Frames: 1, Periods: tmk.Periods, Coefficients: tmk.Coefficients}
	h.Average[0] = 1
	s := h.String()
	back, err := tmk.ParseString(s)
	if err != nil {
		fmt.Println(err)
		return
	}
	file, _ := back.MarshalBinary()
	fmt.Println(s[:13], len(s), len(file), back.Frames)
	// Output: TMK1FVECPDQF| 351125 263344 1
}
