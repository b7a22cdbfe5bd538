package replica_test

import (
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/hashshare/hashshare/hashdb/replica"
)

// FuzzParseManifest feeds ParseManifest arbitrary bytes, seeded with a
// manifest signed by the key the fuzzer verifies with: it never panics,
// every error wraps ErrManifest, and what it accepts re-signs and parses
// to the same manifest.
func FuzzParseManifest(f *testing.F) {
	seed := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	pub := seed.Public().(ed25519.PublicKey)
	m := &replica.Manifest{Producer: "acme", Seq: 7, Last: "ab", Created: time.Unix(1, 0).UTC(),
		Full:   replica.Blob{Name: "full/7.bundle", To: 5, SHA256: string(make64('a')), Size: 10},
		Deltas: []replica.Blob{{Name: "delta/5-7.bundle", From: 5, To: 7, SHA256: string(make64('b')), Size: 3}}}
	good, err := m.Sign(seed, "k1")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"manifest":{},"key_id":"k1","signature":""}`))
	f.Add([]byte(`{}`))
	keys := func(producer, keyID string) (ed25519.PublicKey, error) {
		if keyID != "k1" {
			return nil, errors.New("unknown key")
		}
		return pub, nil
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := replica.ParseManifest(data, keys)
		if err != nil {
			if !errors.Is(err, replica.ErrManifest) {
				t.Fatalf("error %v does not wrap ErrManifest", err)
			}
			return
		}
		again, err := m.Sign(seed, "k1")
		if err != nil {
			t.Fatalf("an accepted manifest does not re-sign: %v", err)
		}
		m2, err := replica.ParseManifest(again, keys)
		if err != nil || m2.Seq != m.Seq || m2.SetDigest != m.SetDigest || len(m2.Deltas) != len(m.Deltas) || m2.Full.Name != m.Full.Name || m2.Full.SHA256 != m.Full.SHA256 {
			t.Fatalf("re-signed manifest parses to %+v, %v; want %+v", m2, err, m)
		}
	})
}

func make64(c byte) []byte {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c
	}
	return b
}
