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

// An exporter encodes each item once, for both its hash and its frame. An
// importer stages the frames without decoding them, and decodes and checks
// each once the bundle has verified.
func ExampleReader_NextFrame() {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, &pb.Header{
		Producer: "org-a", KeyId: "2025-01", Kind: pb.BundleKind_BUNDLE_KIND_FULL, ToSeq: 2,
	}, key, nil)
	if err != nil {
		panic(err)
	}
	var set bundle.SetDigest
	var frame []byte // reused for every item
	for _, id := range []string{"case-1", "case-2"} {
		item := &pb.Item{
			Source:  "org-a",
			Id:      id,
			Signals: []*pb.Signal{{Algorithm: pb.Algorithm_ALGORITHM_MD5, Value: make([]byte, 16)}},
			Tlp:     pb.TLP_TLP_GREEN,
		}
		var hash [32]byte
		if frame, hash, err = w.AppendUpsert(frame[:0], item); err != nil {
			panic(err)
		}
		set.Add(hash)
		if err := w.WriteFrame(frame); err != nil {
			panic(err)
		}
	}
	if _, err := w.Close(set); err != nil {
		panic(err)
	}

	keys := func(string, string) (ed25519.PublicKey, error) { return key.Public().(ed25519.PublicKey), nil }
	r, err := bundle.NewReader(&buf, keys, nil)
	if err != nil {
		panic(err)
	}
	var staged [][]byte // a spool file, for a large bundle
	for {
		f, err := r.NextFrame()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println("refused:", err)
			return
		}
		staged = append(staged, bytes.Clone(f))
	}
	// The bundle is signed; its entries are checked as they are decoded,
	// under the limits it was read with.
	for _, f := range staged {
		e, err := bundle.DecodeFrame(f, nil)
		if err != nil {
			fmt.Println("refused:", err)
			return
		}
		fmt.Println(e.GetUpsert().GetId())
	}
	fmt.Println("same set:", r.SetDigest() == set)
	// Output:
	// case-1
	// case-2
	// same set: true
}
