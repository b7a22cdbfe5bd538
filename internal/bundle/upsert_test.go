package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// upsertItems are items to write both ways: all valid under lim.
func upsertItems(lim Limits) []*pb.Item {
	var items []*pb.Item
	add := func(edit func(it *pb.Item)) {
		it := testItem(fmt.Sprintf("i%d", len(items)))
		edit(it)
		items = append(items, it)
	}
	add(func(*pb.Item) {})
	add(func(it *pb.Item) { it.Signals[0], it.Signals[1] = it.Signals[1], it.Signals[0] })
	add(func(it *pb.Item) { it.Labels[0], it.Labels[1] = it.Labels[1], it.Labels[0] })
	add(func(it *pb.Item) { it.Labels = nil })
	add(func(it *pb.Item) { it.Labels = []string{} })
	add(func(it *pb.Item) { it.Signals = it.Signals[:1] })
	add(func(it *pb.Item) { it.Signals = append(it.Signals, pdq(1)) }) // a duplicate
	add(func(it *pb.Item) { it.Signals = append(it.Signals, pdq(0)) }) // out of order
	add(func(it *pb.Item) {
		it.Signals = append(it.Signals, &pb.Signal{Algorithm: pb.Algorithm_ALGORITHM_PDQ, Value: pdq(1).Value, Unreliable: true})
	})
	add(func(it *pb.Item) {
		it.Source, it.Id, it.Note = "организация", "日本語-🙂", "note \u00e9\u0301 \U0001F600"
		it.Labels = []string{"ключ:значение", "type:画像"}
	})
	add(func(it *pb.Item) {
		it.FirstSeenUnixNano, it.LastSeenUnixNano = -1, 1<<62
		it.Retracted, it.RetractReason = true, "withdrawn"
		it.Tlp = pb.TLP_TLP_RED
	})
	add(func(it *pb.Item) {
		it.Signals = nil
		for i := range lim.MaxSignals {
			it.Signals = append(it.Signals, pdq(byte(lim.MaxSignals-i))) // descending
		}
		it.Labels = nil
		for i := range lim.MaxLabels {
			it.Labels = append(it.Labels, fmt.Sprintf("%0*d", lim.MaxLabelLen, i))
		}
	})
	for _, a := range []pb.Algorithm{pb.Algorithm_ALGORITHM_PHASH, pb.Algorithm_ALGORITHM_DHASH, pb.Algorithm_ALGORITHM_AHASH, pb.Algorithm_ALGORITHM_SHA1, pb.Algorithm_ALGORITHM_SHA256} {
		add(func(it *pb.Item) {
			it.Signals = []*pb.Signal{{Algorithm: a, Value: bytes.Repeat([]byte{byte(a)}, valueLen[a])}}
		})
	}
	// Notes whose lengths take each of the three wrapper lengths across a
	// varint boundary, and the frame to its limit.
	for _, n := range []int{0, 1, 60, 70, 80, 120, 16_200, 16_250, 16_300, 16_350, 16_400} {
		add(func(it *pb.Item) { it.Note = strings.Repeat("n", n) })
	}
	// The largest frames: the last is exactly the limit.
	for n := lim.MaxFrameBytes - frameSize(testItem("i00")) - 10; ; n++ {
		it := testItem(fmt.Sprintf("i%d", len(items)))
		it.Note = strings.Repeat("x", n)
		if size := frameSize(it); size > lim.MaxFrameBytes {
			break
		} else if size > lim.MaxFrameBytes-3 {
			items = append(items, it)
		}
	}
	return items
}

// frameSize is the encoded size of an upsert frame of it, without its
// length prefix.
func frameSize(it *pb.Item) int {
	return proto.Size(&pb.Frame{Frame: &pb.Frame_Entry{Entry: &pb.Entry{Change: &pb.Entry_Upsert{Upsert: it}}}})
}

