package replica_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"

	"gocloud.dev/blob/memblob"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/replica"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/signing"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// A primary publishes to a bucket (mem:// here; s3://, gs://, azblob://
// or file:// in production) and a replica follows it.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "hashshare-replica-example")
	defer os.RemoveAll(dir)
	open := func(org string) *hashdb.DB {
		db, err := hashdb.Open(filepath.Join(dir, org+".db"), &hashdb.Options{Organization: org})
		if err != nil {
			panic(err)
		}
		return db
	}
	primary, copy := open("acme"), open("matcher-eu-1")
	defer primary.Close()
	defer copy.Close()
	key, _ := signing.GenerateKey("acme")
	_ = copy.AddPeer(ctx, hashdb.Peer{ID: "acme", Keys: []hashdb.PeerKey{{ID: key.ID, Public: key.Key.Public().(ed25519.PublicKey)}},
		Policy: hashdb.Policy{MaxTLP: tlp.Green}})

	bucket := memblob.OpenBucket(nil)
	defer bucket.Close()
	pub, _ := replica.NewPublisher(primary, bucket, replica.PublisherOptions{Signer: key, FullEvery: 16})
	follow, _ := replica.NewFollower(copy, bucket, replica.FollowerOptions{Peer: "acme"})

	sig, _ := signal.Parse("md5:d41d8cd98f00b204e9800998ecf8427e")
	for i, id := range []string{"case-1", "case-2"} {
		_ = primary.Put(ctx, hashdb.Item{Key: hashdb.Key{ID: id}, Signals: []signal.Signal{sig}, TLP: tlp.Green})
		res, err := pub.Publish(ctx)
		if err != nil {
			panic(err)
		}
		st, err := follow.Sync(ctx)
		if err != nil {
			panic(err)
		}
		fmt.Printf("publish %d: full %v, delta %v; replica at %d of %d, current %v, %d full + %d deltas applied\n",
			i+1, res.Full.Name != "", res.Delta.Name != "", st.Seq, res.Manifest.Seq, st.Current, st.Fulls, st.Deltas)
	}
	items, _ := copy.Lookup(sig)
	fmt.Println("the replica matches", len(items), "items")
	// Output:
	// publish 1: full true, delta false; replica at 1 of 1, current true, 1 full + 0 deltas applied
	// publish 2: full false, delta true; replica at 2 of 2, current true, 0 full + 1 deltas applied
	// the replica matches 2 items
}
