// Package replica keeps read replicas of a hash set up to date through
// object storage: one primary publishes its signed bundles to a bucket,
// any number of replicas follow them. The bucket is opened by the caller
// through gocloud.dev/blob, so S3, GCS, Azure Blob, file:// and mem://
// are one code path and a service links only the cloud SDK it chooses
// (the driver packages register their URL schemes when imported).
//
// # Layout of the bucket
//
//	full/<seq>-<sha256 prefix>.bundle          a FULL bundle up to seq
//	delta/<from>-<to>-<sha256 prefix>.bundle   a DELTA bundle, changes after from up to to
//	manifest.json                              the signed [Manifest]
//
// Bundle names are sequence-numbered and content-addressed, so no blob
// but the manifest is ever rewritten. A [Publisher] writes each blob,
// waiting for its upload to succeed, before the manifest that names it,
// so a reader never sees a manifest naming a blob that is not there; it
// deletes the blobs the new manifest no longer names only afterwards.
// Every FullEvery deltas it also writes a FULL bundle at the same
// sequence number as the last delta, and keeps KeepDeltas deltas behind
// it, so that a replica that lags by up to that many catches up with
// deltas rather than the whole set.
//
// # Following
//
// A [Follower] reads the manifest, verifies its signature against the
// peer's keys in the replica's database (a manifest signed otherwise, or
// older than the replica, is refused), and applies the deltas it lacks
// in order through [hashdb.DB.Import], which verifies each bundle's
// signature, its place in the sequence and the resulting set digest. A
// blob whose size or SHA-256 is not the manifest's is refused before it
// is imported. On a gap, a missing or altered blob, a refused bundle or a
// set digest that differs from the manifest's, it loads the newest FULL
// bundle instead. Imports are staged: the database answers queries from
// its last good state until an import commits, and a refused bundle
// changes nothing. [Status] reports the lag (sequence numbers behind,
// age of the newest change held) for a server to export as metrics.
//
// A follower polls the manifest with a jittered interval; package
// natswake adds a NATS JetStream key whose watch wakes it at once. The
// key carries only a sequence number: bundles still come from the bucket
// and are verified there, so losing NATS loses no data.
//
// # Past one machine's memory (not built)
//
// This package is the second of three tiers: one process, read replicas
// of one hash set, and a sharded index for sets larger than one
// machine's memory. The third tier needs no protocol of hashshare's own:
//
//   - The writer partitions items by a hash of their key into N shards,
//     and publishes each partition as this package does (its own
//     manifest, its own FULL and DELTA bundles, a per-shard set digest),
//     under a prefix per shard. A shard group is a replica set of this
//     tier: its replicas follow that prefix.
//   - Queries go to every shard by scatter-gather over NATS
//     request-reply: shard i's replicas subscribe to a subject per shard
//     in a queue group, so they share its load; a front end sends each
//     query to all N subjects and gathers N answers.
//   - Each shard's answer is exact (its own MIH index), so the union of N
//     answers is the exact answer. A shard that does not answer in time
//     fails the query (or marks it partial): it is never read as "no
//     match".
//
// Sizing, derived from the measured ~109 bytes of memory per PDQ code
// and ~3,900 queries/s per core for MIH over 10M codes (which fell 3.5x
// from 1M to 10M; assume the same again per tenfold):
//
//   - 100M codes: ~11 GB, which fits one machine, so no sharding. At an
//     extrapolated ~1,100 queries/s per core, 20,000 queries/s needs ~18
//     cores: three 8-core replicas with 16 GB each, with headroom.
//   - 1B codes: ~109 GB. Four shards of 250M codes (~27 GB each, 64 GB
//     hosts). Every query reaches all four; at ~700 queries/s per core
//     for 250M codes each shard needs ~29 cores for 20,000 queries/s:
//     four shard groups of four 8-core replicas, 16 machines, 128 cores.
//
// These machine counts are arithmetic on single-node figures, not a
// measurement of a fleet.
package replica
