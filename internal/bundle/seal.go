package bundle

import (
	"crypto"
	"crypto/ed25519"
	"fmt"
	"hash"

	"google.golang.org/protobuf/encoding/protowire"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// SealInterval is how many bytes of frames a format 2 bundle carries
// between seals: a writer seals right after the entry that brings the
// frames since the header or the last seal to SealInterval or more. A
// reader verifies each seal as it arrives, so a forged bundle costs its
// recipient at most SealInterval plus one frame of reading and staging,
// whatever its size.
const SealInterval = 4 << 20

// sealInterval is SealInterval, but for tests, which seal small bundles.
var sealInterval int64 = SealInterval

// sealContext separates seal signatures from trailer signatures made with
// the same key.
const sealContext = "hashshare bundle seal v2"

var sealOptions = &ed25519.Options{Hash: crypto.SHA512, Context: sealContext}

// sealedDigest returns what the seal after count entries signs: the
// running SHA-512 h of the frames so far, finished with the seal's unsigned
// field. h itself is left to run on.
func sealedDigest(h hash.Hash, count uint64) ([]byte, error) {
	c, err := h.(hash.Cloner).Clone()
	if err != nil {
		return nil, err
	}
	b, _ := canonical.Marshal(&pb.Seal{EntryCount: count}) // an integer: cannot fail
	c.Write(protowire.AppendVarint(nil, uint64(len(b))))
	c.Write(b)
	return c.Sum(nil), nil
}

// checkSeal checks a seal's fields and that it is in canonical encoding
// in raw, its frame.
func checkSeal(raw []byte, s *pb.Seal) error {
	if len(s.GetSignature()) != signatureLen {
		return fmt.Errorf("%w: seal: signature is %d bytes, want %d", ErrMalformed, len(s.GetSignature()), signatureLen)
	}
	if err := checkKnown(s.ProtoReflect()); err != nil {
		return fmt.Errorf("%w: seal: %v", ErrMalformed, err)
	}
	want, err := canonical.Marshal(&pb.Frame{Frame: &pb.Frame_Seal{Seal: s}})
	if err != nil || len(raw) != uvarintLen(uint64(len(want)))+len(want) || string(raw[len(raw)-len(want):]) != string(want) {
		return fmt.Errorf("%w: seal not in canonical encoding", ErrMalformed)
	}
	return nil
}
