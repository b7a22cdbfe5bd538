package main

import (
	"fmt"
	"os"

	"github.com/hashshare/hashshare/hashdb"
)

// readKeyFile reads a signing key file written by "hashdb keygen".
func readKeyFile(path string) (*hashdb.SigningKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := hashdb.ParseSigningKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (hashdb keygen writes one)", path, err)
	}
	return k, nil
}
