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
// with the items that hold it. It finds candidates; [DB.MatchVideo]
// scores each exactly against its stored hash, so the index never
// decides a percentage.
//
// Like the signal indexes it is built by the first search that needs it
// (the first MatchVideo), under the write lock, and from then on follows
// every commit through the writer's video delta. It is not stored: the
// build reads every item record's bytes and decodes only the video hashes
// of live items, so a database without videos pays a scan of its records
// once, at its first video search.
//
// Memory is the MIH's (about 90 bytes a frame) and 8 bytes a frame for
// its item: a hash's id is found again by an exact search of the MIH, not
// a map, and an item's ids from its stored frames when it leaves.
type frameIndex struct {
	mih *match.MIH

	mu sync.RWMutex
	// owner maps a frame id to the item that holds the frame, or to
	// sharedOwner when several do (listed in shared, ascending), or to 0
	// when the id is free (listed in free).
	owner  []uint64
	shared map[uint64][]uint64
	free   []uint64
	// videos are the live items with a video hash.
	videos map[uint64]struct{}

	cond sync.Cond
	seq  uint64 // the last change applied
}

// sharedOwner marks a frame id several items hold.
const sharedOwner = ^uint64(0)

// indexQuality is the lowest frame quality the frame index holds:
// pytx's and the C++'s default threshold. A search with a lower one
// scores every live video instead.
const indexQuality = vpdq.DefaultQuality

// A videoOp is one change of the live video hashes in a commit: item num's
// frames leave the index, or join it. frames are distinct and of quality
// at least indexQuality.
type videoOp struct {
	num    uint64
	remove bool
	frames [][32]byte
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
		w.vdelta = append(w.vdelta, videoOp{num: num, remove: true, frames: indexedFrames(old)})
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
		mih:    m,
		owner:  []uint64{0}, // id 0 is never used
		shared: make(map[uint64][]uint64),
		videos: make(map[uint64]struct{}),
	}
	x.cond.L = &x.mu
	return x, nil
}

// A frameBatch collects the MIH's changes to make at once (at the build,
// and for a large commit), and the ids of the frames it adds, which the
// MIH does not hold yet. Ids it frees are reused only after it.
type frameBatch struct {
	remove, ids, codes []uint64
	added              map[[32]byte]uint64
	cancelled          map[uint64]bool // added, then freed, in the batch
	freed              []uint64
}

func newFrameBatch() *frameBatch {
	return &frameBatch{added: make(map[[32]byte]uint64), cancelled: make(map[uint64]bool)}
}

// find returns the id of frame hash h, if some item holds it.
func (x *frameIndex) find(h [32]byte, b *frameBatch) (uint64, bool) {
	if b != nil {
		if id, ok := b.added[h]; ok {
			return id, true
		}
	}
	w := vpdq.Words(h)
	found, _ := x.mih.Search(w[:], 0) // 256-bit by construction
	for _, r := range found {
		if r.ID < uint64(len(x.owner)) && x.owner[r.ID] != 0 {
			return r.ID, true
		}
	}
	return 0, false
}

// holders returns the items that hold frame id.
func (x *frameIndex) holders(id uint64) []uint64 {
	switch o := x.owner[id]; o {
	case 0:
		return nil
	case sharedOwner:
		return x.shared[id]
	default:
		return []uint64{o}
	}
}

// add indexes item num's frames; b, if not nil, collects the MIH's
// changes instead of making them.
func (x *frameIndex) add(num uint64, frames [][32]byte, b *frameBatch) {
	for _, h := range frames {
		id, ok := x.find(h, b)
		if !ok {
			if n := len(x.free); n > 0 && b == nil {
				id, x.free = x.free[n-1], x.free[:n-1]
			} else {
				id = uint64(len(x.owner))
				x.owner = append(x.owner, 0)
			}
			x.owner[id] = num
			w := vpdq.Words(h)
			if b != nil {
				b.added[h] = id
				b.ids = append(b.ids, id)
				b.codes = append(b.codes, w[:]...)
			} else {
				_ = x.mih.Add(id, w[:]) // 256-bit by construction
			}
			continue
		}
		switch o := x.owner[id]; {
		case o == num:
		case o == sharedOwner:
			p := x.shared[id]
			if i, found := slices.BinarySearch(p, num); !found {
				x.shared[id] = slices.Insert(p, i, num)
			}
		default:
			x.owner[id] = sharedOwner
			x.shared[id] = []uint64{min(o, num), max(o, num)}
		}
	}
	x.videos[num] = struct{}{}
}

