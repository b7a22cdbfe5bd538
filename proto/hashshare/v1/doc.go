// Package hashsharev1 holds the protocol buffer messages of hashshare's
// schema version 1, generated from item.proto and store.proto by
// proto/generate.sh.
//
// [Item] and [Opinion] are both the values a database stores and the
// entries partners exchange, so the file format and the wire format evolve
// together, by field numbers. [ItemRecord], [OpinionRecord], [Change],
// [Peer] and [Meta] are what only a database holds.
//
// Conventions: enums start with an *_UNSPECIFIED value 0 that is never
// valid; times are int64 Unix nanoseconds with 0 meaning unknown; signal
// values are raw bytes (32 for PDQ, 8 for the 64-bit hashes, the digest
// for MD5 and SHA), never hex.
//
// Most programs use package hashdb, which converts to and from these
// messages; use this package directly to read or write bundles with other
// tools.
package hashsharev1
