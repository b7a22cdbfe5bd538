package main

import (
	"fmt"
	"os"

	"github.com/hashshare/hashshare/hashdb/signing"
)

// readKeyFile reads a signing key file written by "hashdb keygen".
func readKeyFile(path string) (*signing.Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := signing.ParseKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (hashdb keygen writes one)", path, err)
	}
	return k, nil
}
