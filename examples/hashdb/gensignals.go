//go:build ignore

// gensignals writes a deterministic --signals file for benchmarks (see
// bench.sh): -n items, each a pdq line and an md5 line with the same item
// id, the lines of an item consecutive as "hashdb hash" prints them. With
// -interleave the md5 lines all follow the pdq lines instead, so that every
// id recurs far apart (the worst case for grouping).
//
//	go run ./examples/hashdb/gensignals.go -n 1000000 >signals.txt
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
)

// splitmix64 is a deterministic stream of well-mixed 64-bit values.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func main() {
	n := flag.Int("n", 1000000, "number of items")
	interleave := flag.Bool("interleave", false, "write every pdq line, then every md5 line")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 1<<16)
	pdq := func(i int) {
		x := uint64(i) * 8
		fmt.Fprintf(w, "pdq:%016x%016x%016x%016x\titem-%07d\ttype:image\n",
			splitmix64(x), splitmix64(x+1), splitmix64(x+2), splitmix64(x+3), i)
	}
	md5 := func(i int) {
		x := uint64(i)*8 + 4
		fmt.Fprintf(w, "md5:%016x%016x\titem-%07d\n", splitmix64(x), splitmix64(x+1), i)
	}
	if *interleave {
		for i := range *n {
			pdq(i)
		}
		for i := range *n {
			md5(i)
		}
	} else {
		for i := range *n {
			pdq(i)
			md5(i)
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
