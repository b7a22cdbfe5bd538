package hashdb

import (
	"context"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/hashshare/hashshare/hashdb/tmk"
	"github.com/hashshare/hashshare/internal/store"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// The TMK index: the pure averages of live items' TMK+PDQF hashes, a
// [tmk.Index] under item numbers, which [DB.MatchTMK] searches at level 1
// before scoring the survivors at level 2 from their stored records.
//
// Like the frame index it is built by the first search that needs it,
// under the write lock, and from then on follows every commit through the
// writer's TMK delta. It is not stored; it holds about 1 KiB a video.
type tmkIndex struct {
	mu   sync.RWMutex
	x    *tmk.Index
	cond sync.Cond
	seq  uint64 // the last change applied
}

// A tmkOp is one change of the live TMK hashes in a commit: item num's
// hash leaves the index (h nil), or joins it.
type tmkOp struct {
	num uint64
	h   *tmk.Hash
}

// tmkChanged records in w's TMK delta that item num's live TMK hash went
// from old to new (either nil).
func (w *writer) tmkChanged(num uint64, old, new *tmk.Hash) {
	if sameTMK(old, new) {
		return
	}
	if old != nil {
		w.tdelta = append(w.tdelta, tmkOp{num: num})
	}
	if new != nil {
		w.tdelta = append(w.tdelta, tmkOp{num: num, h: new})
	}
}

// apply follows the commit of change seq, under the write lock.
func (x *tmkIndex) apply(ops []tmkOp, seq uint64) {
	x.mu.Lock()
	for _, op := range ops {
		if op.h == nil {
			x.x.Remove(op.num)
		} else {
			x.x.Add(op.num, op.h)
		}
	}
	x.seq = max(x.seq, seq)
	x.mu.Unlock()
	x.cond.Broadcast()
}

// await waits until the index holds every change up to seq.
func (x *tmkIndex) await(seq uint64) {
	x.mu.Lock()
	for x.seq < seq {
		x.cond.Wait()
	}
	x.mu.Unlock()
}

// useTMKIndex builds the TMK index if it is not built yet, holding the
// write lock so no commit falls between the snapshot the build reads and
// the hook that applies later ones.
func (db *DB) useTMKIndex(ctx context.Context) (*tmkIndex, error) {
	if x := db.tmks.Load(); x != nil {
		return x, nil
	}
	db.idxMu.Lock()
	defer db.idxMu.Unlock()
	if x := db.tmks.Load(); x != nil {
		return x, nil
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.closed.Load() {
		return nil, ErrClosed
	}
	x := &tmkIndex{x: tmk.NewIndex()}
	x.cond.L = &x.mu
	err := db.view(func(v *view) error {
		m, err := v.Meta()
		if err != nil {
			return err
		}
		x.seq = m.GetLastSeq()
		var rec pb.ItemRecord
		c := v.Cursor(store.BucketItems)
		n := 0
		for k, val := c.First(); k != nil; k, val = c.Next() {
			if n++; n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			rec.Reset()
			// Records that do not decode are left out, for Check to report.
			if proto.Unmarshal(val, &rec) != nil || rec.GetItem().GetRetracted() || rec.GetItem().GetTmk() == nil {
				continue
			}
			if h, err := tmk.FromProto(rec.GetItem().GetTmk()); err == nil {
				x.x.Add(rec.GetNumber(), h)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	db.tmks.Store(x)
	return x, nil
}
