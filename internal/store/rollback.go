package store

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Pending reports whether tx's file holds an unfinished staged write.
func Pending(tx *bolt.Tx) bool { return tx.Bucket(bucketStaged) != nil }

// Rollback undoes an unfinished staged write, if the file holds one, in
// transactions of up to chunk records (0 means [DefaultChunk]): it
// restores what the undo records hold, removes the items the write
// created and the changes it logged, and then the staged bucket. Readers
// through a [View] see the file as it was before the write throughout,
// and a rollback interrupted in turn is finished by the next.
func Rollback(db *bolt.DB, chunk int) error {
	if chunk <= 0 {
		chunk = DefaultChunk
	}
	for {
		var done bool
		err := db.Update(func(tx *bolt.Tx) error {
			var err error
			done, err = RollbackStep(tx, chunk)
			return err
		})
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// RollbackStep is one transaction of [Rollback]: it undoes up to budget
// records of the unfinished staged write in tx, in the order Rollback
// needs, and reports whether it is all undone.
func RollbackStep(tx *bolt.Tx, budget int) (done bool, err error) {
	st := tx.Bucket(bucketStaged)
	if st == nil {
		return true, nil
	}
	j, err := DecodeJournal(st.Get(keyJournal))
	if err != nil {
		return false, err
	}
	if budget, err = restoreUndo(tx, st, budget); err != nil || budget == 0 {
		return false, err
	}
	items, nums := tx.Bucket(BucketItems), tx.Bucket(BucketNumbers)
	if items == nil || nums == nil {
		return false, fmt.Errorf("%w: the items or numbers bucket is missing", ErrCorrupt)
	}
	budget, err = deleteFrom(nums, NumKey(j.Num0+1), budget, func(_, ik []byte) error {
		return items.Delete(ik)
	})
	if err != nil || budget == 0 {
		return false, err
	}
	if err := items.SetSequence(j.Num0); err != nil {
		return false, err
	}
	changes := tx.Bucket(BucketChanges)
	if changes == nil {
		return false, fmt.Errorf("%w: the changes bucket is missing", ErrCorrupt)
	}
	budget, err = deleteFrom(changes, SeqKey(j.Seq0+1), budget, nil)
	if err != nil || budget == 0 {
		return false, err
	}
	return true, tx.DeleteBucket(bucketStaged)
}

// restoreUndo puts back up to budget undo records, removing them, and
// returns what is left of the budget.
func restoreUndo(tx *bolt.Tx, st *bolt.Bucket, budget int) (int, error) {
	undo := st.Bucket(bucketUndo)
	if undo == nil {
		return budget, nil
	}
	var targets [][]byte
	err := undo.ForEachBucket(func(k []byte) error {
		targets = append(targets, bytes.Clone(k))
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, t := range targets {
		dst := bucketPath(tx, undoPath(t)...)
		if dst == nil {
			return 0, fmt.Errorf("%w: staged write undo records for missing bucket %q", ErrCorrupt, t)
		}
		u := undo.Bucket(t)
		var keys, vals [][]byte
		c := u.Cursor()
		for k, v := c.First(); k != nil && len(keys) < budget; k, v = c.Next() {
			keys, vals = append(keys, bytes.Clone(k)), append(vals, bytes.Clone(v))
		}
		for i, k := range keys {
			old, existed, err := DecodeUndo(vals[i])
			switch {
			case err != nil:
				err = fmt.Errorf("%w: staged write undo record %q of %q", ErrCorrupt, k, t)
			case existed:
				err = dst.Put(k, old)
			default:
				err = dst.Delete(k)
			}
			if err == nil {
				err = u.Delete(k)
			}
			if err != nil {
				return 0, err
			}
		}
		if budget -= len(keys); budget == 0 {
			return 0, nil
		}
		if err := undo.DeleteBucket(t); err != nil {
			return 0, err
		}
	}
	return budget, nil
}

// deleteFrom deletes up to budget keys of b from from on, calling each
// (if not nil) first, and returns what is left of the budget.
func deleteFrom(b *bolt.Bucket, from []byte, budget int, each func(k, v []byte) error) (int, error) {
	var keys, vals [][]byte
	c := b.Cursor()
	for k, v := c.Seek(from); k != nil && len(keys) < budget; k, v = c.Next() {
		keys, vals = append(keys, bytes.Clone(k)), append(vals, bytes.Clone(v))
	}
	for i, k := range keys {
		if each != nil {
			if err := each(k, vals[i]); err != nil {
				return 0, err
			}
		}
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return budget - len(keys), nil
}
