package store_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"github.com/hashshare/hashshare/internal/store"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// A staged write commits every few records, yet readers see nothing of it
// until it ends; had it failed, Rollback would have undone it.
func ExampleTx() {
	dir, err := os.MkdirTemp("", "store-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := bolt.Open(filepath.Join(dir, "example.db"), 0o600, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { return store.Create(tx, &pb.Meta{}) }); err != nil {
		log.Fatal(err)
	}

	seen := func() int {
		n := 0
		_ = db.View(func(tx *bolt.Tx) error {
			v, err := store.NewView(tx)
			if err != nil {
				return err
			}
			c := v.Cursor(store.BucketOpinions)
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				n++
			}
			return nil
		})
		return n
	}
	tx, err := store.Begin(db, store.Options{Staged: true, Chunk: 2, AfterCommit: func() {
		fmt.Println("intermediate commit; a reader sees", seen(), "records")
	}})
	if err != nil {
		log.Fatal(err)
	}
	defer tx.Discard()
	ops := tx.Undoable(store.BucketOpinions)
	for i := range 3 {
		if err := ops.Put(fmt.Appendf(nil, "k%d", i), []byte("v")); err != nil {
			log.Fatal(err)
		}
		if _, err := tx.Step(); err != nil { // the handle stays valid
			log.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("committed; a reader sees", seen(), "records")
	// Output:
	// intermediate commit; a reader sees 0 records
	// intermediate commit; a reader sees 0 records
	// intermediate commit; a reader sees 0 records
	// committed; a reader sees 3 records
}
