package hashdb

import bolt "go.etcd.io/bbolt"

// viewTx runs fn in a raw read transaction: for tests that look at the
// file's bytes, around the view every read of the package goes through.
func (db *DB) viewTx(fn func(tx *bolt.Tx) error) error { return db.bolt.View(fn) }
