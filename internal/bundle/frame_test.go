package bundle

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// TestFrame checks that Reader.Frame gives each entry's bytes as the
// bundle carries them: they decode to the entry, and laid end to end they
// are the bundle between its header and its trailer.
func TestFrame(t *testing.T) {
	for _, gz := range []bool{false, true} {
		b, _ := write(t, testEntries(), gz)
		plain, _ := write(t, testEntries(), false)
		r, err := NewReader(bytes.NewReader(b), testKeys, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Frame() != nil {
			t.Errorf("gzip=%v: Frame before Next is not nil", gz)
		}
		var frames []byte
		for i := 0; ; i++ {
			e, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeFrame(r.Frame(), nil)
			if err != nil {
				t.Fatalf("gzip=%v: entry %d: %v", gz, i, err)
			}
			if !proto.Equal(got, e) || !proto.Equal(got, testEntries()[i]) {
				t.Errorf("gzip=%v: entry %d: frame decodes to %v, want %v", gz, i, got, e)
			}
			frames = append(frames, r.Frame()...)
		}
		if r.Frame() != nil {
			t.Errorf("gzip=%v: Frame after the end is not nil", gz)
		}
		n, w := protowire.ConsumeVarint(plain)
		if w < 0 {
			t.Fatal("bad header length")
		}
		rest := plain[w+int(n):]
		if !bytes.HasPrefix(rest, frames) || len(frames) == 0 {
			t.Errorf("gzip=%v: the frames are not the bundle's bytes after the header", gz)
		}
	}
}

func TestDecodeFrame(t *testing.T) {
	entry := mustMarshal(t, &pb.Frame{Frame: &pb.Frame_Entry{Entry: testEntries()[0]}})
	trailer := mustMarshal(t, &pb.Frame{Frame: &pb.Frame_Trailer{Trailer: &pb.Trailer{EntryCount: 1}}})
	framed := func(b []byte) []byte { return protowire.AppendBytes(nil, b) }
	item := func(edit func(it *pb.Item)) []byte {
		it := testItem("i1")
		edit(it)
		return framed(entryFrame(t, &pb.Entry{Change: &pb.Entry_Upsert{Upsert: it}}))
	}
	good := framed(entry)
	tests := []struct {
		name  string
		frame []byte
		lim   *Limits
		want  error // nil: decodes to testEntries()[0]
	}{
		{"entry", good, nil, nil},
		{"empty", nil, nil, ErrMalformed},
		{"no body", []byte{0}, nil, ErrMalformed},
		{"short", good[:len(good)-1], nil, ErrMalformed},
		{"long", append(slices.Clone(good), 0), nil, ErrMalformed},
		{"overlong prefix", append([]byte{0x80 | byte(len(entry)), 0}, entry...), nil, nil},
		{"not an entry", framed(trailer), nil, ErrMalformed},
		{"header", framed(headerFrame(t, testHeader())), nil, ErrMalformed},
		{"garbage", framed([]byte{0xff, 0xff, 0xff}), nil, ErrMalformed},
		{"two entries", framed(append(slices.Clone(entry), entry...)), nil, ErrMalformed},
		{"unknown frame field", framed(withUnknown(slices.Clone(entry))), nil, ErrMalformed},
		{"empty entry", framed(entryFrame(t, &pb.Entry{})), nil, ErrMalformed},
		{"unknown TLP", item(func(it *pb.Item) { it.Tlp = 9 }), nil, ErrMalformed},
		{"unknown algorithm", item(func(it *pb.Item) { it.Signals[1].Algorithm = 99 }), nil, ErrMalformed},
		{"unknown item field", item(func(it *pb.Item) { it.ProtoReflect().SetUnknown(withUnknown(nil)) }), nil, ErrMalformed},
		{"no source", item(func(it *pb.Item) { it.Source = "" }), nil, ErrMalformed},
		{"frame size", good, &Limits{MaxFrameBytes: len(entry)}, nil},
		{"frame too big", good, &Limits{MaxFrameBytes: len(entry) - 1}, ErrLimit},
		{"signals", good, &Limits{MaxSignals: 2}, nil},
		{"too many signals", good, &Limits{MaxSignals: 1}, ErrLimit},
		{"too many labels", good, &Limits{MaxLabels: 1}, ErrLimit},
		{"label too long", good, &Limits{MaxLabelLen: len("type:image") - 1}, ErrLimit},
		{"empty label", item(func(it *pb.Item) { it.Labels[0] = "" }), nil, ErrLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := DecodeFrame(tt.frame, tt.lim)
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("error %v", err)
			case tt.want == nil && !proto.Equal(e, testEntries()[0]):
				t.Fatalf("got %v", e)
			case tt.want != nil && (!errors.Is(err, tt.want) || e != nil):
				t.Fatalf("%v, error %v, want %v", e, err, tt.want)
			}
		})
	}
}

