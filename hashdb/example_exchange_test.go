package hashdb_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// Two organisations exchange a signed bundle.
func ExampleDB_Export() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "hashshare-example")
	defer os.RemoveAll(dir)
	open := func(org string) *hashdb.DB {
		db, err := hashdb.Open(filepath.Join(dir, org+".db"), &hashdb.Options{Organization: org})
		if err != nil {
			panic(err)
		}
		return db
	}
	a, b := open("org-a"), open("org-b")
	defer a.Close()
	defer b.Close()

	// Org A's signing key, which org B trusts under the id "2025".
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	_ = a.AddPeer(ctx, hashdb.Peer{ID: "org-b"})
	_ = b.AddPeer(ctx, hashdb.Peer{
		ID:     "org-a",
		Keys:   []hashdb.PeerKey{{ID: "2025", Public: key.Public().(ed25519.PublicKey)}},
		Policy: hashdb.Policy{MaxTLP: tlp.Amber},
	})

	sig, _ := signal.Parse("md5:d41d8cd98f00b204e9800998ecf8427e")
	_ = a.Put(ctx, hashdb.Item{Key: hashdb.Key{ID: "case-1"}, Signals: []signal.Signal{sig}, TLP: tlp.Green})

	var bundle bytes.Buffer
	if _, err := a.Export(ctx, &bundle, hashdb.ExportOptions{Audience: "org-b", Full: true, KeyID: "2025", Signer: key}); err != nil {
		panic(err)
	}
	res, err := b.Import(ctx, &bundle, nil)
	if err != nil {
		panic(err)
	}
	items, _ := b.Lookup(sig)
	fmt.Println("imported", res.Entries, "entries from", res.Peer)
	fmt.Println("org B matches", items[0].Key)
	// Output:
	// imported 1 entries from org-a
	// org B matches org-a/case-1
}
