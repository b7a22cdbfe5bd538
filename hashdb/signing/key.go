// Package signing holds an organisation's Ed25519 signing keys: their PEM
// form (what "hashdb keygen" writes), the id bundles cite a key by, and
// the checks hashdb's Export makes of any [crypto.Signer] it is given, so
// that a key in an HSM or a KMS signs as well as one read from a file.
//
//	k, err := signing.GenerateKey("org-a")
//	pemBytes, err := k.MarshalPEM()      // keep it, readable by its owner only
//	k, err = signing.ParseKey(pemBytes)  // later
//	_, err = db.Export(ctx, w, hashdb.ExportOptions{Audience: "org-b", Signer: k})
//
// Partners trust the public half, printed as 64 hex digits, under the id
// [KeyID] derives from it.
package signing

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// KeyID returns the id a public key goes by unless its owner names it
// otherwise: the first 8 bytes of its SHA-256, in hex. Producer and
// recipient both compute it, so a peer can be added with its public key
// alone, and [ExportOptions.KeyID] may be left empty.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// A Key is an organisation's Ed25519 key for signing bundles, with the id
// bundles cite it by. A key held in an HSM or a KMS need not be a Key:
// hashdb's ExportOptions take any [crypto.Signer].
type Key struct {
	// ID is the key's id, as the recipients' peers tables know it.
	ID string
	// Organization is the producer the key signs for; "" if unsaid.
	Organization string
	// Key is the private key.
	Key ed25519.PrivateKey
}

// GenerateKey returns a new random key for org, with the id
// [KeyID] derives.
func GenerateKey(org string) (*Key, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, opError("generate signing key", err)
	}
	return &Key{ID: KeyID(pub), Organization: org, Key: priv}, nil
}

// Public returns the key's public half.
// A malformed key has none, and signs nothing.
func (k *Key) Public() crypto.PublicKey {
	if len(k.Key) != ed25519.PrivateKeySize {
		return nil
	}
	return k.Key.Public()
}

// Sign signs digest with the key: k is a [crypto.Signer], so it can be
// given to hashdb's ExportOptions.Signer as it is.
func (k *Key) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if len(k.Key) != ed25519.PrivateKeySize {
		return nil, opError("sign", fmt.Errorf("%w: %d bytes, want an Ed25519 private key", ErrInvalidKey, len(k.Key)))
	}
	return k.Key.Sign(r, digest, opts)
}

// The PEM form of a signing key: a "PRIVATE KEY" block (PKCS #8, as
// openssl writes Ed25519 keys) with two headers, Key-Id and, if set,
// Organization:
//
//	-----BEGIN PRIVATE KEY-----
//	Key-Id: 3f0c9a1e5b7d2468
//	Organization: acme
//
//	MC4CAQAwBQYDK2VwBCIEI...
//	-----END PRIVATE KEY-----
const (
	pemPrivateKey = "PRIVATE KEY"
	pemKeyID      = "Key-Id"
	pemOrg        = "Organization"
)

// MarshalPEM encodes k in its PEM form, which [ParseKey] reads.
func (k *Key) MarshalPEM() ([]byte, error) {
	if len(k.Key) != ed25519.PrivateKeySize {
		return nil, opError("marshal signing key", fmt.Errorf("%w: %d bytes, want an Ed25519 private key", ErrInvalidKey, len(k.Key)))
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.Key)
	if err != nil {
		return nil, opError("marshal signing key", err)
	}
	block := &pem.Block{Type: pemPrivateKey, Headers: map[string]string{pemKeyID: k.ID}, Bytes: der}
	if k.ID == "" {
		block.Headers[pemKeyID] = KeyID(k.Key.Public().(ed25519.PublicKey))
	}
	if k.Organization != "" {
		block.Headers[pemOrg] = k.Organization
	}
	return pem.EncodeToMemory(block), nil
}

// ParseKey decodes a signing key's PEM form. A block without a
// Key-Id header gets the id [KeyID] derives. Errors wrap [ErrInvalidKey].
func ParseKey(data []byte) (*Key, error) {
	bad := func(format string, args ...any) error {
		return opError("parse signing key", fmt.Errorf("%w: "+format, append([]any{ErrInvalidKey}, args...)...))
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != pemPrivateKey {
		return nil, bad("not a PEM %q block", pemPrivateKey)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, bad("%v", err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, bad("a %T, not an Ed25519 key", key)
	}
	k := &Key{ID: block.Headers[pemKeyID], Organization: block.Headers[pemOrg], Key: priv}
	if k.ID == "" {
		k.ID = KeyID(priv.Public().(ed25519.PublicKey))
	}
	if err := validateKeyID(k.ID); err != nil {
		return nil, bad("key id: %v", err)
	}
	if len(k.Organization) > maxNameLen || !utf8.ValidString(k.Organization) {
		return nil, bad("organisation: longer than %d bytes or not UTF-8", maxNameLen)
	}
	return k, nil
}

// ParsePublicKey reads an Ed25519 public key as 64 hex digits (the form
// the hashdb command prints) or as 32 bytes in standard base64. Errors
// wrap [ErrInvalidKey].
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == ed25519.PublicKeySize {
		return ed25519.PublicKey(b), nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == ed25519.PublicKeySize {
		return ed25519.PublicKey(b), nil
	}
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return nil, opError("parse public key", fmt.Errorf("%w: %q: want 64 hex digits or 32 bytes in base64", ErrInvalidKey, s))
}

// validateKeyID checks a key id as hashdb's peers table stores it.
func validateKeyID(id string) error {
	switch {
	case id == "" || len(id) > maxNameLen:
		return fmt.Errorf("%d bytes, want 1 to %d", len(id), maxNameLen)
	case !utf8.ValidString(id):
		return fmt.Errorf("not UTF-8")
	}
	return nil
}

// PublicKey returns the Ed25519 public key of s, if it has one: what a
// signer must have to sign bundles.
func PublicKey(s crypto.Signer) (ed25519.PublicKey, bool) {
	if k, ok := s.(ed25519.PrivateKey); s == nil || ok && len(k) != ed25519.PrivateKeySize {
		return nil, false
	}
	pub, ok := s.Public().(ed25519.PublicKey)
	return pub, ok && len(pub) == ed25519.PublicKeySize
}

// SignerID returns the id bundles signed by s cite by default: the ID of
// a [*Key] that has one, else [KeyID] of its public key.
func SignerID(s crypto.Signer) string {
	if k, ok := s.(*Key); ok && k.ID != "" {
		return k.ID
	}
	pub, _ := PublicKey(s)
	return KeyID(pub)
}

// ErrInvalidKey reports a signing or public key that cannot be read or
// used: not PEM, not PKCS #8, not Ed25519, the wrong length.
var ErrInvalidKey = errors.New("invalid key")

// maxNameLen bounds key ids and organisation names, as hashdb's peers
// table does.
const maxNameLen = 256

// opError prefixes the failure of op with the package's name, once.
func opError(op string, err error) error {
	return fmt.Errorf("signing: %s: %w", op, err)
}
