package feeds_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/feeds"
)

// Fetch StopNCII's hashes into a database from a loopback server
// answering as StopNCII does: one active hash, one withdrawn.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Ocp-Apim-Subscription-Key") != "sub" {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"count": 2, "nextSetTimestamp": 1700000200, "nextPageToken": null, "hasMoreRecords": false,
		  "hashRecords": [
		    {"lastModtimestamp": 1700000000, "signalType": "ImagePDQ", "hashStatus": "Active",
		     "hashValue": "f00df00df00df00df00df00df00df00df00df00df00df00df00df00df00df00d"},
		    {"lastModtimestamp": 1700000100, "signalType": "VideoMD5", "hashStatus": "Withdrawn",
		     "hashValue": "f00df00df00df00df00df00df00df00d"}]}`)
	}))
	defer srv.Close()

	dir, err := os.MkdirTemp("", "feeds")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := hashdb.Open(filepath.Join(dir, "example.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	feed := &feeds.StopNCII{SubscriptionKey: "sub", FunctionKey: "fn", BaseURL: srv.URL}
	sum, err := feeds.Fetch(context.Background(), db, feed, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("items %d, deletes of unknown items %d, checkpoint %s\n", sum.Items, sum.Skipped["delete of unknown item"], sum.Checkpoint)
	st, err := db.FeedState("stopncii", "")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("stored: checkpoint %s after %d page\n", st.Checkpoint, st.Pages)
	// Output:
	// items 1, deletes of unknown items 1, checkpoint 1700000200
	// stored: checkpoint 1700000200 after 1 page
}
