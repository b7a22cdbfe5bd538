package hashdb_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/hashshare/hashshare/hashdb"
)

// An application keeps its configuration with the database under a
// prefix of its own, so that it survives a restart and stays out of what
// partners receive.
func ExampleDB_PutSetting() {
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
	for _, name := range []string{"myapp/feed/B", "myapp/feed/A", "other/x"} {
		if err := db.PutSetting(ctx, name, []byte(`{"enabled": true}`)); err != nil {
			log.Fatal(err)
		}
	}
	settings, err := db.Settings("myapp/feed/")
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range settings {
		fmt.Println(s.Name, string(s.Value))
	}
	// Output:
	// myapp/feed/A {"enabled": true}
	// myapp/feed/B {"enabled": true}
}
