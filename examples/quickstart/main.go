// Command quickstart is the README's first program. For now it shows the
// part of hashshare that exists: parsing signals in the ecosystem's string
// forms and comparing them. It grows into the full job — hash, store, match —
// as those parts land.
package main

import (
	"fmt"
	"os"

	"github.com/hashshare/hashshare/hashdb"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run() error {
	known, err := hashdb.ParseSignal("pdq:f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22")
	if err != nil {
		return err
	}
	queries := []string{
		"pdq:f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b23",
		"pdq:0707f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
		"pdq:07070f311f0b57b0f9c8f5ddfc709c0f4c91d12a699de1e2cc194c63b16364dd",
	}
	fmt.Println("known:", known)
	for _, q := range queries {
		s, err := hashdb.ParseSignal(q)
		if err != nil {
			return err
		}
		d, err := known.Distance(s)
		if err != nil {
			return err
		}
		verdict := "no match"
		if d <= hashdb.PDQ.DefaultThreshold() {
			verdict = "match"
		}
		fmt.Printf("query %s  distance %3d  %s\n", s.Hex(), d, verdict)
	}
	fmt.Println("parsed and compared 3 PDQ signals against one known signal (threshold", hashdb.PDQ.DefaultThreshold(), "bits); hashing and the database are not built yet")
	return nil
}
