package hashdb

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestKeyID(t *testing.T) {
	pub := keyA1.Public().(ed25519.PublicKey)
	// The first 8 bytes of SHA-256 of the 32-byte key: what "hashdb
	// keygen" has always printed, so ids of existing peers stay valid.
	sum := sha256.Sum256(pub)
	if got, want := KeyID(pub), hex.EncodeToString(sum[:8]); got != want {
		t.Fatalf("KeyID = %q, want %q", got, want)
	}
	if KeyID(pub) != KeyID(bytes.Clone(pub)) || KeyID(pub) == KeyID(keyA2.Public().(ed25519.PublicKey)) {
		t.Error("KeyID is not a function of the key alone")
	}
}

func TestSigningKeyPEM(t *testing.T) {
	k, err := GenerateSigningKey("org-a")
	if err != nil {
		t.Fatal(err)
	}
	data, err := k.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseSigningKey(data)
	if err != nil {
		t.Fatal(err)
	}
	if back.ID != k.ID || back.Organization != "org-a" || !back.Key.Equal(k.Key) {
		t.Errorf("round trip = %+v, want %+v", back, k)
	}
	if k.ID != KeyID(k.Key.Public().(ed25519.PublicKey)) {
		t.Errorf("generated key id %q is not KeyID of its key", k.ID)
	}

	// A PKCS #8 block without headers, as openssl writes it, gets the
	// derived id.
	der, _ := x509.MarshalPKCS8PrivateKey(keyA1)
	plain := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if k, err := ParseSigningKey(plain); err != nil || k.ID != KeyID(keyA1.Public().(ed25519.PublicKey)) || k.Organization != "" {
		t.Errorf("ParseSigningKey(openssl's form) = %+v, %v", k, err)
	}
}

func TestParseSigningKeyErrors(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	edDER, _ := x509.MarshalPKCS8PrivateKey(keyA1)
	block := func(typ string, der []byte, h map[string]string) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: typ, Headers: h, Bytes: der})
	}
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "not a PEM"},
		{"not PEM", "hello", "not a PEM"},
		{"public key block", string(block("PUBLIC KEY", edDER, nil)), "not a PEM"},
		{"garbage DER", string(block("PRIVATE KEY", []byte{1, 2, 3}, nil)), "invalid key"},
		{"ECDSA key", string(block("PRIVATE KEY", ecDER, nil)), "not an Ed25519 key"},
		{"bad organisation", string(block("PRIVATE KEY", edDER, map[string]string{"Organization": "Not An Org"})), "organisation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSigningKey([]byte(tc.data))
			if !errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseSigningKey = %v, want ErrInvalidKey mentioning %q", err, tc.want)
			}
			checkPrefix(t, err)
		})
	}
}

func TestParsePublicKey(t *testing.T) {
	pub := keyA1.Public().(ed25519.PublicKey)
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"hex", hex.EncodeToString(pub), true},
		{"hex upper case, spaces", "  " + strings.ToUpper(hex.EncodeToString(pub)) + "\n", true},
		{"base64", base64.StdEncoding.EncodeToString(pub), true},
		{"short hex", hex.EncodeToString(pub[:31]), false},
		{"private key", hex.EncodeToString(keyA1), false},
		{"empty", "", false},
		{"junk", "not a key", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePublicKey(tc.in)
			if tc.ok != (err == nil) {
				t.Fatalf("ParsePublicKey = %x, %v; want ok %v", got, err, tc.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrInvalidKey) {
					t.Errorf("error %v does not wrap ErrInvalidKey", err)
				}
				return
			}
			if !got.Equal(pub) {
				t.Errorf("ParsePublicKey = %x, want %x", got, pub)
			}
		})
	}
}

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
		{"ed25519 private key", keyA1, KeyID(pub)},
		{"signing key with its own id", &SigningKey{ID: "rotated-2026", Key: keyA1}, "rotated-2026"},
		{"signing key without an id", &SigningKey{Key: keyA1}, KeyID(pub)},
		{"key in a KMS", kmsKey{keyA1}, KeyID(pub)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := orgPair(t)
			if err := b.AddPeerKey(ctx, "org-a", PeerKey{ID: tc.keyID, Public: pub}); err != nil {
				t.Fatal(err)
			}
			if err := a.Put(ctx, orgItem("org-a", "x", 1, TLPGreen)); err != nil {
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

func FuzzParseSigningKey(f *testing.F) {
	k := &SigningKey{ID: "k1", Organization: "org-a", Key: keyA1}
	data, _ := k.MarshalPEM()
	f.Add(data)
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nKey-Id: x\n\nAAAA\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParseSigningKey(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("error %v does not wrap ErrInvalidKey", err)
			}
			return
		}
		again, err := k.MarshalPEM()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseSigningKey(again)
		if err != nil || back.ID != k.ID || back.Organization != k.Organization || !back.Key.Equal(k.Key) {
			t.Fatalf("re-parse = %+v, %v; want %+v", back, err, k)
		}
	})
}

func FuzzParsePublicKey(f *testing.F) {
	f.Add(hex.EncodeToString(keyA1.Public().(ed25519.PublicKey)))
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		pub, err := ParsePublicKey(s)
		if err == nil && len(pub) != ed25519.PublicKeySize {
			t.Fatalf("ParsePublicKey(%q) = %d bytes", s, len(pub))
		}
		if err != nil && !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("error %v does not wrap ErrInvalidKey", err)
		}
	})
}
