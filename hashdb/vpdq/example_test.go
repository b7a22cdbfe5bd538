package vpdq_test

import (
	"fmt"
	"os"

	"github.com/hashshare/hashshare/hashdb/vpdq"
)

// Two hashes in pytx's string form, compared by pytx's rule and by the
// C++ reference's: the second video repeats one frame of the first and
// adds a frame at distance 31, which only pytx counts (≤ 31, not < 31).
func Example() {
	const (
		a = "f00df00df00df00df00df00df00df00df00df00df00df00df00df00df00df00d"
		b = "c0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0de"
		// c is a with its 31 lowest bits flipped: distance 31.
		c = "f00df00df00df00df00df00df00df00df00df00df00df00df00df00d8ff20ff2"
	)
	q, err := vpdq.Parse(`vpdq:["` + a + `,100,0.0", "` + b + `,100,1.0"]`)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, _ := vpdq.ParseCPP([]byte("0,100," + a + ",0.000\n30,100," + c + ",1.000\n60,20," + b + ",2.000\n"))
	for _, rule := range []vpdq.Rule{vpdq.PyTX, vpdq.CPP} {
		r := vpdq.Compare(q, v, &vpdq.CompareOptions{Rule: rule})
		fmt.Printf("%s: query %.0f%%, compared %.0f%%, match %v\n", rule, r.QueryPercent, r.ComparedPercent, r.Match)
	}
	fmt.Println(v)
	_ = v.WriteCPP(os.Stdout)
	// Output:
	// pytx: query 50%, compared 100%, match false
	// cpp: query 50%, compared 50%, match false
	// vpdq:["f00df00df00df00df00df00df00df00df00df00df00df00df00df00df00df00d,100,0.0", "f00df00df00df00df00df00df00df00df00df00df00df00df00df00d8ff20ff2,100,1.0", "c0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0de,20,2.0"]
	// 0,100,f00df00df00df00df00df00df00df00df00df00df00df00df00df00df00df00d,0.000
	// 30,100,f00df00df00df00df00df00df00df00df00df00df00df00df00df00d8ff20ff2,1.000
	// 60,20,c0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0de,2.000
}
