package signing

import (
	"bytes"
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
	"strings"
	"testing"
)

var (
	keyA1 = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	keyA2 = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, 32))
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
	k, err := GenerateKey("org-a")
	if err != nil {
		t.Fatal(err)
	}
	data, err := k.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseKey(data)
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
	if k, err := ParseKey(plain); err != nil || k.ID != KeyID(keyA1.Public().(ed25519.PublicKey)) || k.Organization != "" {
		t.Errorf("ParseKey(openssl's form) = %+v, %v", k, err)
	}
}

func TestParseKeyErrors(t *testing.T) {
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
		{"bad key id", string(block("PRIVATE KEY", edDER, map[string]string{"Key-Id": strings.Repeat("x", 300)})), "key id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseKey([]byte(tc.data))
			if !errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseKey = %v, want ErrInvalidKey mentioning %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "signing: ") || strings.Count(err.Error(), "signing:") != 1 {
				t.Errorf("error %q: want the prefix once", err)
			}
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

func FuzzParseKey(f *testing.F) {
	k := &Key{ID: "k1", Organization: "org-a", Key: keyA1}
	data, _ := k.MarshalPEM()
	f.Add(data)
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nKey-Id: x\n\nAAAA\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParseKey(data)
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
		back, err := ParseKey(again)
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

func TestSigner(t *testing.T) {
	pub := keyA1.Public().(ed25519.PublicKey)
	tests := []struct {
		name   string
		signer crypto.Signer
		ok     bool
		id     string
	}{
		{"ed25519 private key", keyA1, true, KeyID(pub)},
		{"key with its own id", &Key{ID: "rotated-2026", Key: keyA1}, true, "rotated-2026"},
		{"key without an id", &Key{Key: keyA1}, true, KeyID(pub)},
		{"empty key", &Key{ID: "k1"}, false, "k1"},
		{"short private key", keyA1[:20], false, ""},
		{"nil", nil, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := PublicKey(tc.signer)
			if ok != tc.ok || ok && !got.Equal(pub) {
				t.Errorf("PublicKey = %x, %v; want ok %v", got, ok, tc.ok)
			}
			if tc.ok || tc.id != "" {
				if id := SignerID(tc.signer); id != tc.id {
					t.Errorf("SignerID = %q, want %q", id, tc.id)
				}
			}
		})
	}
}
