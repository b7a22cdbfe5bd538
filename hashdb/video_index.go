package hashdb

import (
	"context"
	"slices"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/hashshare/hashshare/hashdb/vpdq"
	"github.com/hashshare/hashshare/internal/store"
	"github.com/hashshare/hashshare/match"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// The frame index: which live videos hold a frame near a query frame.
//
// It is a [match.MIH] over the distinct PDQ hashes of the frames of live
// items' video hashes, frames of quality at least [indexQuality] only
// (pytx indexes filtered frames too), each hash once under a frame id,
// with a posting list of the items that hold it. It finds candidates;
// [DB.MatchVideo] scores each exactly against its stored hash, so the
// index never decides a percentage.
//
// Like the signal indexes it is built by the first search that needs it
// (the first MatchVideo), under the write lock, and from then on follows
// every commit through the writer's video delta. It is not stored: the
// build reads every item record's bytes and decodes only the video hashes
// of live items, so a database without videos pays a scan of its records
// once, at its first video search.
type frameIndex struct {
	mih *match.MIH

	mu      sync.RWMutex
	ids     map[[32]byte]uint64 // frame hash → frame id
	hashes  map[uint64][32]byte // frame id → frame hash
	posting map[uint64][]uint64 // frame id → item numbers, ascending
	frames  map[uint64][]uint64 // item number → its indexed frame ids; every live video item has an entry
	next    uint64              // the next frame id

	cond sync.Cond
	seq  uint64 // the last change applied
}

// indexQuality is the lowest frame quality the frame index holds:
// pytx's and the C++'s default threshold. A search with a lower one
// scores every live video instead.
const indexQuality = vpdq.DefaultQuality

// A videoOp is one change of the live video hashes in a commit: item num's
// frames leave the index, or these frames join it.
type videoOp struct {
	num    uint64
	remove bool
	frames [][32]byte // distinct, quality ≥ indexQuality
}

// indexedFrames returns the distinct hashes of h's frames that the index
// holds, in order.
func indexedFrames(h *vpdq.Hash) [][32]byte {
	seen := make(map[[32]byte]bool, len(h.Features))
	var out [][32]byte
	for _, f := range h.Features {
		if int(f.Quality) >= indexQuality && !seen[f.PDQ] {
			seen[f.PDQ] = true
			out = append(out, f.PDQ)
		}
	}
	return out
}

// videoChanged records in w's video delta that item num's live video hash
// went from old to new (either nil).
func (w *writer) videoChanged(num uint64, old, new *vpdq.Hash) {
	if sameVideo(old, new) {
		return
	}
	if old != nil {
		w.vdelta = append(w.vdelta, videoOp{num: num, remove: true})
	}
	if new != nil {
		w.vdelta = append(w.vdelta, videoOp{num: num, frames: indexedFrames(new)})
	}
}

func newFrameIndex() (*frameIndex, error) {
	m, err := match.NewMIH(256, &match.Options{Radius: vpdq.DefaultDistance, Pending: indexPending})
	if err != nil {
		return nil, err
	}
	x := &frameIndex{
		mih:     m,
		ids:     make(map[[32]byte]uint64),
		hashes:  make(map[uint64][32]byte),
		posting: make(map[uint64][]uint64),
		frames:  make(map[uint64][]uint64),
		next:    1,
	}
	x.cond.L = &x.mu
	return x, nil
}

// A frameBatch collects the frame index's MIH changes to make at once:
// at its build, and for a large commit.
type frameBatch struct{ remove, ids, codes []uint64 }

// add indexes item num's frames; b, if not nil, collects the MIH's
// changes instead of making them.
func (x *frameIndex) add(num uint64, frames [][32]byte, b *frameBatch) {
	fids := make([]uint64, 0, len(frames))
	for _, h := range frames {
		id, ok := x.ids[h]
		if !ok {
			id = x.next
			x.next++
			x.ids[h], x.hashes[id] = id, h
			w := vpdq.Words(h)
			if b != nil {
				b.ids = append(b.ids, id)
				b.codes = append(b.codes, w[:]...)
			} else {
				_ = x.mih.Add(id, w[:]) // 256-bit by construction
			}
		}
		p := x.posting[id]
		if i, found := slices.BinarySearch(p, num); !found {
			x.posting[id] = slices.Insert(p, i, num)
		}
		fids = append(fids, id)
	}
	x.frames[num] = fids
}

// remove drops item num's frames, and frame ids no item holds any more;
// b, if not nil, collects the MIH's changes instead of making them.
func (x *frameIndex) remove(num uint64, b *frameBatch) {
	for _, id := range x.frames[num] {
		p := x.posting[id]
		if i, found := slices.BinarySearch(p, num); found {
			p = slices.Delete(p, i, i+1)
		}
		if len(p) > 0 {
			x.posting[id] = p
			continue
		}
		delete(x.posting, id)
		delete(x.ids, x.hashes[id])
		delete(x.hashes, id)
		if b != nil {
			b.remove = append(b.remove, id)
		} else {
			x.mih.Remove(id)
		}
	}
	delete(x.frames, num)
}

// apply follows the commit of change seq, under the write lock. A
// commit adding more frames than the MIH's pending buffer holds, and at
// least a quarter of what it holds, is applied with one rebuild of its
// tables (see [indexes.large]); frame ids are never reused, so the
// batch's removals and additions never name one id twice.
func (x *frameIndex) apply(ops []videoOp, seq uint64) {
	n := 0
	for _, op := range ops {
		n += len(op.frames)
	}
	var b *frameBatch
	if n > indexPending && n >= x.mih.Len()/4 {
		b = new(frameBatch)
	}
	x.mu.Lock()
	for _, op := range ops {
		if op.remove {
			x.remove(op.num, b)
		} else {
			x.add(op.num, op.frames, b)
		}
	}
	if b != nil {
		// Nothing cancels the context and the codes are 256-bit; were it
		// to fail, the frames would go in one by one.
		if x.mih.Update(context.Background(), b.remove, b.ids, b.codes) != nil {
			for _, id := range b.remove {
				x.mih.Remove(id)
			}
			for i, id := range b.ids {
				_ = x.mih.Add(id, b.codes[4*i:4*i+4])
			}
		}
	}
	x.seq = max(x.seq, seq)
	x.mu.Unlock()
	x.cond.Broadcast()
}

// await waits until the index holds every change up to seq, the snapshot
// a reader searches.
func (x *frameIndex) await(seq uint64) {
	x.mu.Lock()
	for x.seq < seq {
		x.cond.Wait()
	}
	x.mu.Unlock()
}

// useFrameIndex builds the frame index if it is not built yet, holding
// the write lock so no commit falls between the snapshot the build reads
// and the hook that applies later ones.
func (db *DB) useFrameIndex(ctx context.Context) (*frameIndex, error) {
	if x := db.frames.Load(); x != nil {
		return x, nil
	}
	db.idxMu.Lock()
	defer db.idxMu.Unlock()
	if x := db.frames.Load(); x != nil {
		return x, nil
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.closed.Load() {
		return nil, ErrClosed
	}
	x, err := db.buildFrameIndex(ctx)
	if err != nil {
		return nil, err
	}
	db.frames.Store(x)
	return x, nil
}

// buildFrameIndex reads the live items' video hashes from a snapshot.
// Records that do not decode are left out, for [DB.Check] to report.
func (db *DB) buildFrameIndex(ctx context.Context) (*frameIndex, error) {
	x, err := newFrameIndex()
	if err != nil {
		return nil, err
	}
	var b frameBatch
	err = db.view(func(v *view) error {
		m, err := v.Meta()
		if err != nil {
			return err
		}
		x.seq = m.GetLastSeq()
		var vh pb.VideoHash
		c := v.Cursor(store.BucketItems)
		n := 0
		for k, val := c.First(); k != nil; k, val = c.Next() {
			if n++; n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			num, video, ok := liveVideoBytes(val)
			if !ok {
				continue
			}
			vh.Reset()
			if proto.Unmarshal(video, &vh) != nil {
				continue
			}
			h, err := videoFromProto(&vh)
			if err != nil {
				continue
			}
			x.add(num, indexedFrames(h), &b)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := x.mih.Load(ctx, b.ids, b.codes); err != nil {
		return nil, err
	}
	return x, nil
}

// liveVideoBytes finds, in an items bucket value (an ItemRecord), the
// item's number and the encoding of its video hash, if it has one and is
// not retracted, without decoding the rest.
func liveVideoBytes(rec []byte) (num uint64, video []byte, ok bool) {
	var item []byte
	for len(rec) > 0 {
		f, t, n := protowire.ConsumeTag(rec)
		if n < 0 {
			return 0, nil, false
		}
		rec = rec[n:]
		switch {
		case f == 1 && t == protowire.BytesType:
			item, n = protowire.ConsumeBytes(rec)
		case f == 2 && t == protowire.VarintType:
			num, n = protowire.ConsumeVarint(rec)
		default:
			n = protowire.ConsumeFieldValue(f, t, rec)
		}
		if n < 0 {
			return 0, nil, false
		}
		rec = rec[n:]
	}
	retracted := false
	for len(item) > 0 {
		f, t, n := protowire.ConsumeTag(item)
		if n < 0 {
			return 0, nil, false
		}
		item = item[n:]
		switch {
		case f == 9 && t == protowire.VarintType:
			var r uint64
			r, n = protowire.ConsumeVarint(item)
			retracted = r != 0
		case f == 12 && t == protowire.BytesType:
			video, n = protowire.ConsumeBytes(item)
		default:
			n = protowire.ConsumeFieldValue(f, t, item)
		}
		if n < 0 {
			return 0, nil, false
		}
		item = item[n:]
	}
	return num, video, video != nil && !retracted && num != 0
}
