package bundle

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha512"
	"hash"

	"google.golang.org/protobuf/encoding/protowire"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// signContext separates bundle signatures from any other use of the same
// key: a signature made for something else never verifies as a bundle's.
const signContext = "hashshare bundle v1"

var signOptions = &ed25519.Options{Hash: crypto.SHA512, Context: signContext}

// signedDigest finishes the running SHA-512 h of the frames before the
// trailer with the trailer's unsigned fields, returning what Ed25519ph
// signs. h is consumed.
func signedDigest(h hash.Hash, t *pb.Trailer) []byte {
	unsigned := &pb.Trailer{EntryCount: t.GetEntryCount(), SetDigest: t.GetSetDigest()}
	b, _ := canonical.Marshal(unsigned) // bytes and an integer: cannot fail
	h.Write(protowire.AppendVarint(nil, uint64(len(b))))
	h.Write(b)
	return h.Sum(nil)
}

// newSig returns the running hash a signature is computed over.
func newSig() hash.Hash { return sha512.New() }
