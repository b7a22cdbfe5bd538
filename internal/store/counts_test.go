package store

import (
	"encoding/binary"
	"errors"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestAddCounts(t *testing.T) {
	tests := []struct {
		name   string
		deltas []map[string]int64 // one write each
		want   map[string]int64   // what the bucket holds after
		err    error              // of the last write
	}{
		{"add", []map[string]int64{{"a": 2, "b": 1}}, map[string]int64{"a": 2, "b": 1}, nil},
		{"add and remove", []map[string]int64{{"a": 2, "b": 1}, {"a": -2, "b": 3}}, map[string]int64{"b": 4}, nil},
		{"zero deltas write nothing", []map[string]int64{{"a": 0}}, map[string]int64{}, nil},
		{"negative", []map[string]int64{{"a": 1}, {"a": -2}}, map[string]int64{"a": 1}, ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := openDB(t)
			var err error
			for _, d := range tc.deltas {
				var tx *Tx
				if tx, err = Begin(db, Options{}); err != nil {
					t.Fatal(err)
				}
				if err = AddCounts(tx.Bucket(BucketCounts), d); err != nil {
					tx.Discard()
					break
				}
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
			}
			if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("AddCounts = %v, want %v", err, tc.err)
			}
			got := map[string]int64{}
			err = db.View(func(tx *bolt.Tx) error {
				return tx.Bucket(BucketCounts).ForEach(func(k, v []byte) error {
					n, err := ReadCount(v)
					got[string(k)] = n
					return err
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("counters %v, want %v", got, tc.want)
			}
			for k, n := range tc.want {
				if got[k] != n {
					t.Errorf("counter %q = %d, want %d", k, got[k], n)
				}
			}
		})
	}
}

func FuzzReadCount(f *testing.F) {
	f.Add(binary.AppendUvarint(nil, 7))
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, v []byte) {
		n, err := ReadCount(v)
		switch {
		case err != nil && !errors.Is(err, ErrCorrupt):
			t.Fatalf("error %v does not wrap ErrCorrupt", err)
		case err == nil && v != nil && string(binary.AppendUvarint(nil, uint64(n))) != string(v):
			t.Fatalf("ReadCount(%x) = %d, which encodes otherwise", v, n)
		}
	})
}
