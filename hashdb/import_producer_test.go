package hashdb

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hashshare/hashshare/hashdb/tlp"
)

// TestImportProducer checks ImportOptions.Producer: a bundle from another
// peer is refused and changes nothing; one from the named peer is taken.
func TestImportProducer(t *testing.T) {
	a, b := orgPair(t)
	ctx := context.Background()
	if err := a.Put(ctx, orgItem("org-a", "x", 1, tlp.Green)); err != nil {
		t.Fatal(err)
	}
	bundle, _ := exportTo(t, a, true, false)
	before := snapshot(t, b)
	_, err := b.Import(ctx, bytes.NewReader(bundle), &ImportOptions{TempDir: t.TempDir(), Producer: "org-c"})
	if !errors.Is(err, ErrUnknownPeer) || !strings.Contains(err.Error(), `only "org-c"`) {
		t.Fatalf("a bundle from another producer: %v", err)
	}
	if snapshot(t, b) != before {
		t.Fatal("the refused import changed the database")
	}
	res, err := b.Import(ctx, bytes.NewReader(bundle), &ImportOptions{TempDir: t.TempDir(), Producer: "org-a"})
	if err != nil || res.Peer != "org-a" || res.Entries != 1 {
		t.Fatalf("the named producer's bundle: %+v, %v", res, err)
	}
}
