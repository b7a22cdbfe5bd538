package hashdb

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/internal/bundle"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// bundleOf writes a FULL bundle from org-a to org-b of items, signed with
// key.
func bundleOf(t *testing.T, key ed25519.PrivateKey, items []Item, gz bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	h := &pb.Header{Producer: "org-a", KeyId: "k1", Kind: pb.BundleKind_BUNDLE_KIND_FULL, ToSeq: uint64(len(items)), Audience: "org-b"}
	w, err := bundle.NewWriter(&buf, h, key, &bundle.WriterOptions{Gzip: gz})
	if err != nil {
		t.Fatal(err)
	}
	c := new(coder)
	var set bundle.SetDigest
	for i := range items {
		p := c.itemProto(&items[i])
		p.Source, p.Id = items[i].Source, items[i].ID
		if err := w.Write(&pb.Entry{Change: &pb.Entry_Upsert{Upsert: p}}); err != nil {
			t.Fatal(err)
		}
		set.Add(bundle.ItemHash(p))
	}
	if _, err := w.Close(set); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// forgedBundle writes a bundle that names org-a and its key id k1 (both
// public) but is signed with key: n items of about 200 bytes.
func forgedBundle(t *testing.T, key ed25519.PrivateKey, n int, gz bool) []byte {
	t.Helper()
	items := make([]Item, n)
	for i := range items {
		items[i] = orgItem("org-a", fmt.Sprintf("forged-%07d", i), i, tlp.Green)
		items[i].Note = "a forged item, padded to look like a real one's note"
	}
	return bundleOf(t, key, items, gz)
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestForgedBundleCostsLittle replays the attack of issue #18: a bundle
// naming a known producer and key id but signed by someone else was read
// and staged to its end before its signature was checked, so a small gzip
// stream cost its recipient gigabytes of temporary files. Now it is
// refused at its first seal.
func TestForgedBundleCostsLittle(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 20 MB bundle")
	}
	_, b := orgPair(t)
	forged := forgedBundle(t, keyX, 100_000, false) // ~20 MB, sealed every 4 MiB
	if len(forged) < 4*bundle.SealInterval {
		t.Fatalf("the forged bundle is only %d bytes", len(forged))
	}
	before := snapshot(t, b)
	tmp := t.TempDir()
	src := &countingReader{r: bytes.NewReader(forged)}
	_, err := b.Import(context.Background(), src, &ImportOptions{TempDir: tmp})
	if !errors.Is(err, ErrSignature) {
		t.Fatalf("forged bundle: %v, want ErrSignature", err)
	}
	t.Logf("refused after reading %d of the forged bundle's %d bytes", src.n, len(forged))
	if limit := int64(bundle.SealInterval + 1<<20 + 256<<10); src.n > limit {
		t.Errorf("read %d of the forged bundle's %d bytes before refusing it, want at most %d", src.n, len(forged), limit)
	}
	if after := snapshot(t, b); after != before {
		t.Error("the forged bundle changed the database")
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the import left %d files in its temporary directory", len(left))
	}
	// The same bundle, signed by A's key, imports.
	res, err := b.Import(context.Background(), bytes.NewReader(forgedBundle(t, keyA1, 100_000, true)), &ImportOptions{TempDir: tmp})
	if err != nil || res.Entries != 100_000 {
		t.Fatalf("the genuine bundle: %+v, %v", res, err)
	}
}

// TestFullBundleDuplicate checks a FULL bundle that holds one item twice
// is refused naming the item, not as a diverged set.
func TestFullBundleDuplicate(t *testing.T) {
	_, b := orgPair(t)
	twice := bundleOf(t, keyA1, []Item{orgItem("org-a", "twice", 1, tlp.Green), orgItem("org-a", "twice", 2, tlp.Green)}, false)
	before := snapshot(t, b)
	_, err := b.Import(context.Background(), bytes.NewReader(twice), &ImportOptions{TempDir: t.TempDir()})
	if !errors.Is(err, ErrMalformed) || errors.Is(err, ErrDiverged) || !bytes.Contains([]byte(err.Error()), []byte("org-a/twice twice")) {
		t.Errorf("a full bundle holding an item twice: %v", err)
	}
	if snapshot(t, b) != before {
		t.Error("the refused bundle changed the database")
	}
}
