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

func Example() {
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

	pdq, _ := signal.Parse("pdq:f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22")
	md5, _ := signal.Parse("md5:d41d8cd98f00b204e9800998ecf8427e")
	ctx := hashdb.WithActor(context.Background(), "analyst-1")
	err = db.Put(ctx, hashdb.Item{
		Key:     hashdb.Key{ID: "video-1234"}, // Source defaults to example-org
		Signals: []signal.Signal{pdq, md5},
		Labels:  []string{"type:video", "behaviour:recruitment"},
		TLP:     tlp.Amber,
	})
	if err != nil {
		log.Fatal(err)
	}

	items, err := db.Lookup(pdq)
	if err != nil {
		log.Fatal(err)
	}
	for _, it := range items {
		fmt.Println(it.Key, it.TLP, it.Labels)
	}

	if err := db.Retract(ctx, hashdb.Key{Source: "example-org", ID: "video-1234"}, "duplicate"); err != nil {
		log.Fatal(err)
	}
	items, _ = db.Lookup(pdq)
	fmt.Println("matches after retraction:", len(items))

	for c, err := range db.Changes(ctx, 0) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(c.Seq, c.Kind, c.Key, c.Actor)
	}
	// Output:
	// example-org/video-1234 AMBER [behaviour:recruitment type:video]
	// matches after retraction: 0
	// 1 add example-org/video-1234 analyst-1
	// 2 retract example-org/video-1234 analyst-1
}

func ExampleDB_Check() {
	dir, _ := os.MkdirTemp("", "hashdb-example")
	defer os.RemoveAll(dir)
	db, err := hashdb.Open(filepath.Join(dir, "hashes.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	problems, err := db.Check(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("problems:", len(problems))
	// Output:
	// problems: 0
}
