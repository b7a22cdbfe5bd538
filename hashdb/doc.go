// Package hashdb is the handle a trust-and-safety service holds on its
// database of hashes of known terrorist and violent-extremist media: it
// stores what an organisation knows in one bbolt file, matches uploads
// against it, and exchanges it with partners as signed bundles. Its
// vocabulary is package [signal] (a Signal is one algorithm's hash), its
// hashing package [media]; hashdb holds the rules: items and their
// sources, sharing levels, opinions, peers, matching and exchange.
//
// A service that flags uploads matching a known item is this program:
//
//	package main
//
//	import (
//		"context"
//		"fmt"
//		"log"
//		"os"
//
//		"github.com/hashshare/hashshare/hashdb"
//		"github.com/hashshare/hashshare/hashdb/media"
//	)
//
//	func main() {
//		ctx := context.Background()
//		db, err := hashdb.Open("hashes.db", &hashdb.Options{Organization: "example-org"})
//		if err != nil {
//			log.Fatal(err)
//		}
//		defer db.Close()
//
//		// Remember a known file.
//		h, err := media.HashFile(ctx, os.Args[1], nil)
//		if err != nil {
//			log.Fatal(err)
//		}
//		err = db.Put(ctx, hashdb.Item{
//			Key:        hashdb.Key{Source: "example-org", ID: os.Args[1]},
//			Signals:    h.Signals,
//			Unreliable: h.Unreliable,
//			Labels:     []string{"type:image", "behaviour:glorification"},
//			TLP:        tlp.Green,
//		})
//		if err != nil {
//			log.Fatal(err)
//		}
//
//		// Check an upload against everything known, with all eight
//		// rotations and mirrors of its PDQ hash.
//		up, err := media.HashFile(ctx, os.Args[2], &media.Options{Dihedral: true})
//		if err != nil {
//			log.Fatal(err)
//		}
//		results, err := db.MatchHashes(ctx, up, nil)
//		if err != nil {
//			log.Fatal(err)
//		}
//		for _, r := range results {
//			for _, m := range r.Matches {
//				fmt.Printf("%s matches %s at distance %d %s\n", r.Query, m.Items[0].Key, m.Distance, m.Transform)
//			}
//		}
//	}
//
// # Signals
//
// A [signal.Signal] is one algorithm's hash of one piece of media: a PDQ hash (256
// bits, the format GIFCT and ThreatExchange share), a pHash, dHash or aHash
// (64 bits, as github.com/corona10/goimagehash computes them), or an MD5,
// SHA-1 or SHA-256 digest. Signals print and parse in the ecosystem's forms:
// bare lowercase hex of the algorithm's width, or prefixed with the
// algorithm's name, "pdq:<64 hex>".
//
//	sig, err := signal.Parse("pdq:f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22")
//	if err != nil {
//		return err // errors.Is(err, signal.ErrInvalid)
//	}
//	d, err := sig.Distance(other) // Hamming distance; an error across algorithms
//
// # The database
//
// [Open] opens (or creates) one bbolt file. A [DB] stores [Item]s: one piece
// of content as one source organisation describes it, keyed by (source,
// source's id), with its signals, labels, [tlp] sharing level, first and
// last seen times and a note. [DB.Put] adds or replaces the local
// organisation's items in one transaction, all or none; [DB.PutForeign]
// stores other organisations' items that came from elsewhere (a list, a
// feed), recording where from; [DB.PutAll] stores a stream of either, all
// or none however long. [DB.Lookup] finds every live item carrying a
// signal; [DB.Retract] withdraws an item, which stays as a tombstone so
// partners learn of it. [DB.SetOpinion] records the local organisation's
// [Verdict] on an item or a signal — a FalsePositive opinion is an
// allow-list entry. Every committed change gets the next sequence number
// in a change log ([DB.Changes], [DB.History]) from which exports and
// replicas work. [DB.Check] verifies that items, their numbers, the
// change log, the counters behind [DB.Stats] and the packed index codes
// agree. The signal index is in memory, one per algorithm: the first
// search builds it from codes every commit also writes in packed form
// (no item is decoded; ten million PDQ hashes take a second or two and
// about 90 bytes each), and every commit after updates it. A digest's is
// an exact table, a perceptual hash's multi-index hashing (package match).
//
// # Source authority
//
// An item's source is its authority. Put writes only the local
// organisation's items, so that a mistyped source cannot mint another
// organisation's. A bundle a peer produces speaks for the peer's own
// items; the copies it re-shares of a third party's items are kept apart
// (their [Key.Via] names the peer), never replace, downgrade or retract
// what the database holds from the source itself, stop matching once the
// source's own copy is held, and are never exported onward. A peer's
// retraction withdraws only what it sent. See [DB.Import].
//
// A DB is safe for concurrent use: reads run in parallel, writes one at a
// time, each durable and seen whole when it returns. One process at a time
// may open a file for writing; another waits Options.Timeout, then fails
// with [ErrLocked]. A zero [Options] field means its default.
//
// # Hashing
//
// Package [media] computes every signal from one read
// ([media.HashReader], [media.HashFile], [media.HashImage], and
// [media.HashTree] for a directory on every core): the digests of the raw
// bytes, and for an image PDQ, pHash, dHash and aHash, within limits a
// service sets in [media.Options]. Low-information signals are listed in
// [media.Hashes.Unreliable], and Item.Unreliable takes them as they are.
//
// # Matching
//
// [DB.Match] finds, for each query signal, every stored signal within the
// algorithm's threshold (PDQ 31 bits, 64-bit hashes 10, digests exact;
// [MatchOptions] overrides them) and the live items carrying it. The search
// is exact — multi-index hashing over in-memory indexes from package
// github.com/hashshare/hashshare/match — and immediate: a Put is found by the
// next query, a retracted item is gone from it. [DB.MatchHashes] matches
// what package media computed, querying PDQ with all eight orientations
// when the hashes carry them, so rotated and mirrored copies match, and
// [DB.MatchMedia] hashes and matches in one call. [MatchResult] has one JSON
// form, the one the command-line tool and the match server print. Items or signals the local organisation marked
// [FalsePositive] come back in [MatchResult.Suppressed], not as matches;
// signals flagged unreliable match only when asked.
//
// # Video
//
// A video item carries its vPDQ hash in [Item.Video] (package
// github.com/hashshare/hashshare/hashdb/vpdq: PDQ of sampled frames, with
// python-threatexchange's string form and Meta's C++ per-frame file form),
// alone or beside its digests; it is stored and exchanged in a packed
// protobuf form of about 34 bytes a frame. [DB.MatchVideo] finds the
// stored videos whose frames agree with a query's, by pytx's rule or by
// the C++ reference's, with both percentages, the matched frame pairs and
// the time ranges they make; [DB.MatchHashes] does so for hashes that
// carry a video hash, in one more [MatchResult]. Its frame index, over the
// distinct frames of quality 50 or more, is built by the first video
// search, from a scan of the item records, and follows every commit.
//
// A video item may also carry a TMK+PDQF hash in [Item.TMK] (package
// github.com/hashshare/hashshare/hashdb/tmk), alone or beside the others.
// [DB.MatchTMK] scores every live one at level 1 (the cosine of the pure
// averages, through an in-memory index of them, about 1 KiB a video, built
// by the first TMK search and following every commit) and the survivors
// at level 2, from their stored records; [DB.MatchHashes] does so for
// hashes that carry one, in one more [MatchResult].
//
// # Exchange
//
// [DB.Export] writes a signed bundle for a partner: FULL, or a DELTA of the
// change log since the previous export to it, with retractions and opinions,
// never letting an item out beyond its TLP level. [DB.Import] verifies a
// partner's bundle (an Ed25519 signature by a key of the [Peer], sequence
// continuity, the producer's set digest) before anything is applied, then
// applies it all or nothing: a truncated, forged, replayed or out-of-order
// bundle leaves the database exactly as it was. Both stream: they write in
// transactions of a bounded size that readers see only once the last has
// committed, undone if anything fails or the process stops, so their
// memory does not grow with the bundle — a million entries go either way
// in a few seconds.
//
// Export signs through a [crypto.Signer]: a [signing.Key] read from its
// PEM form, a bare [ed25519.PrivateKey], or a key held in an HSM or a KMS.
// Recipients know a key by the id [signing.KeyID] derives from its public
// half, unless its owner names it otherwise.
//
// # Errors
//
// Every error an exported function returns starts with "hashdb: " once,
// then names the operation and the detail, and wraps a sentinel
// ([ErrNotFound], [ErrInvalidItem], [ErrLocked], …) for [errors.Is]; the
// one exception is a hashing error of [DB.MatchMedia], which is package
// media's as [media.HashReader] returned it. A
// write that fails, for whatever reason, leaves the database exactly as
// it was. The actor of a change is named one way, on its context
// ([WithActor]); the change log records it for every change.
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
