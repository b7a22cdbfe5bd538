package bundle_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"

	"github.com/hashshare/hashshare/internal/bundle"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

func Example() {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	item := &pb.Item{
		Source:  "org-a",
		Id:      "case-1",
		Signals: []*pb.Signal{{Algorithm: pb.Algorithm_ALGORITHM_MD5, Value: make([]byte, 16)}},
		Tlp:     pb.TLP_TLP_GREEN,
	}

	// Org A writes a bundle for org B.
	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, &pb.Header{
		Producer: "org-a", KeyId: "2025-01", Kind: pb.BundleKind_BUNDLE_KIND_FULL, ToSeq: 1, Audience: "org-b",
	}, key, &bundle.WriterOptions{Gzip: true})
	if err != nil {
		panic(err)
	}
	if err := w.Write(&pb.Entry{Change: &pb.Entry_Upsert{Upsert: item}}); err != nil {
		panic(err)
	}
	var set bundle.SetDigest
	set.Add(bundle.ItemHash(item))
	sent, err := w.Close(set)
	if err != nil {
		panic(err)
	}

	// Org B reads it, trusting org A's key 2025-01.
	keys := func(producer, keyID string) (ed25519.PublicKey, error) {
		if producer == "org-a" && keyID == "2025-01" {
			return key.Public().(ed25519.PublicKey), nil
		}
		return nil, errors.New("not trusted")
	}
	r, err := bundle.NewReader(&buf, keys, nil)
	if err != nil {
		panic(err)
	}
	var staged []*pb.Entry // not trusted until Next returns io.EOF
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println("refused:", err)
			return
		}
		staged = append(staged, e)
	}
	fmt.Println("verified bundle from", r.Header().GetProducer(), "compressed:", r.Compressed())
	fmt.Println("entries:", len(staged), "first:", staged[0].GetUpsert().GetId())
	fmt.Println("same digest:", r.Digest() == sent, "same set:", r.SetDigest() == set)
	// Output:
	// verified bundle from org-a compressed: true
	// entries: 1 first: case-1
	// same digest: true same set: true
}
