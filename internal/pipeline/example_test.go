package pipeline_test

import (
	"fmt"
	"strings"

	"github.com/hashshare/hashshare/internal/pipeline"
)

// Words are upper-cased on the worker while the caller reads the next and
// prints the results, in order.
func ExampleOrdered() {
	words := strings.Fields("decode on the worker write in order")
	type job struct{ in, out string }
	i := 0
	next := func() (job, bool) {
		if i == len(words) {
			return job{}, false
		}
		i++
		return job{in: words[i-1]}, true
	}
	p := pipeline.New(2, 2, next, func(b []job) {
		for j := range b {
			b[j].out = strings.ToUpper(b[j].in)
		}
	})
	defer p.Close()
	for b := p.Next(); b != nil; b = p.Next() {
		for _, j := range b {
			fmt.Print(j.out, " ")
		}
	}
	fmt.Println()
	// Output: DECODE ON THE WORKER WRITE IN ORDER
}
