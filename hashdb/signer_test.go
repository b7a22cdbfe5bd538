package hashdb

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"io"
	"testing"

	"github.com/hashshare/hashshare/hashdb/signing"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// kmsKey stands for a key held in an HSM or a KMS: a crypto.Signer that
// hashdb cannot look inside.
type kmsKey struct{ priv ed25519.PrivateKey }

func (k kmsKey) Public() crypto.PublicKey { return k.priv.Public() }
func (k kmsKey) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	return k.priv.Sign(r, d, o)
}

// TestExportSigners exports through each kind of signer with no KeyID and
// checks that a peer trusting the key under its default id imports it.
func TestExportSigners(t *testing.T) {
	ctx := context.Background()
	pub := keyA1.Public().(ed25519.PublicKey)
	tests := []struct {
		name   string
		signer crypto.Signer
		keyID  string // the id the recipient knows the key by
	}{
		{"ed25519 private key", keyA1, signing.KeyID(pub)},
		{"signing key with its own id", &signing.Key{ID: "rotated-2026", Key: keyA1}, "rotated-2026"},
		{"signing key without an id", &signing.Key{Key: keyA1}, signing.KeyID(pub)},
		{"key in a KMS", kmsKey{keyA1}, signing.KeyID(pub)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := orgPair(t)
			if err := b.AddPeerKey(ctx, "org-a", PeerKey{ID: tc.keyID, Public: pub}); err != nil {
				t.Fatal(err)
			}
			if err := a.Put(ctx, orgItem("org-a", "x", 1, tlp.Green)); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := a.Export(ctx, &buf, ExportOptions{Audience: "org-b", Full: true, Signer: tc.signer}); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Import(ctx, &buf, &ImportOptions{TempDir: t.TempDir()}); err != nil {
				t.Fatalf("import: %v", err)
			}
		})
	}
}