// TestAppendUpsert writes the same items with Write and with AppendUpsert
// and WriteFrame: the frames, hashes and whole bundles must be identical.
func TestAppendUpsert(t *testing.T) {
	lim := Limits{MaxFrameBytes: 20_000, MaxSignals: 5, MaxLabels: 4, MaxLabelLen: 32}
	items := upsertItems(lim)
	for _, gz := range []bool{false, true} {
		t.Run(fmt.Sprintf("gzip=%v", gz), func(t *testing.T) {
			opts := &WriterOptions{Gzip: gz, Limits: &lim}
			var slow, fast bytes.Buffer
			ws, err := NewWriter(&slow, testHeader(), testKey, opts)
			if err != nil {
				t.Fatal(err)
			}
			wf, err := NewWriter(&fast, testHeader(), testKey, opts)
			if err != nil {
				t.Fatal(err)
			}
			if last := items[len(items)-1]; frameSize(last) != lim.MaxFrameBytes {
				t.Fatalf("the largest item's frame is %d bytes, want %d", frameSize(last), lim.MaxFrameBytes)
			}
			var set, fastSet SetDigest
			buf := []byte("junk before")
			for i, it := range items {
				e := &pb.Entry{Change: &pb.Entry_Upsert{Upsert: it}}
				want := mustMarshal(t, &pb.Frame{Frame: &pb.Frame_Entry{Entry: e}})
				want = append(protowire.AppendVarint(nil, uint64(len(want))), want...)
				before := proto.Clone(it)
				b, h, err := wf.AppendUpsert(buf, it)
				if err != nil {
					t.Fatalf("item %d: %v", i, err)
				}
				if !bytes.HasPrefix(b, buf) || !bytes.Equal(b[len(buf):], want) {
					t.Fatalf("item %d: frame\n%x\nwant\n%x", i, b[len(buf):], want)
				}
				if h != ItemHash(it) {
					t.Fatalf("item %d: hash %x, ItemHash %x", i, h, ItemHash(it))
				}
				if !proto.Equal(it, before) || !bytes.Equal(mustMarshal(t, it), mustMarshal(t, before)) {
					t.Fatalf("item %d changed", i)
				}
				if err := wf.WriteFrame(b[len(buf):]); err != nil {
					t.Fatalf("item %d: %v", i, err)
				}
				if err := ws.Write(e); err != nil {
					t.Fatalf("item %d: %v", i, err)
				}
				set.Add(ItemHash(it))
				fastSet.Add(h)
			}
			// A retraction between, written the ordinary way.
			for _, w := range []*Writer{ws, wf} {
				if err := w.Write(testEntries()[1]); err != nil {
					t.Fatal(err)
				}
			}
			ds, err := ws.Close(set)
			if err != nil {
				t.Fatal(err)
			}
			df, err := wf.Close(fastSet)
			if err != nil {
				t.Fatal(err)
			}
			if ds != df || !bytes.Equal(slow.Bytes(), fast.Bytes()) {
				t.Fatalf("bundles differ: %d bytes %v, %d bytes %v", slow.Len(), ds, fast.Len(), df)
			}
			r, got, err := readAll(fast.Bytes(), &lim)
			if err != nil || len(got) != len(items)+1 || r.SetDigest() != set {
				t.Fatalf("reading back: %d entries, %v", len(got), err)
			}
		})
	}
}

