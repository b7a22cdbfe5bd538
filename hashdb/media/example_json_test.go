package media_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashshare/hashshare/hashdb/media"
)

// The JSON form of hashes, as "hashdb hash --json" prints it; embed
// media.JSON to add keys of your own beside it.
func ExampleHashes_MarshalJSON() {
	h, err := media.HashReader(context.Background(), strings.NewReader("hello"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := json.Marshal(h)
	fmt.Println(string(b))

	line, _ := json.Marshal(struct {
		File string `json:"file"`
		media.JSON
	}{"greeting.txt", h.JSON()})
	fmt.Println(string(line))
	// Output:
	// {"md5":"5d41402abc4b2a76b9719d911017c592","sha1":"aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d","sha256":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","size":5}
	// {"file":"greeting.txt","md5":"5d41402abc4b2a76b9719d911017c592","sha1":"aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d","sha256":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","size":5}
}

// Each of the eight rotations and reflections prints as the PDQ
// reference names it.
func ExampleTransform() {
	for t := media.Original; t <= media.FlipMinus1; t++ {
		fmt.Print(t, " ")
	}
	fmt.Println()
	// Output:
	// original rot90 rot180 rot270 flipx flipy flipplus1 flipminus1
}
