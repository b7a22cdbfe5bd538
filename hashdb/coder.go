package hashdb

import (
	"google.golang.org/protobuf/encoding/protowire"

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
		Retracted:         it.Retracted,
		RetractReason:     it.RetractReason,
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
// would first store it. It writes the protobuf encoding itself, field by
// field in field number order, leaving out zero values, as deterministic
// marshalling does: it runs once per imported item, and marshalling the
// generated structs cost several times as much.
func preEncode(it Item, nowNs int64, actor string) preEncoded {
	r := record{Item: it}
	firstStored(&r, nowNs)
	item := appendStoredItem(nil, &r.Item)
	kind := pb.ChangeKind_CHANGE_KIND_ADD
	if it.Retracted {
		kind = pb.ChangeKind_CHANGE_KIND_RETRACT
	}
	n := protowire.SizeTag(1) + protowire.SizeBytes(len(item))
	buf := make([]byte, 0, n+64+len(actor)+len(it.Source)+len(it.ID)+len(it.RetractReason))
	buf = protowire.AppendBytes(protowire.AppendTag(buf, 1, protowire.BytesType), item)
	pre := preEncoded{item: buf[:n:n]}
	ch := buf[n:]
	ch = appendVarintField(ch, 2, uint64(nowNs))
	ch = appendStringField(ch, 3, actor)
	ch = appendVarintField(ch, 4, uint64(kind))
	key := appendStringField(appendStringField(nil, 1, it.Source), 2, it.ID)
	ch = protowire.AppendBytes(protowire.AppendTag(ch, 5, protowire.BytesType), key)
	if kind == pb.ChangeKind_CHANGE_KIND_RETRACT {
		ch = appendStringField(ch, 6, it.RetractReason)
	}
	pre.change = ch
	return pre
}

// appendStoredItem appends the encoding of it as the items bucket stores
// it: pb.Item without its key.
func appendStoredItem(b []byte, it *Item) []byte {
	for _, s := range it.Signals {
		var sig []byte
		var val [32]byte
		sig = appendVarintField(sig, 1, uint64(s.Algorithm()))
		sig = protowire.AppendBytes(protowire.AppendTag(sig, 2, protowire.BytesType), s.AppendBytes(val[:0]))
		if it.IsUnreliable(s) {
			sig = appendVarintField(sig, 3, 1)
		}
		b = protowire.AppendBytes(protowire.AppendTag(b, 3, protowire.BytesType), sig)
	}
	for _, l := range it.Labels {
		b = protowire.AppendString(protowire.AppendTag(b, 4, protowire.BytesType), l)
	}
	b = appendVarintField(b, 5, uint64(it.TLP))
	b = appendVarintField(b, 6, uint64(unixNano(it.FirstSeen)))
	b = appendVarintField(b, 7, uint64(unixNano(it.LastSeen)))
	b = appendStringField(b, 8, it.Note)
	if it.Retracted {
		b = appendVarintField(b, 9, 1)
	}
	return appendStringField(b, 10, it.RetractReason)
}

// appendVarintField appends field num with varint value v, unless v is 0.
func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
}

// appendStringField appends field num with string value s, unless s is
// empty.
func appendStringField(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	return protowire.AppendString(protowire.AppendTag(b, num, protowire.BytesType), s)
}

// putNew stores the new item r, whose encoded key is ik and number is
// set, from its pre-encoded records.
func (w *writer) putNew(ik []byte, r *record, pre *preEncoded) error {
	seq := w.meta.GetLastSeq() + 1
	w.meta.LastSeq = seq
	r.seq = seq
	c := w.t.Alloc(1 + protowire.SizeVarint(seq) + len(pre.change))
	c = protowire.AppendVarint(protowire.AppendTag(c[:0], 1, protowire.VarintType), seq)
	c = append(c, pre.change...)
	v := w.t.Alloc(len(pre.item) + 2 + protowire.SizeVarint(r.num) + protowire.SizeVarint(seq))
	v = append(v[:0], pre.item...)
	v = protowire.AppendVarint(protowire.AppendTag(v, 2, protowire.VarintType), r.num)
	v = protowire.AppendVarint(protowire.AppendTag(v, 3, protowire.VarintType), seq)
	if err := w.log.Put(store.SeqKey(seq), c); err != nil {
		return err
	}
	return w.items.PutNew(ik, v)
}
