package hashdb

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/hashdb/tmk"
	"github.com/hashshare/hashshare/internal/store"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// Keys are laid out by internal/store (see [store.ItemKey] and
// [store.ItemOpinionPrefix]).
// itemKey encodes k as the items bucket's key.
func itemKey(k Key) []byte { return store.CopyKey(k.Source, k.ID, k.Via) }

// parseItemKey decodes an items bucket key and checks the key it holds.
func parseItemKey(b []byte) (Key, error) {
	source, id, via, err := store.ParseItemKey(b)
	if err != nil {
		return Key{}, err
	}
	k := Key{Source: source, ID: id, Via: via}
	if err := k.validate(); err != nil {
		return Key{}, fmt.Errorf("%w: item key %q: %v", ErrCorrupt, b, err)
	}
	return k, nil
}

// unixNano and fromUnixNano convert times; the zero time is 0.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// signalToProto converts s; unreliable sets its flag.
func signalToProto(s signal.Signal, unreliable bool) *pb.Signal {
	return &pb.Signal{Algorithm: pb.Algorithm(s.Algorithm()), Value: s.Bytes(), Unreliable: unreliable}
}

func signalFromProto(p *pb.Signal) (signal.Signal, error) {
	a := p.GetAlgorithm()
	if a < 0 || a > 255 {
		return signal.Signal{}, fmt.Errorf("%w: %w: %d", signal.ErrInvalid, signal.ErrUnknownAlgorithm, a)
	}
	return signal.New(signal.Algorithm(a), p.GetValue())
}

// itemToProto converts a normalized item to its wire form.
func itemToProto(it *Item) *pb.Item {
	p := new(coder).itemProto(it)
	p.Source, p.Id = it.Source, it.ID
	return p
}

// itemFromProto converts the wire form to an item, without validating
// what [Options.normalize] checks.
func itemFromProto(p *pb.Item) (Item, error) {
	it := Item{
		Key:           Key{Source: p.GetSource(), ID: p.GetId()},
		Labels:        p.GetLabels(),
		TLP:           tlp.Level(p.GetTlp()),
		FirstSeen:     fromUnixNano(p.GetFirstSeenUnixNano()),
		LastSeen:      fromUnixNano(p.GetLastSeenUnixNano()),
		Note:          p.GetNote(),
		ContentType:   ContentType(p.GetContentType()),
		Retracted:     p.GetRetracted(),
		RetractReason: p.GetRetractReason(),
	}
	if p.GetTlp() < 0 || p.GetTlp() > 255 {
		it.TLP = 0
	}
	if c := p.GetContentType(); c < 0 || c > 255 {
		it.ContentType = 0xff // invalid, as normalize will say
	}
	v, err := videoFromProto(p.GetVideo())
	if err != nil {
		return Item{}, err
	}
	it.Video = v
	if it.TMK, err = tmk.FromProto(p.GetTmk()); err != nil {
		return Item{}, fmt.Errorf("tmk hash: %w", err)
	}
	it.Signals = make([]signal.Signal, 0, len(p.GetSignals()))
	for i, ps := range p.GetSignals() {
		s, err := signalFromProto(ps)
		if err != nil {
			return Item{}, fmt.Errorf("signal %d: %w", i, err)
		}
		it.Signals = append(it.Signals, s)
		if ps.GetUnreliable() {
			it.Unreliable = append(it.Unreliable, s)
		}
	}
	return it, nil
}

// record is an item as stored, with its internal number and the sequence
// number of its last change.
type record struct {
	Item
	num uint64
	seq uint64
}

var marshal = proto.MarshalOptions{Deterministic: true}

// encodeRecord encodes r as the items bucket's value. The key is not
// repeated in the value.
func encodeRecord(r *record) ([]byte, error) {
	return marshal.Marshal(new(coder).rec(r))
}

// decodeRecord decodes an items bucket entry and checks that it is one the
// database could have written. Errors wrap [ErrCorrupt].
func decodeRecord(key, val []byte) (record, error) {
	k, err := parseItemKey(key)
	if err != nil {
		return record{}, err
	}
	var p pb.ItemRecord
	if err := proto.Unmarshal(val, &p); err != nil {
		return record{}, fmt.Errorf("%w: item %s: %v", ErrCorrupt, k, err)
	}
	if p.GetItem().GetSource() != "" || p.GetItem().GetId() != "" {
		return record{}, fmt.Errorf("%w: item %s: record repeats its key", ErrCorrupt, k)
	}
	it, err := itemFromProto(p.GetItem())
	if err != nil {
		return record{}, fmt.Errorf("%w: item %s: %v", ErrCorrupt, k, err)
	}
	it.Key = k
	if err := checkStored(&it); err != nil {
		return record{}, fmt.Errorf("%w: item %s: %v", ErrCorrupt, k, err)
	}
	if p.GetNumber() == 0 || p.GetSeq() == 0 {
		return record{}, fmt.Errorf("%w: item %s: no number or sequence", ErrCorrupt, k)
	}
	return record{Item: it, num: p.GetNumber(), seq: p.GetSeq()}, nil
}

// checkStored checks a decoded item against the invariants normalize
// establishes, under the widest limits any database allows.
func checkStored(it *Item) error {
	n, err := storedLimits.normalize(*it)
	if err != nil {
		return err
	}
	if !sameItem(&n, it) {
		return fmt.Errorf("not in canonical form")
	}
	return nil
}

// storedLimits are the widest limits Options allow: what any database may
// have stored.
var storedLimits = Options{MaxSignals: 1 << 16, MaxLabels: 1 << 16, MaxLabelLen: MaxLabelLen, MaxNoteLen: maxNoteLen}
