package tlp_test

import (
	"fmt"

	"github.com/hashshare/hashshare/hashdb/tlp"
)

func ExampleParse() {
	t, err := tlp.Parse("tlp:amber+strict")
	fmt.Println(t, err, t > tlp.Green)
	old, _ := tlp.Parse("WHITE") // TLP 1.0
	fmt.Println(old)
	_, err = tlp.Parse("purple")
	fmt.Println(err)
	// Output:
	// AMBER+STRICT <nil> true
	// CLEAR
	// invalid TLP: "purple" (want CLEAR, GREEN, AMBER, AMBER+STRICT or RED)
}
