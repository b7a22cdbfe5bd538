package hashdb

import (
	"context"
	"fmt"
	"iter"
)

// putAllChunk is how many items PutAll writes in key order at a time: the
// size of Put's batches that its key ordering pays off for.
const putAllChunk = 8192

// PutAll stores every item items yields, as [DB.Put] (origin "") or
// [DB.PutForeign] (origin naming where they came from) would, but all or
// nothing however many there are: a failure — an invalid item, an error
// the sequence yields, ctx ending, a full disk, a crash — leaves the
// database exactly as it was. It returns how many items it stored.
//
// Unlike Put, PutAll neither holds the items in memory nor checks them all
// before writing: it writes as the sequence yields, in bounded
// transactions that readers do not see until the last has committed (as
// [DB.Import] does), and undoes them if anything fails. A key yielded
// again replaces what it stored before, as a second Put would. It holds
// the write lock until the sequence ends: other writers wait for it.
func (db *DB) PutAll(ctx context.Context, origin string, items iter.Seq2[Item, error]) (n int, err error) {
	defer wrapErr(&err, "put all")
	if origin != "" {
		if err := db.opts.validateText("origin", origin); err != nil {
			return 0, fmt.Errorf("%w: %v", ErrInvalidItem, err)
		}
	}
	err = db.updateStaged(ctx, func(w *writer) error {
		w.origin = origin
		chunk := make(map[Key]bool, putAllChunk)
		flush := func() error {
			if err := w.writeDeferred(); err != nil {
				return err
			}
			clear(chunk)
			_, err := w.step()
			return err
		}
		w.deferring = true
		i := 0
		for it, err := range items {
			if err != nil {
				return err
			}
			norm, err := db.opts.normalize(it)
			if err != nil {
				return fmt.Errorf("%w: item %d (%s): %w", ErrInvalidItem, i, norm.Key, err)
			}
			if err := db.mayPut(norm, origin); err != nil {
				return fmt.Errorf("item %d (%s): %w", i, norm.Key, err)
			}
			// A deferred record is not read back: a key yielded again
			// waits for the chunk holding it to be written.
			if chunk[norm.Key] || len(chunk) == putAllChunk {
				if err := flush(); err != nil {
					return err
				}
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			chunk[norm.Key] = true
			if _, err := w.putItem(norm); err != nil {
				return fmt.Errorf("%s: %w", norm.Key, err)
			}
			i++
		}
		n = i
		return w.writeDeferred()
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
