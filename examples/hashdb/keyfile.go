package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// A signing key file is a PEM "PRIVATE KEY" block (PKCS #8, as openssl
// writes Ed25519 keys) with two headers: Key-Id, the name bundles cite the
// key by, and Organization, the producer it signs for, if keygen was told.
//
//	-----BEGIN PRIVATE KEY-----
//	Key-Id: 3f0c9a1e5b7d2468
//	Organization: acme
//
//	MC4CAQAwBQYDK2VwBCIEI...
//	-----END PRIVATE KEY-----
const (
	pemType      = "PRIVATE KEY"
	headerKeyID  = "Key-Id"
	headerOrg    = "Organization"
	keyFileUsage = "a signing key file written by hashdb keygen"
)

// signingKey is a key file's contents.
type signingKey struct {
	id   string
	org  string
	priv ed25519.PrivateKey
}

// keyID derives a key's id from its public key: the first 8 bytes of its
// SHA-256, in hex. Both ends compute it, so a peer is added with its
// public key alone.
func keyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// writeKeyFile creates path holding a new key, readable by its owner
// only; it never overwrites a file.
func writeKeyFile(path, org string) (signingKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return signingKey{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return signingKey{}, err
	}
	k := signingKey{id: keyID(pub), org: org, priv: priv}
	block := &pem.Block{Type: pemType, Headers: map[string]string{headerKeyID: k.id}, Bytes: der}
	if org != "" {
		block.Headers[headerOrg] = org
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return signingKey{}, err
	}
	if err := pem.Encode(f, block); err != nil {
		f.Close()
		os.Remove(path)
		return signingKey{}, err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return signingKey{}, err
	}
	return k, nil
}

// readKeyFile reads a key file.
func readKeyFile(path string) (signingKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return signingKey{}, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != pemType {
		return signingKey{}, fmt.Errorf("%s: not %s", path, keyFileUsage)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return signingKey{}, fmt.Errorf("%s: %w", path, err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return signingKey{}, fmt.Errorf("%s: a %T, not an Ed25519 key", path, key)
	}
	k := signingKey{id: block.Headers[headerKeyID], org: block.Headers[headerOrg], priv: priv}
	if k.id == "" {
		k.id = keyID(priv.Public().(ed25519.PublicKey))
	}
	return k, nil
}

// parsePublicKey reads a public key as keygen prints it, 64 hex digits,
// or in standard base64.
func parsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == ed25519.PublicKeySize {
		return ed25519.PublicKey(b), nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == ed25519.PublicKeySize {
		return ed25519.PublicKey(b), nil
	}
	return nil, errors.New("a public key is 64 hex digits (or 32 bytes in base64), as hashdb keygen prints it")
}
