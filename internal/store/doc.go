// Package store is hashshare's bbolt storage engine: the schema and
// metadata of a database file, the byte layout of its keys, and the staged
// write, which changes millions of records in transactions of a bounded
// size and stays all or nothing, and invisible until it is done.
//
// A [Tx] is one write. Small writes run in one bbolt transaction; a
// staged write ([Options].Staged) commits every [Options].Chunk record
// writes when its caller says it may ([Tx.Step]) and goes on in a new
// transaction. The rules that make that safe live here, in one place:
//
//   - A [Bucket] handle from [Tx.Undoable] records, before a key first
//     changes, the value it had, so that a failure or a crash can put it
//     back; every Put and Delete counts toward the chunk budget.
//   - Handles and their cursors find their bucket again by path after an
//     intermediate commit, so callers keep them across [Tx.Step].
//   - A set replaced whole is built in a side bucket ([Tx.Swap]) and moved
//     into place in the last transaction ([Tx.SwapIn]).
//   - Readers read through a [View], which, while a staged write is
//     pending, sees the file as it was before the write began.
//
// The file holds, besides the data buckets ([BucketItems] and the rest):
//
//	staged: { "journal" → seq0(8) num0(8),
//	          "undo"    → { target → { key → 0 (was absent) | 1 old value } },
//	          "swap"    → { parent → { child → a set built whole } } }
//
// seq0 and num0 are the last change and the last item number before the
// write began. Only the write's last transaction removes the staged
// bucket. A file left with one (a process killed mid-import) reads as
// before the write, and [Rollback] undoes what the write did, in bounded
// transactions too.
package store
