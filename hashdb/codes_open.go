package hashdb

import (
	"bytes"
	"cmp"
	"context"
	"slices"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/internal/store"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// codeBatch is what an index is built from: ids and their codes.
type codeBatch struct{ ids, codes []uint64 }

// readCodes reads the packed codes into one batch per algorithm, ids
// ascending, and reports whether it could trust them (see codes.go); if
// not, the batches are empty and the caller decodes the items.
func (db *DB) readCodes(ctx context.Context) (batches [signal.SHA256 + 1]codeBatch, seq uint64, ok bool, err error) {
	if testDecodeAtOpen {
		return batches, 0, false, nil
	}
	err = db.view(func(view *view) error {
		m, err := view.Meta()
		if err != nil {
			return err
		}
		seq = m.GetLastSeq()
		mark, good := decodeCodesMark(view.Get(store.BucketCodes, codesMarker))
		if !good || !mark.current(db.id, seq) {
			return nil
		}
		// One pass to size the arrays, so that they are allocated once at
		// their final size, and a second to fill them.
		var n [signal.SHA256 + 1]uint64
		c := view.Cursor(store.BucketCodes)
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if bytes.Equal(k, codesMarker) {
				continue
			}
			a, _, err := store.ParseCodesKey(k)
			if err != nil || !signal.Algorithm(a).Valid() {
				return nil
			}
			e, err := store.ChunkLen(v, codeBits(signal.Algorithm(a))/64)
			if err != nil {
				return nil
			}
			n[a] += uint64(e)
		}
		if n != mark.entries {
			return nil
		}
		for a := range batches {
			w := uint64(codeBits(signal.Algorithm(max(a, 1))) / 64)
			batches[a] = codeBatch{ids: make([]uint64, 0, n[a]), codes: make([]uint64, 0, n[a]*w)}
		}
		last := min(view.Bucket(store.BucketItems).Sequence(), maxNum)
		chunks := 0
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if bytes.Equal(k, codesMarker) {
				continue
			}
			if chunks++; chunks%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			a, chunk, _ := store.ParseCodesKey(k)
			b := &batches[a]
			from := len(b.ids)
			if b.ids, b.codes, err = store.ReadChunk(v, codeBits(signal.Algorithm(a))/64, b.ids, b.codes); err != nil {
				return nil
			}
			first, final := b.ids[from], b.ids[len(b.ids)-1]
			if (from > 0 && first <= b.ids[from-1]) || chunkOf(first) != chunk || chunkOf(final) != chunk || final>>posBits > last {
				return nil
			}
		}
		ok = true
		return nil
	})
	if err != nil || !ok {
		return [signal.SHA256 + 1]codeBatch{}, seq, false, err
	}
	return batches, seq, true, nil
}

// testDecodeAtOpen makes Open distrust the packed codes, so that a
// benchmark can compare the two ways of opening in one run.
var testDecodeAtOpen = false

// decodeItems reads every item once and collects the ids and codes of the
// live items' signals: what Open did before the packed codes, and does
// when it cannot trust them.
//
// A record that does not decode, or whose number is out of range or taken,
// is left out rather than failing Open, so that [DB.Check] can report it.
func (db *DB) decodeItems(ctx context.Context) (batches [signal.SHA256 + 1]codeBatch, seq uint64, err error) {
	err = db.view(func(view *view) error {
		m, err := view.Meta()
		if err != nil {
			return err
		}
		seq = m.GetLastSeq()
		var p pb.ItemRecord
		n := 0
		// seen guards against two records claiming one number, which
		// would give two signals one id.
		last := min(view.Bucket(store.BucketItems).Sequence(), maxNum)
		seen := make([]uint64, last/64+1)
		c := view.Cursor(store.BucketItems)
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if n++; n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			p.Reset()
			if proto.Unmarshal(v, &p) != nil || p.GetItem().GetRetracted() {
				continue // left for Check, or not indexed
			}
			num := p.GetNumber()
			sigs := p.GetItem().GetSignals()
			if num == 0 || num > last || seen[num/64]&(1<<(num%64)) != 0 || len(sigs) > 1<<posBits {
				continue
			}
			seen[num/64] |= 1 << (num % 64)
			for pos, ps := range sigs {
				s, err := signalFromProto(ps)
				if err != nil {
					continue
				}
				b := &batches[s.Algorithm()]
				b.ids = append(b.ids, signalID(num, pos))
				b.codes = appendCode(b.codes, s)
			}
		}
		return nil
	})
	return batches, seq, err
}

// rebuildCodes replaces the codes bucket by the batches, the index
// contents as of change seq, and sorts each batch by id on the way. It
// writes in several transactions and the marker last, so a crash
// part-way leaves a bucket Open does not trust.
func (db *DB) rebuildCodes(ctx context.Context, batches *[signal.SHA256 + 1]codeBatch, seq uint64) error {
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(store.BucketCodes) != nil {
			if err := tx.DeleteBucket(store.BucketCodes); err != nil {
				return err
			}
		}
		_, err := tx.CreateBucket(store.BucketCodes)
		return err
	})
	if err != nil {
		return err
	}
	mark := codesMark{id: db.id, seq: seq}
	const perTx = 1 << 16 // entries per transaction: a few MiB of dirty pages
	for a := range batches {
		b := &batches[a]
		if len(b.ids) == 0 {
			continue
		}
		w := codeBits(signal.Algorithm(a)) / 64
		sortBatch(b, w)
		mark.entries[a] = uint64(len(b.ids))
		for from := 0; from < len(b.ids); {
			if err := ctx.Err(); err != nil {
				return err
			}
			err := db.bolt.Update(func(tx *bolt.Tx) error {
				bk := tx.Bucket(store.BucketCodes)
				bk.FillPercent = 1 // chunks are written in key order
				for written := 0; from < len(b.ids) && written < perTx; {
					to := from + 1
					for to < len(b.ids) && chunkOf(b.ids[to]) == chunkOf(b.ids[from]) {
						to++
					}
					v := store.AppendChunk(nil, b.ids[from:to], b.codes[from*w:to*w], w)
					if err := bk.Put(store.CodesKey(byte(a), chunkOf(b.ids[from])), v); err != nil {
						return err
					}
					written += to - from
					from = to
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(store.BucketCodes).Put(codesMarker, mark.encode())
	})
}

// sortBatch sorts b's ids ascending, moving their codes of w words along.
func sortBatch(b *codeBatch, w int) {
	if slices.IsSorted(b.ids) {
		return
	}
	perm := make([]int32, len(b.ids))
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortFunc(perm, func(x, y int32) int { return cmp.Compare(b.ids[x], b.ids[y]) })
	ids := make([]uint64, len(b.ids))
	codes := make([]uint64, len(b.codes))
	for i, p := range perm {
		ids[i] = b.ids[p]
		copy(codes[i*w:(i+1)*w], b.codes[int(p)*w:(int(p)+1)*w])
	}
	b.ids, b.codes = ids, codes
}
