// Package signal is hashshare's vocabulary: a [Signal] is one algorithm's
// output for one piece of media, an [Algorithm] names the hash function
// (PDQ, pHash, dHash, aHash, MD5, SHA-1, SHA-256).
//
// Signals parse and print in the forms the ecosystem already shares:
// "pdq:<64 hex>" with the 64 lowercase hex digits Meta's reference prints,
// the 64-bit hashes as Python's imagehash and goimagehash print them
// ("phash:<16 hex>", goimagehash's "p:<16 hex>" accepted on input), and
// digests as lowercase hex ("md5:<32 hex>"). [Signal.Distance] is the
// Hamming distance between two perceptual signals of one algorithm.
//
// The package depends on the standard library only, so any program that
// reads or writes hash lists can use it without the database.
package signal