// TestAppendUpsertRefuses checks AppendUpsert refuses what Write refuses,
// with the same error, and that the refusal leaves the bundle intact.
func TestAppendUpsertRefuses(t *testing.T) {
	lim := Limits{MaxFrameBytes: 400, MaxSignals: 2, MaxLabels: 2, MaxLabelLen: 12}
	bad := []struct {
		name string
		edit func(it *pb.Item)
		want error
	}{
		{"no source", func(it *pb.Item) { it.Source = "" }, ErrMalformed},
		{"no id", func(it *pb.Item) { it.Id = "" }, ErrMalformed},
		{"no signals", func(it *pb.Item) { it.Signals = nil }, ErrMalformed},
		{"video without qualities", func(it *pb.Item) { it.Video = &pb.VideoHash{Hashes: make([]byte, 32)} }, ErrMalformed},
		{"tmk of a short average", func(it *pb.Item) { it.Tmk = &pb.TMKHash{Average: make([]byte, 4)} }, ErrMalformed},
		{"video of partial hashes", func(it *pb.Item) { it.Video = &pb.VideoHash{Hashes: make([]byte, 33), Qualities: []byte{1}} }, ErrMalformed},
		{"video with too few frame numbers", func(it *pb.Item) {
			it.Video = &pb.VideoHash{Hashes: make([]byte, 64), Qualities: []byte{1, 2}, FrameDeltas: []int64{1}}
		}, ErrMalformed},
		{"too many signals", func(it *pb.Item) { it.Signals = append(it.Signals, pdq(3)) }, ErrLimit},
		{"too many labels", func(it *pb.Item) { it.Labels = append(it.Labels, "z") }, ErrLimit},
		{"label too long", func(it *pb.Item) { it.Labels[1] = "type:animated" }, ErrLimit},
		{"empty label", func(it *pb.Item) { it.Labels[0] = "" }, ErrLimit},
		{"no TLP", func(it *pb.Item) { it.Tlp = 0 }, ErrMalformed},
		{"unknown TLP", func(it *pb.Item) { it.Tlp = 6 }, ErrMalformed},
		{"unknown algorithm", func(it *pb.Item) { it.Signals[1].Algorithm = 8 }, ErrMalformed},
		{"short signal", func(it *pb.Item) { it.Signals[0].Value = it.Signals[0].Value[1:] }, ErrMalformed},
		{"unknown item field", func(it *pb.Item) { it.ProtoReflect().SetUnknown(withUnknown(nil)) }, ErrMalformed},
		{"unknown signal field", func(it *pb.Item) { it.Signals[0].ProtoReflect().SetUnknown(withUnknown(nil)) }, ErrMalformed},
		{"invalid UTF-8", func(it *pb.Item) { it.Note = "\xff" }, nil},
		{"frame too big", func(it *pb.Item) { it.Note = strings.Repeat("x", 400-frameSize(testItem("i"))+1) }, ErrLimit},
	}
	var slow, fast bytes.Buffer
	opts := &WriterOptions{Limits: &lim}
	ws, err := NewWriter(&slow, testHeader(), testKey, opts)
	if err != nil {
		t.Fatal(err)
	}
	wf, err := NewWriter(&fast, testHeader(), testKey, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range append(bad, struct {
		name string
		edit func(it *pb.Item)
		want error
	}{"nil item", nil, ErrMalformed}) {
		var it *pb.Item
		if tt.edit != nil {
			it = testItem("i")
			tt.edit(it)
		}
		dst := []byte{1, 2, 3}
		b, h, err := wf.AppendUpsert(dst, it)
		werr := ws.Write(&pb.Entry{Change: &pb.Entry_Upsert{Upsert: it}})
		switch {
		case err == nil || werr == nil || err.Error() != werr.Error():
			t.Errorf("%s: AppendUpsert: %v; Write: %v", tt.name, err, werr)
		case !errors.Is(err, ErrInvalid) || tt.want != nil && !errors.Is(err, tt.want):
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		case !bytes.Equal(b, dst) || len(b) != len(dst) || h != [32]byte{}:
			t.Errorf("%s: returned %x, %x", tt.name, b, h)
		}
	}
	// The limit on entries.
	lim.MaxEntries = 1
	ws, _ = NewWriter(&slow, testHeader(), testKey, opts)
	wf, _ = NewWriter(&fast, testHeader(), testKey, opts)
	it := testItem("ok")
	b, _, err := wf.AppendUpsert(nil, it)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		err, werr := wf.WriteFrame(b), ws.Write(&pb.Entry{Change: &pb.Entry_Upsert{Upsert: it}})
		switch {
		case i == 0 && (err != nil || werr != nil):
			t.Fatalf("first entry: %v, %v", err, werr)
		case i == 1 && (err == nil || werr == nil || err.Error() != werr.Error() || !errors.Is(err, ErrLimit)):
			t.Fatalf("second entry: WriteFrame %v, Write %v", err, werr)
		}
	}
	slow.Reset()
	fast.Reset()
	if _, err := ws.Close(SetDigest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := wf.Close(SetDigest{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(slow.Bytes(), fast.Bytes()) {
		t.Fatal("bundles differ")
	}
	if err, werr := wf.WriteFrame(b), ws.Write(testEntries()[0]); err == nil || err != werr {
		t.Fatalf("after Close: WriteFrame %v, Write %v", err, werr)
	}
}

func TestWriteFrameRefuses(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testHeader(), testKey, &WriterOptions{Limits: &Limits{MaxFrameBytes: 200}})
	if err != nil {
		t.Fatal(err)
	}
	good, _, err := w.AppendUpsert(nil, testItem("i"))
	if err != nil {
		t.Fatal(err)
	}
	_, p := protowire.ConsumeVarint(good)
	body := good[p:]
	framed := func(b []byte) []byte { return protowire.AppendBytes(nil, b) }
	entry := func(b []byte) []byte { return framed(protowire.AppendBytes([]byte{tagFrameEntry}, b)) }
	_, q := protowire.ConsumeVarint(body[1:])
	upsert := body[1+q:] // the Entry: tag, length, item
	big := testItem("big")
	big.Note = strings.Repeat("x", 200)
	tooBig, _, err := (&Writer{lim: DefaultLimits()}).AppendUpsert(nil, big)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		frame []byte
		want  error
	}{
		{"empty", nil, ErrInvalid},
		{"no body", []byte{0}, ErrInvalid},
		{"short", good[:len(good)-1], ErrInvalid},
		{"long", append(bytes.Clone(good), 0), ErrInvalid},
		{"overlong prefix", append([]byte{0x80 | byte(len(body)), 0}, body...), ErrInvalid},
		{"header", framed(headerFrame(t, testHeader())), ErrInvalid},
		{"two fields", framed(append(bytes.Clone(body), body...)), ErrInvalid},
		{"two changes", entry(append(bytes.Clone(upsert), upsert...)), ErrInvalid},
		{"change as a varint", entry([]byte{0x08, 0x01}), ErrInvalid},
		{"unknown change", entry(protowire.AppendBytes([]byte{4<<3 | 2}, upsert[2:])), ErrInvalid},
		{"empty entry", entry(nil), ErrInvalid},
		{"too big", tooBig, ErrLimit},
	} {
		if err := w.WriteFrame(tt.frame); !errors.Is(err, tt.want) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	// The refusals left the bundle intact.
	if err := w.WriteFrame(good); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(SetDigest{}); err != nil {
		t.Fatal(err)
	}
	if _, got, err := readAll(buf.Bytes(), nil); err != nil || len(got) != 1 || !proto.Equal(got[0].GetUpsert(), testItem("i")) {
		t.Fatalf("%d entries, %v", len(got), err)
	}
}

// AppendUpsert does not allocate when its buffer has room and the item's
// lists are in order.
func TestAppendUpsertAllocs(t *testing.T) {
	w := &Writer{lim: DefaultLimits()}
	it := testItem("i")
	buf := make([]byte, 0, 1024)
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		if buf, _, err = w.AppendUpsert(buf[:0], it); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per item", allocs)
	}
}
