package hashdb

import (
	"errors"
	"testing"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/internal/store"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// FuzzDecodeRecord feeds arbitrary keys and values to the item decoder:
// it must reject them with ErrCorrupt or return an item that re-encodes to
// the same record.
func FuzzDecodeRecord(f *testing.F) {
	it, _ := storedLimits.normalize(testItem("a", 1))
	it.Unreliable = it.Signals[:1]
	it.FirstSeen, it.LastSeen = t0, t0
	v, _ := encodeRecord(&record{Item: it, num: 1, seq: 1})
	f.Add(itemKey(it.Key), v)
	f.Add([]byte{0}, []byte{})
	f.Add([]byte{5, 'l'}, v)
	f.Fuzz(func(t *testing.T, key, val []byte) {
		r, err := decodeRecord(key, val)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		v2, err := encodeRecord(&r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := decodeRecord(itemKey(r.Key), v2)
		if err != nil || !sameItem(&r.Item, &r2.Item) || r.num != r2.num || r.seq != r2.seq {
			t.Fatalf("re-encoded record decodes to %+v, %v; want %+v", r2, err, r)
		}
	})
}

// FuzzDecodeChange checks the change log decoder.
func FuzzDecodeChange(f *testing.F) {
	c, _ := marshal.Marshal(&pb.Change{Seq: 3, Kind: pb.ChangeKind_CHANGE_KIND_ADD, Item: &pb.ItemKey{Source: "s", Id: "i"}, PrevSeq: 1})
	f.Add(uint64(3), c)
	o, _ := marshal.Marshal(&pb.Change{Seq: 4, Kind: pb.ChangeKind_CHANGE_KIND_OPINION, Opinion: opinionToProto(&Opinion{Signal: testSignal(signal.MD5, 1), Verdict: FalsePositive})})
	f.Add(uint64(4), o)
	f.Fuzz(func(t *testing.T, seq uint64, val []byte) {
		ch, err := decodeChange(store.SeqKey(seq), val)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if ch.Seq != seq || ch.Prev >= seq || ch.Kind < KindAdd || ch.Kind > KindOpinion {
			t.Fatalf("accepted change %+v at %d", ch, seq)
		}
	})
}

// FuzzDecodeOpinion checks the opinion decoder: what it accepts is stored
// under its own key and re-encodes the same.
func FuzzDecodeOpinion(f *testing.F) {
	op := Opinion{Key: Key{Source: "local", ID: "x"}, Verdict: Confirmed, Org: "local", Time: t0, Reason: "r"}
	v, _ := marshal.Marshal(&pb.OpinionRecord{Opinion: opinionToProto(&op), Seq: 2})
	f.Add(opinionKey(&op), v)
	f.Fuzz(func(t *testing.T, key, val []byte) {
		op, seq, err := decodeOpinion(key, val)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if string(opinionKey(&op)) != string(key) || seq == 0 {
			t.Fatalf("accepted opinion %+v under key %q", op, key)
		}
		v2, _ := marshal.Marshal(&pb.OpinionRecord{Opinion: opinionToProto(&op), Seq: seq})
		if op2, _, err := decodeOpinion(key, v2); err != nil || op2 != op {
			t.Fatalf("re-encoded opinion decodes to %+v, %v; want %+v", op2, err, op)
		}
	})
}

// FuzzDecodePeer checks the peer decoder.
func FuzzDecodePeer(f *testing.F) {
	v, _ := marshal.Marshal(peerToProto(&Peer{ID: "p", Name: "P", Policy: Policy{MaxTLP: tlp.Green}}))
	f.Add([]byte("p"), v)
	f.Fuzz(func(t *testing.T, key, val []byte) {
		p, err := decodePeer(key, val)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if err := validatePeer(&p); err != nil || p.ID != string(key) {
			t.Fatalf("accepted invalid peer %+v: %v", p, err)
		}
	})
}

// FuzzValidateLabel checks the label rules against a direct restatement.
func FuzzValidateLabel(f *testing.F) {
	for _, s := range []string{"type:video", "incident:christchurch-2019", "", ":", "A", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateLabel(s)
		ok := len(s) > 0 && len(s) <= MaxLabelLen && s[0] != ':' && s[len(s)-1] != ':'
		for _, c := range []byte(s) {
			ok = ok && (c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == ':' || c == '.' || c == '-')
		}
		if (err == nil) != ok {
			t.Fatalf("ValidateLabel(%q) = %v, want ok %v", s, err, ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidLabel) {
			t.Fatalf("error %v does not wrap ErrInvalidLabel", err)
		}
	})
}
