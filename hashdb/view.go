package hashdb

import (
	"github.com/hashshare/hashshare/internal/store"
)

// A view is a read transaction, read through [store.View]: as the last
// finished write left the file, whatever a staged write has committed so
// far. Its methods decode what it reads.
type view struct{ *store.View }

// item returns the record of the item whose encoded key is ik.
func (v *view) item(ik []byte) (record, bool, error) {
	return decodeVisible(ik, v.Get(store.BucketItems, ik))
}

// opinion returns the stored opinion record under key k, or nil.
func (v *view) opinion(k []byte) []byte { return v.Get(store.BucketOpinions, k) }

// decodeVisible decodes the record val of the item whose encoded key is
// ik, reporting none if val is nil.
func decodeVisible(ik, val []byte) (record, bool, error) {
	if val == nil {
		return record{}, false, nil
	}
	r, err := decodeRecord(ik, val)
	return r, err == nil, err
}
