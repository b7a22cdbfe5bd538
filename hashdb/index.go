package hashdb

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/hashshare/hashshare/match"
)

// indexes are the in-memory match indexes, one per perceptual algorithm,
// over every live entry of the signal index. Ids are the entries' link
// numbers (see [indexValue]); an index holds a code once per item carrying
// it, and a search turns ids back into signals with Code.
type indexes [AHash + 1]match.Index

// buildIndexes reads the whole signal index and builds a match index per
// perceptual algorithm, then installs the commit hook that keeps them in
// step. It runs in Open, before the DB is shared.
func (db *DB) buildIndexes(ctx context.Context) error {
	type batch struct{ ids, codes []uint64 }
	var batches [AHash + 1]batch
	err := db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketIndex).ForEach(func(k, v []byte) error {
			if len(k) == 0 || !Algorithm(k[0]).Perceptual() {
				return nil
			}
			s, _, _, link, err := parseIndexEntry(k, v)
			if err != nil {
				return err
			}
			b := &batches[s.alg]
			b.ids = append(b.ids, link)
			b.codes = appendWords(b.codes, s)
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, a := range []Algorithm{PDQ, PHash, DHash, AHash} {
		idx, err := match.NewMIH(a.Bits(), &match.Options{Radius: a.DefaultThreshold()})
		if err != nil {
			return err
		}
		if err := idx.Build(ctx, batches[a].ids, batches[a].codes); err != nil {
			return fmt.Errorf("%w: building the %s index: %w", ErrCorrupt, a, err)
		}
		batches[a] = batch{} // let the garbage collector have it before the next build
		db.idx[a] = idx
	}
	db.onCommit = db.idx.apply
	return nil
}

// apply follows one commit: entries removed leave the indexes, entries
// added join them. Called with the write lock held, in commit order.
func (x *indexes) apply(added, removed []indexEntry) {
	for _, e := range removed {
		if idx := x.of(e.sig.alg); idx != nil {
			idx.Remove(e.link)
		}
	}
	for _, e := range added {
		if idx := x.of(e.sig.alg); idx != nil {
			// The code has the index's width by construction; an error
			// here would be a bug, and the index must not stop following.
			_ = idx.Add(e.link, e.sig.Words())
		}
	}
}

// of returns the index of algorithm a, or nil when a is not perceptual.
func (x *indexes) of(a Algorithm) match.Index {
	if !a.Perceptual() {
		return nil
	}
	return x[a]
}

// appendWords appends s's value as big-endian 64-bit words.
func appendWords(dst []uint64, s Signal) []uint64 {
	n := s.alg.Bits() / 8
	for i := 0; i < n; i += 8 {
		var w uint64
		for _, b := range s.val[i : i+8] {
			w = w<<8 | uint64(b)
		}
		dst = append(dst, w)
	}
	return dst
}

// signalFromWords is the inverse of appendWords for algorithm a.
func signalFromWords(a Algorithm, words []uint64) Signal {
	s := Signal{alg: a}
	for i, w := range words {
		for j := range 8 {
			s.val[i*8+j] = byte(w >> (56 - 8*j))
		}
	}
	return s
}