// remove drops item num's frames, freeing the ids no item holds any more;
// b, if not nil, collects the MIH's changes instead of making them.
func (x *frameIndex) remove(num uint64, frames [][32]byte, b *frameBatch) {
	for _, h := range frames {
		id, ok := x.find(h, b)
		if !ok {
			continue
		}
		switch o := x.owner[id]; {
		case o == sharedOwner:
			p := x.shared[id]
			if i, found := slices.BinarySearch(p, num); found {
				p = slices.Delete(p, i, i+1)
			}
			if len(p) > 1 {
				x.shared[id] = p
				continue
			}
			delete(x.shared, id)
			x.owner[id] = p[0]
			continue
		case o != num:
			continue
		}
		x.owner[id] = 0
		switch {
		case b == nil:
			x.mih.Remove(id)
			x.free = append(x.free, id)
		case b.added[h] == id:
			delete(b.added, h)
			b.cancelled[id] = true
			b.freed = append(b.freed, id)
		default:
			b.remove = append(b.remove, id)
			b.freed = append(b.freed, id)
		}
	}
	delete(x.videos, num)
}

// flush makes b's MIH changes (load loads an empty index), then lets its
// freed ids be reused.
func (x *frameIndex) flush(ctx context.Context, b *frameBatch, load bool) error {
	ids, codes := b.ids, b.codes
	if len(b.cancelled) > 0 {
		ids, codes = nil, nil
		for i, id := range b.ids {
			if !b.cancelled[id] {
				ids = append(ids, id)
				codes = append(codes, b.codes[4*i:4*i+4]...)
			}
		}
	}
	var err error
	if load {
		err = x.mih.Load(ctx, ids, codes)
	} else if err = x.mih.Update(ctx, b.remove, ids, codes); err != nil {
		// Nothing cancels the context and the codes are 256-bit; were it
		// to fail, the frames would go in one by one.
		for _, id := range b.remove {
			x.mih.Remove(id)
		}
		for i, id := range ids {
			_ = x.mih.Add(id, codes[4*i:4*i+4])
		}
		err = nil
	}
	x.free = append(x.free, b.freed...)
	return err
}

// apply follows the commit of change seq, under the write lock. A
// commit adding more frames than the MIH's pending buffer holds, and at
// least a quarter of what it holds, is applied with one rebuild of its
// tables (see [indexes.large]).
func (x *frameIndex) apply(ops []videoOp, seq uint64) {
	n := 0
	for _, op := range ops {
		if !op.remove {
			n += len(op.frames)
		}
	}
	var b *frameBatch
	if n > indexPending && n >= x.mih.Len()/4 {
		b = newFrameBatch()
	}
	x.mu.Lock()
	for _, op := range ops {
		if op.remove {
			x.remove(op.num, op.frames, b)
		} else {
			x.add(op.num, op.frames, b)
		}
	}
	if b != nil {
		_ = x.flush(context.Background(), b, false) // cannot fail (see flush)
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

// allItems returns the numbers of every live item with a video hash.
func (x *frameIndex) allItems() []uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	nums := make([]uint64, 0, len(x.videos))
	for n := range x.videos {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	return nums
}

// candidates returns the numbers of the items holding a frame within
// radius of some probe, ascending. An id the index reused since the
// search names another item: a candidate too many, which scoring drops.
func (x *frameIndex) candidates(ctx context.Context, probes []vpdq.Frame, radius int) ([]uint64, error) {
	queries := make([][]uint64, len(probes))
	for i := range probes {
		w := probes[i].Words()
		queries[i] = w[:]
	}
	found, err := match.SearchBatch(ctx, x.mih, queries, radius)
	if err != nil {
		return nil, err
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	seen := make(map[uint64]bool)
	var nums []uint64
	for _, rs := range found {
		for _, r := range rs {
			if r.ID >= uint64(len(x.owner)) {
				continue
			}
			for _, n := range x.holders(r.ID) {
				if !seen[n] {
					seen[n] = true
					nums = append(nums, n)
				}
			}
		}
	}
	slices.Sort(nums)
	return nums, nil
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
	b := newFrameBatch()
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
			x.add(num, indexedFrames(h), b)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := x.flush(ctx, b, true); err != nil {
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
