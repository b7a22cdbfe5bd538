package lists_test

import (
	"fmt"
	"io"
	"log"
	"strings"

	"github.com/hashshare/hashshare/hashdb/lists"
)

// A pytx local_file, as `tx dataset -P -S` writes it, read record by
// record: lines of no known type are skipped, with the reason, and the
// reading goes on.
func ExampleNewReader() {
	const file = `pdq f00df00df00df00df00df00df00df00df00df00df00df00df00df00df00df00d
video_md5 F00DF00DF00DF00DF00DF00DF00DF00D
url https://example.invalid/
`
	r, err := lists.NewReader(strings.NewReader(file), lists.Auto, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("format:", r.Format())
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		switch rec.Kind {
		case lists.Upsert:
			fmt.Printf("line %d: %s %v %s\n", rec.Line, rec.Kind, rec.Item.Signals, rec.Item.ContentType)
		case lists.Skip:
			fmt.Printf("line %d: %s: %s\n", rec.Line, rec.Kind, rec.Reason)
		}
	}
	// Output:
	// format: pytx
	// line 1: upsert [pdq:f00df00df00df00df00df00df00df00df00df00df00df00df00df00df00df00d] photo
	// line 2: upsert [md5:f00df00df00df00df00df00df00df00d] video
	// line 3: skip: unsupported type url
}
