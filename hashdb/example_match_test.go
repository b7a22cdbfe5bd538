package hashdb_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// Store two items, then match a signal received from elsewhere: a PDQ hash
// a few bits away from one of them, and an MD5 digest.
func ExampleDB_Match() {
	dir, err := os.MkdirTemp("", "hashdb-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := hashdb.Open(filepath.Join(dir, "hashes.db"), &hashdb.Options{Organization: "example-org"})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	ctx := context.Background()
	known, _ := signal.Parse("pdq:f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22")
	digest, _ := signal.Parse("md5:d41d8cd98f00b204e9800998ecf8427e")
	err = db.Put(ctx,
		hashdb.Item{Key: hashdb.Key{Source: "example-org", ID: "case-17"}, Signals: []signal.Signal{known}, Labels: []string{"behaviour:recruitment"}, TLP: tlp.Green},
		hashdb.Item{Key: hashdb.Key{Source: "example-org", ID: "case-18"}, Signals: []signal.Signal{digest}, Labels: []string{"type:pdf"}, TLP: tlp.Amber},
	)
	if err != nil {
		log.Fatal(err)
	}

	near, _ := signal.Parse("pdq:f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9bff")
	results, err := db.Match(ctx, []signal.Signal{near, digest}, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range results {
		for _, m := range r.Matches {
			fmt.Printf("%s: %s at distance %d, labels %v\n", r.Query.Algorithm(), m.Items[0].Key, m.Distance, m.Items[0].Labels)
		}
	}
	// Output:
	// pdq: example-org/case-17 at distance 6, labels [behaviour:recruitment]
	// md5: example-org/case-18 at distance 0, labels [type:pdf]
}

// Hash an upload under a service's own limits, match every signal of it
// (PDQ in all eight rotations and reflections), and answer in the JSON
// form the CLI and the match server print.
func ExampleDB_MatchHashes() {
	dir, err := os.MkdirTemp("", "hashdb-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := hashdb.Open(filepath.Join(dir, "hashes.db"), &hashdb.Options{Organization: "example-org"})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	ctx := context.Background()
	upload := []byte("%PDF-1.7 a leaflet")
	h, err := media.HashReader(ctx, bytes.NewReader(upload), &media.Options{MaxImageBytes: 32 << 20})
	if err != nil {
		log.Fatal(err)
	}
	md5, _ := h.Signal(signal.MD5)
	err = db.Put(ctx, hashdb.Item{Key: hashdb.Key{Source: "example-org", ID: "case-18"}, Signals: []signal.Signal{md5}, Labels: []string{"type:pdf"}, TLP: tlp.Amber})
	if err != nil {
		log.Fatal(err)
	}

	results, err := db.MatchHashes(ctx, h, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range results {
		if r.Matched() {
			b, _ := json.Marshal(r)
			fmt.Println(string(b))
		}
	}
	// Output:
	// {"query":"md5:6433d490f373b3a3ea386f499a8059fd","matches":[{"signal":"md5:6433d490f373b3a3ea386f499a8059fd","distance":0,"items":[{"source":"example-org","id":"case-18","labels":["type:pdf"],"tlp":"AMBER"}]}]}
}
