package hashdb

import (
	"fmt"

	"github.com/hashshare/hashshare/internal/bundle"
	"github.com/hashshare/hashshare/internal/pipeline"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// An entry is one staged entry, decoded and, for an upsert, converted,
// normalized and hashed: all that does not need the transaction.
type entry struct {
	frame []byte // as spooled, until decoded
	e     *pb.Entry
	it    Item
	ik    []byte
	hash  [32]byte
	pre   preEncoded
	err   error // from reading the entry back: ends the import
	bad   error // from converting the item: the entry's own error
}

// A preparer is what prepare needs to know of the write.
type preparer struct {
	o        Options
	producer string // the bundle's: it is the via of items of other sources
	nowNs    int64
	actor    string
	coder    // the preparing goroutine's
}

// prepareBatch is how many entries the preparing goroutine takes at a
// time.
const prepareBatch = 256

// prepareAhead is how many batches it may run ahead of the writer:
// enough to keep preparing while the writer waits for a commit to reach
// the disk (16k entries, a few MB).
const prepareAhead = 64

// frames are a verified bundle's entry frames, in order: a [bundle.Spool].
type frames interface {
	Next() ([]byte, error)
	Decode(frame []byte) (*pb.Entry, error)
}

// prepare reads the n spooled entries of st and prepares them on a
// goroutine, ahead of the writer, which gets them in order from the
// pipeline's Next. Reading stops at the first error, carried by the
// entry that met it. The pipeline must be closed.
func prepare(st frames, p *preparer, n uint64) *pipeline.Ordered[entry] {
	read, failed := uint64(0), false
	next := func() (entry, bool) {
		if read == n || failed {
			return entry{}, false
		}
		read++
		var en entry
		en.frame, en.err = st.Next()
		failed = en.err != nil
		return en, true
	}
	return pipeline.New(prepareBatch, prepareAhead, next, func(batch []entry) {
		for i := range batch {
			en := &batch[i]
			if en.err != nil {
				continue
			}
			if en.e, en.err = st.Decode(en.frame); en.err == nil {
				if it := en.e.GetUpsert(); it != nil {
					en.prepareItem(it, p)
				}
			}
			en.frame = nil
		}
	})
}

// prepareItem converts, hashes and pre-encodes the upserted item p.
func (en *entry) prepareItem(p *pb.Item, pr *preparer) {
	it, err := itemFromProto(p)
	if err == nil {
		it, err = pr.o.normalize(it)
	}
	if err != nil {
		en.bad = fmt.Errorf("%w: %s/%s: %v", ErrInvalidItem, p.GetSource(), p.GetId(), err)
		return
	}
	if it.Source != pr.producer {
		// Re-shared: kept apart from the source's own copy.
		it.Via = pr.producer
	}
	en.it, en.ik, en.hash = it, itemKey(it.Key), bundle.ItemHash(p)
	if en.pre, err = pr.preEncode(it, pr.nowNs, pr.actor); err != nil {
		en.bad = fmt.Errorf("%w: %s/%s: %v", ErrInvalidItem, p.GetSource(), p.GetId(), err)
	}
}
