package bundle

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"io"
	"testing"
)

// hsmKey stands for a key held elsewhere: a crypto.Signer that is not an
// ed25519.PrivateKey.
type hsmKey struct {
	priv ed25519.PrivateKey
	pure bool // sign plain Ed25519, ignoring the options: a broken signer
}

func (k hsmKey) Public() crypto.PublicKey { return k.priv.Public() }

func (k hsmKey) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if k.pure {
		return ed25519.Sign(k.priv, digest), nil
	}
	return k.priv.Sign(r, digest, opts)
}

func TestSigners(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tests := []struct {
		name      string
		key       crypto.Signer
		newErr    error // from NewWriter
		closeFail bool
	}{
		{"ed25519 private key", testKey, nil, false},
		{"another crypto.Signer", hsmKey{priv: testKey}, nil, false},
		{"signer ignoring the options", hsmKey{priv: testKey, pure: true}, nil, true},
		{"short private key", testKey[:10], ErrInvalid, false},
		{"nil signer", nil, ErrInvalid, false},
		{"ECDSA signer", ec, ErrInvalid, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, testHeader(), tc.key, nil)
			if tc.newErr != nil {
				if !errors.Is(err, tc.newErr) {
					t.Fatalf("NewWriter = %v, want %v", err, tc.newErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range testEntries() {
				if err := w.Write(e); err != nil {
					t.Fatal(err)
				}
			}
			_, err = w.Close(SetDigest{})
			if tc.closeFail {
				if err == nil {
					t.Fatal("Close accepted a signature that does not verify")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := readAll(buf.Bytes(), nil); err != nil {
				t.Errorf("reading the bundle back: %v", err)
			}
		})
	}
}
