package store

import (
	"bytes"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// The decoders of the store's own records never panic, and what they
// accept encodes back to the same bytes.

func FuzzDecodeJournal(f *testing.F) {
	f.Add(Journal{Seq0: 7, Num0: 3}.Encode())
	f.Add([]byte("short"))
	f.Fuzz(func(t *testing.T, v []byte) {
		j, err := DecodeJournal(v)
		if err != nil {
			return
		}
		if !bytes.Equal(j.Encode(), v) {
			t.Errorf("journal %x decodes to %+v, which encodes to %x", v, j, j.Encode())
		}
	})
}

func FuzzDecodeUndo(f *testing.F) {
	f.Add(appendUndo(nil, nil))
	f.Add(appendUndo(nil, []byte("old")))
	f.Add([]byte{2, 1})
	f.Fuzz(func(t *testing.T, u []byte) {
		old, existed, err := DecodeUndo(u)
		if err != nil {
			return
		}
		if !existed {
			old = nil
		}
		if got := appendUndo(nil, old); !bytes.Equal(got, u) {
			t.Errorf("undo record %x decodes to %q, %v, which encodes to %x", u, old, existed, got)
		}
	})
}

func FuzzParseItemKey(f *testing.F) {
	f.Add(ItemKey("src", "id"))
	f.Add(CopyKey("src", "id", "peer"))
	f.Add([]byte{0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		source, id, via, err := ParseItemKey(b)
		if err != nil {
			return
		}
		if strings.IndexByte(via, 0) >= 0 {
			return // a via holding 0x00 is the caller's to refuse
		}
		if got := CopyKey(source, id, via); !bytes.Equal(got, b) && len(b) > 0 && b[0] < 0x80 {
			t.Errorf("key %x parses to %q, %q, %q, which encodes to %x", b, source, id, via, got)
		}
		if !bytes.HasPrefix(b, SourcePrefix(source)) && len(b) > 0 && b[0] < 0x80 {
			t.Errorf("key %x does not start with its source's prefix", b)
		}
	})
}

func FuzzRecordSeq(f *testing.F) {
	v, _ := marshal.Marshal(&pb.ItemRecord{Item: &pb.Item{Note: "n"}, Number: 4, Seq: 9})
	f.Add(v)
	f.Add([]byte{0x18})
	f.Fuzz(func(t *testing.T, v []byte) {
		seq, err := RecordSeq(v)
		if err != nil {
			return
		}
		var r pb.ItemRecord
		if proto.Unmarshal(v, &r) == nil && r.GetSeq() != seq {
			t.Errorf("record %x: RecordSeq %d, proto says %d", v, seq, r.GetSeq())
		}
	})
}
