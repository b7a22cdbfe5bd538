package main

import (
	"fmt"
	"os"

	"github.com/hashshare/hashshare/hashdb/signing"
)

// writeKeyFile creates path holding a new signing key for org, in the PEM
// form signing.Key.MarshalPEM writes, readable by its owner only; it
// never overwrites a file.
func writeKeyFile(path, org string) (*signing.Key, error) {
	k, err := signing.GenerateKey(org)
	if err != nil {
		return nil, err
	}
	data, err := k.MarshalPEM()
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, err
	}
	return k, nil
}

// readKeyFile reads a key file written by hashdb keygen.
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
