// Package hashdb is the handle a trust-and-safety service holds on its
// database of hashes of known terrorist and violent-extremist media.
//
// # Signals
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
//
// # The database
//
// [Open] opens (or creates) one bbolt file. A [DB] stores [Item]s: one piece
// of content as one source organisation describes it, keyed by (source,
// source's id), with its signals, labels, [TLP] sharing level, first and
// last seen times and a note. [DB.Put] adds or replaces items in one
// transaction, all or none; [DB.Lookup] finds every live item carrying a
// signal; [DB.Retract] withdraws an item, which stays as a tombstone so
// partners learn of it. [DB.SetOpinion] records the local organisation's
// [Verdict] on an item or a signal — a FalsePositive opinion is an
// allow-list entry. Every committed change gets the next sequence number
// in a change log ([DB.Changes], [DB.History]) from which exports and
// replicas work. [DB.Check] verifies that items, their numbers, the
// change log and the counters behind [DB.Stats] agree. The signal index
// is in memory: Open builds one per algorithm from the items, and every
// commit updates it.
//
// A DB is safe for concurrent use: reads run in parallel, writes one at a
// time, each durable when it returns. One process at a time may open a file
// for writing; another waits Options.Timeout, then fails with [ErrLocked].
//
// # Labels
//
// Labels are short lowercase strings (see [ValidateLabel]). The vocabulary
// is free, but GIFCT-style prefixes make sets from different members
// comparable:
//
//	type:image, type:video, type:audio, type:pdf, type:url   the content type
//	entity:<name>                                            the group or movement, such as entity:isis
//	behaviour:glorification, behaviour:recruitment,
//	behaviour:instruction, behaviour:graphic-violence,
//	behaviour:threat, behaviour:propaganda                    what the content does
//	incident:<name-year>                                     a crisis incident, such as incident:christchurch-2019
//
// Labels without a prefix are allowed for a member's own taxonomy.
//
// # File format
//
// Stored values are the protocol buffer messages of package
// github.com/hashshare/hashshare/proto/hashshare/v1, the same ones bundles
// carry, so the format evolves by field numbers. A meta record holds the
// schema version and a random database id; a file written by newer code
// fails to open with [ErrSchemaVersion], and a file that is not a hashshare
// database with [ErrNotDatabase].
package hashdb