// TestCheckKnownUpsertFields fails when Item or Signal gains a field that
// can hold an unknown value (an enum or a message), which
// checkKnownUpsert would then have to visit.
func TestCheckKnownUpsertFields(t *testing.T) {
	for _, tt := range []struct {
		m    proto.Message
		want []protoreflect.Name
	}{
		{&pb.Item{}, []protoreflect.Name{"signals", "tlp", "content_type", "video", "tmk"}},
		{&pb.Signal{}, []protoreflect.Name{"algorithm"}},
	} {
		var got []protoreflect.Name
		fields := tt.m.ProtoReflect().Descriptor().Fields()
		for i := range fields.Len() {
			switch fd := fields.Get(i); fd.Kind() {
			case protoreflect.EnumKind, protoreflect.MessageKind, protoreflect.GroupKind:
				got = append(got, fd.Name())
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%T: enum and message fields %v, checkKnownUpsert visits %v", tt.m, got, tt.want)
		}
	}
}

// TestCheckKnownUpsert checks that the fast check agrees with the
// reflective one.
func TestCheckKnownUpsert(t *testing.T) {
	unknown := protowire.AppendVarint(protowire.AppendTag(nil, 99, protowire.VarintType), 1)
	tests := []struct {
		name   string
		change func(e *pb.Entry, it *pb.Item)
	}{
		{"valid", func(*pb.Entry, *pb.Item) {}},
		{"unknown field in entry", func(e *pb.Entry, _ *pb.Item) { e.ProtoReflect().SetUnknown(unknown) }},
		{"unknown field in item", func(_ *pb.Entry, it *pb.Item) { it.ProtoReflect().SetUnknown(unknown) }},
		{"unknown field in signal", func(_ *pb.Entry, it *pb.Item) { it.Signals[1].ProtoReflect().SetUnknown(unknown) }},
		{"unknown tlp", func(_ *pb.Entry, it *pb.Item) { it.Tlp = 42 }},
		{"negative tlp", func(_ *pb.Entry, it *pb.Item) { it.Tlp = -1 }},
		{"unknown content type", func(_ *pb.Entry, it *pb.Item) { it.ContentType = 9 }},
		{"unknown algorithm", func(_ *pb.Entry, it *pb.Item) { it.Signals[0].Algorithm = 77 }},
		{"no signals", func(_ *pb.Entry, it *pb.Item) { it.Signals = nil }},
		{"unknown field in video", func(_ *pb.Entry, it *pb.Item) {
			it.Video = &pb.VideoHash{Hashes: make([]byte, 32), Qualities: []byte{100}}
			it.Video.ProtoReflect().SetUnknown(unknown)
		}},
		{"unknown field in tmk", func(_ *pb.Entry, it *pb.Item) {
			it.Tmk = &pb.TMKHash{Average: make([]byte, 1024)}
			it.Tmk.ProtoReflect().SetUnknown(unknown)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := testItem("i1")
			e := &pb.Entry{Change: &pb.Entry_Upsert{Upsert: it}}
			tt.change(e, it)
			fast, slow := checkKnownUpsert(e, it), checkKnown(e.ProtoReflect())
			if (fast == nil) != (slow == nil) || (fast != nil && fast.Error() != slow.Error()) {
				t.Fatalf("checkKnownUpsert: %v, checkKnown: %v", fast, slow)
			}
			if tt.name != "valid" && tt.name != "no signals" && fast == nil {
				t.Fatal("accepted")
			}
		})
	}
}
