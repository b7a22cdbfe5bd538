package hashdb

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/hashshare/hashshare/hashdb/signal"

	"google.golang.org/protobuf/proto"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// Record keys. Every variable-length part that is followed by another is
// length-prefixed, so no key is a prefix of another's parts and a prefix
// scan finds exactly what it asks for.
//
//	items:    uvarint(len source) source id
//	numbers:  big-endian uint64 item number      → item key
//	opinions: 'k' uvarint(len itemkey) itemkey org | 's' algorithm value org
//	changes:  big-endian uint64 sequence number
//	peers:    id

// itemKey encodes k as the items bucket's key.
func itemKey(k Key) []byte {
	b := make([]byte, 0, binary.MaxVarintLen64+len(k.Source)+len(k.ID))
	return appendItemKey(b, k)
}

func appendItemKey(b []byte, k Key) []byte {
	b = binary.AppendUvarint(b, uint64(len(k.Source)))
	b = append(b, k.Source...)
	return append(b, k.ID...)
}

// sourcePrefix is the items bucket's key prefix of every item of source.
func sourcePrefix(source string) []byte {
	b := binary.AppendUvarint(nil, uint64(len(source)))
	return append(b, source...)
}

// parseItemKey decodes an items bucket key.
func parseItemKey(b []byte) (Key, error) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)-w) {
		return Key{}, fmt.Errorf("%w: item key %q: bad source length", ErrCorrupt, b)
	}
	k := Key{Source: string(b[w : w+int(n)]), ID: string(b[w+int(n):])}
	if err := k.validate(); err != nil {
		return Key{}, fmt.Errorf("%w: item key %q: %v", ErrCorrupt, b, err)
	}
	return k, nil
}

func appendSignal(b []byte, s signal.Signal) []byte {
	b = append(b, byte(s.Algorithm()))
	return s.AppendBytes(b)
}

// seqKey encodes a change sequence number.
func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// numKey encodes an item number as the numbers bucket's key. Numbers come
// from the items bucket's sequence, so new keys append.
func numKey(num uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), num) }

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
		TLP:           TLP(p.GetTlp()),
		FirstSeen:     fromUnixNano(p.GetFirstSeenUnixNano()),
		LastSeen:      fromUnixNano(p.GetLastSeenUnixNano()),
		Note:          p.GetNote(),
		Retracted:     p.GetRetracted(),
		RetractReason: p.GetRetractReason(),
	}
	if p.GetTlp() < 0 || p.GetTlp() > 255 {
		it.TLP = 0
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
