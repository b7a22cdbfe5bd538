package hashdb

import (
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/hashshare/hashshare/hashdb/tmk"
	"github.com/hashshare/hashshare/internal/store"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// A coder holds the wire forms records are encoded through, reused from
// one record to the next: Marshal only reads them, and copies out.
type coder struct {
	change pb.Change
	ikey   pb.ItemKey
	record pb.ItemRecord
	item   pb.Item
	sigs   []pb.Signal
	psigs  []*pb.Signal
	vals   []byte // the signals' values, back to back
}

// rec returns the wire form of the items bucket value of r: the item
// without its key, which is the bucket's key.
func (c *coder) rec(r *record) *pb.ItemRecord {
	c.record = pb.ItemRecord{Item: c.itemProto(&r.Item), Number: r.num, Seq: r.seq}
	return &c.record
}

// itemProto returns the wire form of it without its key, in c's scratch:
// valid until c's next use.
func (c *coder) itemProto(it *Item) *pb.Item {
	n := len(it.Signals)
	if cap(c.sigs) < n {
		c.sigs = make([]pb.Signal, n)
		c.psigs = make([]*pb.Signal, n)
	}
	c.sigs, c.psigs = c.sigs[:n], c.psigs[:n]
	c.vals = c.vals[:0]
	for i := range it.Signals {
		c.vals = it.Signals[i].AppendBytes(c.vals)
	}
	off := 0
	for i, s := range it.Signals {
		end := off + s.Algorithm().Bits()/8
		c.sigs[i] = pb.Signal{Algorithm: pb.Algorithm(s.Algorithm()), Value: c.vals[off:end:end], Unreliable: it.IsUnreliable(s)}
		c.psigs[i] = &c.sigs[i]
		off = end
	}
	c.item = pb.Item{
		Signals:           c.psigs,
		Labels:            it.Labels,
		Tlp:               pb.TLP(it.TLP),
		FirstSeenUnixNano: unixNano(it.FirstSeen),
		LastSeenUnixNano:  unixNano(it.LastSeen),
		Note:              it.Note,
		ContentType:       pb.ContentType(it.ContentType),
		Retracted:         it.Retracted,
		RetractReason:     it.RetractReason,
		Video:             videoToProto(it.Video),
		Tmk:               tmk.ToProto(it.TMK),
	}
	return &c.item
}

// firstStored sets the times of an item stored for the first time, at
// nowNs: first seen now unless it says otherwise (and never after it was
// last seen), last seen when first seen unless it says.
func firstStored(r *record, nowNs int64) {
	if r.FirstSeen.IsZero() {
		r.FirstSeen = fromUnixNano(nowNs)
		if !r.LastSeen.IsZero() && r.LastSeen.Before(r.FirstSeen) {
			r.FirstSeen = r.LastSeen
		}
	}
	if r.LastSeen.IsZero() {
		r.LastSeen = r.FirstSeen
	}
}

// A preEncoded item holds the parts of a new item's records that do not
// depend on the number and sequence number the write gives it: Import
// encodes them on its preparing goroutine, ahead of the writer, which
// then only appends those two numbers. Protobuf's deterministic encoding
// writes fields in field number order, so the result is byte for byte
// what encoding the whole records gives (TestPreEncoded).
type preEncoded struct {
	item   []byte // ItemRecord field 1, the item
	change []byte // Change fields 2 on: time, actor, kind, item, reason
}

// preEncode encodes the normalized item it as a write at nowNs by actor
// would first store it, through c's reused messages: the records without
// their numbers, which, being zero, are left out.
func (c *coder) preEncode(it Item, nowNs int64, actor string) (preEncoded, error) {
	r := record{Item: it}
	firstStored(&r, nowNs)
	c.record = pb.ItemRecord{Item: c.itemProto(&r.Item)}
	buf, err := marshal.MarshalAppend(make([]byte, 0, 256), &c.record)
	if err != nil {
		return preEncoded{}, err
	}
	n := len(buf)
	c.ikey = pb.ItemKey{Source: it.Source, Id: it.ID, Via: it.Via}
	c.change = pb.Change{TimeUnixNano: nowNs, Actor: actor, Kind: pb.ChangeKind_CHANGE_KIND_ADD, Item: &c.ikey}
	if it.Retracted {
		c.change.Kind, c.change.Reason = pb.ChangeKind_CHANGE_KIND_RETRACT, it.RetractReason
	}
	if buf, err = marshal.MarshalAppend(buf, &c.change); err != nil {
		return preEncoded{}, err
	}
	return preEncoded{item: buf[:n:n], change: buf[n:len(buf):len(buf)]}, nil
}

// putNew stores the new item r, whose encoded key is ik and number is
// set, from its pre-encoded records.
func (w *writer) putNew(ik []byte, r *record, pre *preEncoded) error {
	seq := w.meta.GetLastSeq() + 1
	w.meta.LastSeq = seq
	r.seq = seq
	c := w.t.Alloc(1 + protowire.SizeVarint(seq) + len(pre.change) + 2 + len(w.origin))
	c = protowire.AppendVarint(protowire.AppendTag(c[:0], 1, protowire.VarintType), seq)
	c = append(c, pre.change...)
	if w.origin != "" {
		// Change.origin, field 9: the last, as Marshal orders it.
		c = protowire.AppendString(protowire.AppendTag(c, 9, protowire.BytesType), w.origin)
	}
	v := w.t.Alloc(len(pre.item) + 2 + protowire.SizeVarint(r.num) + protowire.SizeVarint(seq))
	v = append(v[:0], pre.item...)
	v = protowire.AppendVarint(protowire.AppendTag(v, 2, protowire.VarintType), r.num)
	v = protowire.AppendVarint(protowire.AppendTag(v, 3, protowire.VarintType), seq)
	if err := w.log.Put(store.SeqKey(seq), c); err != nil {
		return err
	}
	return w.items.PutNew(ik, v)
}
