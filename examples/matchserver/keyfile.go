package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
)

// signingKey is a key file written by "hashdb keygen": a PEM "PRIVATE
// KEY" block (PKCS #8 Ed25519) with a Key-Id header, the name bundles cite
// the key by, and an optional Organization header.
type signingKey struct {
	id   string
	org  string
	priv ed25519.PrivateKey
}

func readKeyFile(path string) (*signingKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: not a PEM private key (hashdb keygen writes one)", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: a %T, not an Ed25519 key", path, key)
	}
	k := &signingKey{id: block.Headers["Key-Id"], org: block.Headers["Organization"], priv: priv}
	if k.id == "" {
		// As hashdb keygen derives it: the first 8 bytes of the public
		// key's SHA-256.
		sum := sha256.Sum256(priv.Public().(ed25519.PublicKey))
		k.id = hex.EncodeToString(sum[:8])
	}
	return k, nil
}
