package hashdb_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// A bank groups the local organisation's items under its label; the
// item's number names it in a short integer, and its local state can
// switch it off for a while.
func ExampleDB_CreateBank() {
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

	bank := hashdb.Bank{Name: "EXAMPLE_BANK", MatchRatio: 1}
	if err := db.CreateBank(ctx, bank); err != nil {
		log.Fatal(err)
	}
	pdq, _ := signal.Parse("pdq:f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22")
	key := hashdb.Key{ID: "case-1"}
	err = db.Put(ctx, hashdb.Item{Key: key, Signals: []signal.Signal{pdq}, Labels: []string{bank.Label()}, TLP: tlp.Amber})
	if err != nil {
		log.Fatal(err)
	}
	nums, err := db.Numbers(hashdb.Key{Source: "example-org", ID: "case-1"})
	if err != nil {
		log.Fatal(err)
	}
	if err := db.SetLocalState(ctx, nums[0], hashdb.LocalState{Disabled: true}); err != nil {
		log.Fatal(err)
	}
	it, _ := db.GetNumber(nums[0])
	st, _ := db.LocalStates(nums[0])
	name, _ := hashdb.BankOfLabel(it.Labels[0])
	fmt.Println(nums[0], it.ID, name, st[0].DisabledAt(time.Now()))
	// Output: 1 case-1 EXAMPLE_BANK true
}
