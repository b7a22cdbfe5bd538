package hashdb_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"path/filepath"
	"testing"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// The set digest an export records for its audience is the one the
// recipient holds after importing it; both are zero before.
func TestSetDigestsAgree(t *testing.T) {
	ctx, dir := context.Background(), t.TempDir()
	open := func(org string) *hashdb.DB {
		db, err := hashdb.Open(filepath.Join(dir, org+".db"), &hashdb.Options{Organization: org})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open("org-a"), open("org-b")
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	if err := b.AddPeer(ctx, hashdb.Peer{ID: "org-a", Keys: []hashdb.PeerKey{{ID: "k", Public: key.Public().(ed25519.PublicKey)}}, Policy: hashdb.Policy{MaxTLP: tlp.Green}}); err != nil {
		t.Fatal(err)
	}
	zero := [32]byte{}
	if d, err := a.SentSetDigest(""); err != nil || d != zero {
		t.Fatalf("sent digest before any export: %x, %v", d, err)
	}
	if d, err := b.ReceivedSetDigest("org-a"); err != nil || d != zero {
		t.Fatalf("received digest before any import: %x, %v", d, err)
	}
	sig, _ := signal.Parse("md5:d41d8cd98f00b204e9800998ecf8427e")
	if err := a.Put(ctx, hashdb.Item{Key: hashdb.Key{ID: "x"}, Signals: []signal.Signal{sig}, TLP: tlp.Green}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := a.Export(ctx, &buf, hashdb.ExportOptions{Full: true, KeyID: "k", Signer: key}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Import(ctx, &buf, nil); err != nil {
		t.Fatal(err)
	}
	sent, err := a.SentSetDigest("")
	if err != nil || sent == zero {
		t.Fatalf("sent digest after an export: %x, %v", sent, err)
	}
	if got, err := b.ReceivedSetDigest("org-a"); err != nil || got != sent {
		t.Errorf("received digest %x (%v), sent %x", got, err, sent)
	}
}
