// Package bundle writes and reads hashshare bundles: the signed, streamed
// files in which organisations exchange items, retractions and opinions.
//
// A bundle is a sequence of length-delimited [pb.Frame] messages (the
// format of google.golang.org/protobuf/encoding/protodelim): one header
// naming the producer, its signing key, the sequence range covered and the
// previous bundle's digest; any number of entries; and a trailer with the
// entry count, the digest of the producer's resulting item set ([SetDigest])
// and an Ed25519ph signature. The stream may be gzip-compressed; a [Reader]
// detects that by the magic bytes.
//
// A [Reader] checks everything it can while it streams, so a bundle of
// millions of entries never sits in memory and a hostile one is stopped at
// the first limit it crosses ([Limits]). Entries are not authenticated
// until [Reader.Next] returns [io.EOF]: a caller that acts on them must
// stage them (hashdb spools them to a file) and commit only then. Such a
// caller can stage the frames as they are with [Reader.NextFrame], which
// checks all but the entries' contents, and decode each once with
// [DecodeFrame], which checks the rest, rather than decode every entry
// twice.
//
// A [Writer] encodes each entry once. For the upserts of an export, whose
// [ItemHash] is needed before writing, [Writer.AppendUpsert] makes both the
// hash and the frame, for [Writer.WriteFrame], from one encoding.
//
// # Signature
//
// The signature is Ed25519ph with the context "hashshare bundle v1" over
// the SHA-512 of the uncompressed bytes of every frame before the trailer,
// as written, followed by the trailer's unsigned fields (entry count and
// set digest) deterministically encoded and length-delimited. The header
// names the producer and key id, so the signature binds them. A reader
// also requires the trailer frame to be exactly the deterministic encoding
// of its fields, and nothing after it, so a valid bundle has exactly one
// byte sequence: its [Digest], the SHA-256 of the whole uncompressed
// stream, names it, and the next bundle's header cites it.
package bundle
