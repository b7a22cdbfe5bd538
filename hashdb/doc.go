// Package hashdb is the handle a trust-and-safety service holds on its
// database of hashes of known terrorist and violent-extremist media.
//
// A [Signal] is one algorithm's hash of one piece of media: a PDQ hash (256
// bits, the format GIFCT and ThreatExchange share), a pHash, dHash or aHash
// (64 bits, as github.com/corona10/goimagehash computes them), or an MD5,
// SHA-1 or SHA-256 digest. Signals print and parse in the ecosystem's forms:
// bare lowercase hex of the algorithm's width, or prefixed with the
// algorithm's name, "pdq:<64 hex>".
//
//	sig, err := hashdb.ParseSignal("pdq:f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22")
//	if err != nil {
//		return err // errors.Is(err, hashdb.ErrInvalidSignal)
//	}
//	d, err := sig.Distance(other) // Hamming distance; an error across algorithms
package hashdb
