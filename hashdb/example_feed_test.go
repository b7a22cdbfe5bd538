package hashdb_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// Two collaborations of one exchange filed under one source: the end of
// each full fetch retracts only what its own feed delivered before and
// no longer lists.
func ExampleDB_FeedMembers() {
	dir, err := os.MkdirTemp("", "hashdb-example")
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

	item := func(id, hex string) hashdb.Item {
		s, err := signal.Parse("md5:" + hex)
		if err != nil {
			log.Fatal(err)
		}
		return hashdb.Item{Key: hashdb.Key{Source: "ncmec", ID: id}, Signals: []signal.Signal{s}, TLP: tlp.Amber}
	}
	// fullFetch applies a full fetch of one page of collab's items.
	fullFetch := func(collab string, items ...hashdb.Item) {
		a, err := db.Apply(ctx, &hashdb.Batch{
			Origin:        "fetch ncmec",
			Items:         items,
			Feed:          &hashdb.FeedState{API: "ncmec", Collab: collab, Source: "ncmec"},
			RetractUnseen: true,
			UnseenReason:  "no longer listed by ncmec",
		})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("full fetch of %s: %d items, %d retracted\n", collab, a.Items, a.Unseen)
	}
	fullFetch("esp", item("a1", "00000000000000000000000000000001"), item("a2", "00000000000000000000000000000002"))
	fullFetch("ngo", item("b1", "00000000000000000000000000000003"))
	fullFetch("esp", item("a1", "00000000000000000000000000000001")) // a2 is no longer listed

	for _, collab := range []string{"esp", "ngo"} {
		keys, err := db.FeedMembers("ncmec", collab)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(collab, "delivered", keys)
	}
	for it, err := range db.Items(ctx, hashdb.Filter{Source: "ncmec"}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("live:", it.Key)
	}
	// Output:
	// full fetch of esp: 2 items, 0 retracted
	// full fetch of ngo: 1 items, 0 retracted
	// full fetch of esp: 1 items, 1 retracted
	// esp delivered [ncmec/a1]
	// ngo delivered [ncmec/b1]
	// live: ncmec/a1
	// live: ncmec/b1
}
