package vpdq

import (
	"encoding/hex"
	"errors"
)

func isInvalid(err error) bool { return errors.Is(err, ErrInvalid) }

// w returns the bytes of a 64-digit hex hash.
func w(hx string) [32]byte {
	var b [32]byte
	if _, err := hex.Decode(b[:], []byte(hx)); err != nil {
		panic(err)
	}
	return b
}
