package bundle

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"testing"

	"google.golang.org/protobuf/encoding/protodelim"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

var (
	testKey   = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	otherKey  = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, 32))
	testID    = bytes.Repeat([]byte{1}, 16)
	testClock = int64(1_700_000_000_000_000_000)
)

// testKeys knows producer "org-a" key "k1" and nothing else.
func testKeys(producer, keyID string) (ed25519.PublicKey, error) {
	if producer == "org-a" && keyID == "k1" {
		return testKey.Public().(ed25519.PublicKey), nil
	}
	return nil, errors.New("no such key")
}

func testHeader() *pb.Header {
	return &pb.Header{
		Producer:        "org-a",
		KeyId:           "k1",
		BundleId:        testID,
		CreatedUnixNano: testClock,
		Kind:            pb.BundleKind_BUNDLE_KIND_DELTA,
		FromSeq:         10,
		ToSeq:           13,
		PreviousDigest:  bytes.Repeat([]byte{9}, 32),
		Audience:        "org-b",
	}
}

func pdq(b byte) *pb.Signal {
	return &pb.Signal{Algorithm: pb.Algorithm_ALGORITHM_PDQ, Value: bytes.Repeat([]byte{b}, 32)}
}

func testItem(id string) *pb.Item {
	return &pb.Item{
		Source:  "org-a",
		Id:      id,
		Signals: []*pb.Signal{pdq(1), {Algorithm: pb.Algorithm_ALGORITHM_MD5, Value: make([]byte, 16)}},
		Labels:  []string{"entity:x", "type:image"},
		Tlp:     pb.TLP_TLP_GREEN,
	}
}

func testEntries() []*pb.Entry {
	return []*pb.Entry{
		{Change: &pb.Entry_Upsert{Upsert: testItem("i1")}},
		{Change: &pb.Entry_Retract{Retract: &pb.Retraction{Item: &pb.ItemKey{Source: "org-a", Id: "i0"}, Reason: "dup"}}},
		{Change: &pb.Entry_Opinion{Opinion: &pb.Opinion{
			Target:  &pb.Opinion_Item{Item: &pb.ItemKey{Source: "org-b", Id: "x"}},
			Verdict: pb.Verdict_VERDICT_FALSE_POSITIVE,
			Org:     "org-a",
		}}},
	}
}

// write builds a bundle of entries.
func write(t testing.TB, entries []*pb.Entry, gz bool) ([]byte, Digest) {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testHeader(), testKey, &WriterOptions{Gzip: gz})
	if err != nil {
		t.Fatal(err)
	}
	var set SetDigest
	for _, e := range entries {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
		if it := e.GetUpsert(); it != nil {
			set.Add(ItemHash(it))
		}
	}
	d, err := w.Close(set)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), d
}

// readAll reads a whole bundle, returning its entries.
func readAll(b []byte, lim *Limits) (*Reader, []*pb.Entry, error) {
	r, err := NewReader(bytes.NewReader(b), testKeys, lim)
	if err != nil {
		return nil, nil, err
	}
	var out []*pb.Entry
	for {
		e, err := r.Next()
		if err == io.EOF {
			return r, out, nil
		}
		if err != nil {
			return r, out, err
		}
		out = append(out, e)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, gz := range []bool{false, true} {
		t.Run(fmt.Sprintf("gzip=%v", gz), func(t *testing.T) {
			entries := testEntries()
			b, d := write(t, entries, gz)
			r, got, err := readAll(b, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Compressed() != gz {
				t.Errorf("Compressed() = %v", r.Compressed())
			}
			if len(got) != len(entries) {
				t.Fatalf("read %d entries, wrote %d", len(got), len(entries))
			}
			for i := range got {
				if !proto.Equal(got[i], entries[i]) {
					t.Errorf("entry %d: got %v, want %v", i, got[i], entries[i])
				}
			}
			want := testHeader()
			want.FormatVersion = FormatVersion
			if !proto.Equal(r.Header(), want) {
				t.Errorf("header %v, want %v", r.Header(), want)
			}
			if r.Digest() != d {
				t.Errorf("reader digest %v, writer digest %v", r.Digest(), d)
			}
			var set SetDigest
			set.Add(ItemHash(testItem("i1")))
			if r.SetDigest() != set || r.Trailer().GetEntryCount() != 3 {
				t.Errorf("trailer %v", r.Trailer())
			}
		})
	}
}

// The digest names the uncompressed stream, so compression does not change it.
func TestDigestIgnoresCompression(t *testing.T) {
	_, d1 := write(t, testEntries(), false)
	_, d2 := write(t, testEntries(), true)
	if d1 != d2 {
		t.Errorf("plain %v, gzip %v", d1, d2)
	}
}

// Bundles are protodelim streams: that package reads them frame by frame.
func TestProtodelimCompatible(t *testing.T) {
	b, _ := write(t, testEntries(), false)
	br := bufio.NewReader(bytes.NewReader(b))
	var kinds []string
	for {
		var f pb.Frame
		err := protodelim.UnmarshalFrom(br, &f)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, fmt.Sprintf("%T", f.GetFrame()))
	}
	if len(kinds) != 5 || kinds[0] != "*hashsharev1.Frame_Header" || kinds[4] != "*hashsharev1.Frame_Trailer" {
		t.Errorf("frames %v", kinds)
	}
}

func TestEmptyBundle(t *testing.T) {
	b, _ := write(t, nil, false)
	r, got, err := readAll(b, nil)
	if err != nil || len(got) != 0 || r.Trailer().GetEntryCount() != 0 || r.SetDigest() != (SetDigest{}) {
		t.Fatalf("got %d entries, %v", len(got), err)
	}
}

// Every single-byte change to a bundle is caught, compressed or not.
func TestTamper(t *testing.T) {
	for _, gz := range []bool{false, true} {
		b, _ := write(t, testEntries(), gz)
		for i := range b {
			c := bytes.Clone(b)
			c[i] ^= 0xff
			if _, _, err := readAll(c, nil); err == nil || !isOurs(err) {
				t.Errorf("gzip=%v: byte %d of %d flipped: err = %v", gz, i, len(b), err)
			}
		}
	}
}

// Every proper prefix of a bundle, at a frame boundary or inside a frame,
// is refused as truncated.
func TestTruncate(t *testing.T) {
	for _, gz := range []bool{false, true} {
		b, _ := write(t, testEntries(), gz)
		for n := range len(b) {
			_, _, err := readAll(b[:n], nil)
			if !errors.Is(err, ErrTruncated) && !(gz && errors.Is(err, ErrMalformed)) {
				t.Errorf("gzip=%v: first %d of %d bytes: err = %v", gz, n, len(b), err)
			}
		}
	}
}

func TestTruncateAtBoundaries(t *testing.T) {
	b, _ := write(t, testEntries(), false)
	for off := 0; off < len(b); {
		n, w := protowire.ConsumeVarint(b[off:])
		off += w + int(n)
		if off == len(b) {
			break
		}
		if _, _, err := readAll(b[:off], nil); !errors.Is(err, ErrTruncated) {
			t.Errorf("cut after a frame at %d: err = %v", off, err)
		}
	}
}

// frames builds a bundle from raw frame payloads, signed as a Writer would
// sign them, so tests can put anything inside.
func frames(t testing.TB, payloads ...[]byte) []byte {
	t.Helper()
	var out []byte
	for _, p := range payloads {
		out = protowire.AppendVarint(out, uint64(len(p)))
		out = append(out, p...)
	}
	return out
}

// signed appends a valid trailer for count entries to the frames in b.
func signed(t testing.TB, key ed25519.PrivateKey, b []byte, count uint64) []byte {
	t.Helper()
	h := newSig()
	h.Write(b)
	tr := &pb.Trailer{EntryCount: count, SetDigest: make([]byte, 32)}
	sig, err := key.Sign(nil, signedDigest(h, tr), signOptions)
	if err != nil {
		t.Fatal(err)
	}
	tr.Signature = sig
	return append(b, frames(t, mustMarshal(t, &pb.Frame{Frame: &pb.Frame_Trailer{Trailer: tr}}))...)
}

func mustMarshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := canonical.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func headerFrame(t testing.TB, h *pb.Header) []byte {
	h.FormatVersion = FormatVersion
	return mustMarshal(t, &pb.Frame{Frame: &pb.Frame_Header{Header: h}})
}

func entryFrame(t testing.TB, e *pb.Entry) []byte {
	return mustMarshal(t, &pb.Frame{Frame: &pb.Frame_Entry{Entry: e}})
}

// withUnknown appends field 99 (varint 1) to the encoding of a message.
func withUnknown(b []byte) []byte {
	b = protowire.AppendTag(b, 99, protowire.VarintType)
	return protowire.AppendVarint(b, 1)
}

// A rejectCase is a bundle a reader refuses under lim, with an error
// wrapping want.
type rejectCase struct {
	name string
	b    []byte
	lim  *Limits
	want error
}

// rejectCases are bundles, most of them validly signed, that break one
// rule each.
func rejectCases(t testing.TB) []rejectCase {
	hdr := func(edit func(h *pb.Header)) []byte {
		h := testHeader()
		if edit != nil {
			edit(h)
		}
		return headerFrame(t, h)
	}
	item := func(edit func(it *pb.Item)) []byte {
		it := testItem("i")
		edit(it)
		return entryFrame(t, &pb.Entry{Change: &pb.Entry_Upsert{Upsert: it}})
	}
	good := entryFrame(t, testEntries()[0])
	// An entry whose item carries an unknown field: Entry{upsert: Item{... 99: 1}}.
	itemBytes := withUnknown(mustMarshal(t, testItem("i")))
	entryBytes := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), itemBytes)
	unknownInItem := protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), entryBytes)

	valid, _ := write(t, testEntries(), false)
	validGz, _ := write(t, testEntries(), true)
	gzMtime := bytes.Clone(validGz)
	gzMtime[4] = 1

	bigLabel := bytes.Repeat([]byte{'a'}, 129)
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	field := func(num protowire.Number, typ protowire.Type, v []byte) []byte {
		b := protowire.AppendTag(nil, num, typ)
		if typ == protowire.BytesType {
			return protowire.AppendBytes(b, v)
		}
		return append(b, v...)
	}
	goodEntry := mustMarshal(t, testEntries()[0])
	trailer := mustMarshal(t, &pb.Frame{Frame: &pb.Frame_Trailer{Trailer: &pb.Trailer{EntryCount: 1, SetDigest: make([]byte, 32), Signature: make([]byte, 64)}}})
	return []rejectCase{
		{"empty", nil, nil, ErrTruncated},
		{"entry first", frames(t, good), nil, ErrMalformed},
		{"version", signed(t, testKey, frames(t, mustMarshal(t, &pb.Frame{Frame: &pb.Frame_Header{Header: testHeader()}})), 0), nil, ErrVersion},
		{"unknown producer", signed(t, testKey, frames(t, hdr(func(h *pb.Header) { h.Producer = "org-z" })), 0), nil, ErrUnknownKey},
		{"unknown key id", signed(t, testKey, frames(t, hdr(func(h *pb.Header) { h.KeyId = "k2" })), 0), nil, ErrUnknownKey},
		{"wrong key", signed(t, otherKey, frames(t, hdr(nil), good), 1), nil, ErrSignature},
		{"short bundle id", signed(t, testKey, frames(t, hdr(func(h *pb.Header) { h.BundleId = h.BundleId[:8] })), 0), nil, ErrMalformed},
		{"no kind", signed(t, testKey, frames(t, hdr(func(h *pb.Header) { h.Kind = 0 })), 0), nil, ErrMalformed},
		{"unknown kind", signed(t, testKey, frames(t, hdr(func(h *pb.Header) { h.Kind = 7 })), 0), nil, ErrMalformed},
		{"full from 5", signed(t, testKey, frames(t, hdr(func(h *pb.Header) { h.Kind = pb.BundleKind_BUNDLE_KIND_FULL; h.FromSeq = 5 })), 0), nil, ErrMalformed},
		{"backwards range", signed(t, testKey, frames(t, hdr(func(h *pb.Header) { h.FromSeq = 20 })), 0), nil, ErrMalformed},
		{"unknown header field", signed(t, testKey, frames(t, withUnknown(hdr(nil))), 0), nil, ErrMalformed},
		{"unknown item field", signed(t, testKey, frames(t, hdr(nil), unknownInItem), 1), nil, ErrMalformed},
		{"unknown TLP", signed(t, testKey, frames(t, hdr(nil), item(func(it *pb.Item) { it.Tlp = 9 })), 1), nil, ErrMalformed},
		{"no TLP", signed(t, testKey, frames(t, hdr(nil), item(func(it *pb.Item) { it.Tlp = 0 })), 1), nil, ErrMalformed},
		{"unknown algorithm", signed(t, testKey, frames(t, hdr(nil), item(func(it *pb.Item) { it.Signals[0].Algorithm = 42 })), 1), nil, ErrMalformed},
		{"short PDQ", signed(t, testKey, frames(t, hdr(nil), item(func(it *pb.Item) { it.Signals[0].Value = it.Signals[0].Value[:31] })), 1), nil, ErrMalformed},
		{"no signals", signed(t, testKey, frames(t, hdr(nil), item(func(it *pb.Item) { it.Signals = nil })), 1), nil, ErrMalformed},
		{"no id", signed(t, testKey, frames(t, hdr(nil), item(func(it *pb.Item) { it.Id = "" })), 1), nil, ErrMalformed},
		{"too many signals", signed(t, testKey, frames(t, hdr(nil), good), 1), &Limits{MaxSignals: 1}, ErrLimit},
		{"too many labels", signed(t, testKey, frames(t, hdr(nil), good), 1), &Limits{MaxLabels: 1}, ErrLimit},
		{"long label", signed(t, testKey, frames(t, hdr(nil), item(func(it *pb.Item) { it.Labels = []string{string(bigLabel)} })), 1), nil, ErrLimit},
		{"too many entries", signed(t, testKey, frames(t, hdr(nil), good, good), 2), &Limits{MaxEntries: 1}, ErrLimit},
		{"frame too big", valid, &Limits{MaxFrameBytes: 40}, ErrLimit},
		{"too many bytes", valid, &Limits{MaxBytes: 100}, ErrLimit},
		{"too many bytes gzip", validGz, &Limits{MaxBytes: 100}, ErrLimit},
		{"empty entry", signed(t, testKey, frames(t, hdr(nil), entryFrame(t, &pb.Entry{})), 1), nil, ErrMalformed},
		{"empty frame", signed(t, testKey, frames(t, hdr(nil), nil), 1), nil, ErrMalformed},
		{"opinion without verdict", signed(t, testKey, frames(t, hdr(nil), entryFrame(t, &pb.Entry{Change: &pb.Entry_Opinion{Opinion: &pb.Opinion{Target: &pb.Opinion_Signal{Signal: pdq(1)}, Org: "org-a"}}})), 1), nil, ErrMalformed},
		{"retraction without key", signed(t, testKey, frames(t, hdr(nil), entryFrame(t, &pb.Entry{Change: &pb.Entry_Retract{Retract: &pb.Retraction{}}})), 1), nil, ErrMalformed},
		{"second header", signed(t, testKey, frames(t, hdr(nil), hdr(nil)), 0), nil, ErrMalformed},
		{"count too high", signed(t, testKey, frames(t, hdr(nil), good), 2), nil, ErrMalformed},
		{"count too low", signed(t, testKey, frames(t, hdr(nil), good), 0), nil, ErrMalformed},
		{"no trailer", frames(t, hdr(nil), good), nil, ErrTruncated},
		{"data after trailer", append(bytes.Clone(valid), 0), nil, ErrMalformed},
		{"bundle after trailer", append(bytes.Clone(valid), valid...), nil, ErrMalformed},
		{"data after gzip", append(bytes.Clone(validGz), 0), nil, ErrMalformed},
		{"gzip with a time", gzMtime, nil, ErrMalformed},
		{"overlong varint", append(bytes.Repeat([]byte{0xff}, 10), 1), nil, ErrMalformed},
		// Frames that decode but do not hold exactly one field.
		{"two entry fields", signed(t, testKey, frames(t, hdr(nil), cat(good, good)), 1), nil, ErrMalformed},
		{"two entry fields counted twice", signed(t, testKey, frames(t, hdr(nil), cat(good, good)), 2), nil, ErrMalformed},
		{"header and entry", signed(t, testKey, frames(t, hdr(nil), cat(hdr(nil), good)), 1), nil, ErrMalformed},
		{"entry and header", signed(t, testKey, frames(t, hdr(nil), cat(good, hdr(nil))), 1), nil, ErrMalformed},
		{"entry and trailer", signed(t, testKey, frames(t, hdr(nil), cat(good, trailer)), 1), nil, ErrMalformed},
		{"entry and unknown field", signed(t, testKey, frames(t, hdr(nil), withUnknown(good)), 1), nil, ErrMalformed},
		{"unknown frame field", signed(t, testKey, frames(t, hdr(nil), field(4, protowire.BytesType, goodEntry)), 1), nil, ErrMalformed},
		{"unknown varint frame field", signed(t, testKey, frames(t, hdr(nil), field(5, protowire.VarintType, []byte{1})), 1), nil, ErrMalformed},
		{"entry as a varint", signed(t, testKey, frames(t, hdr(nil), field(fieldEntry, protowire.VarintType, []byte{1})), 1), nil, ErrMalformed},
		{"entry as a fixed32", signed(t, testKey, frames(t, hdr(nil), field(fieldEntry, protowire.Fixed32Type, []byte{1, 2, 3, 4})), 1), nil, ErrMalformed},
		{"entry as a group", signed(t, testKey, frames(t, hdr(nil), cat(protowire.AppendTag(nil, fieldEntry, protowire.StartGroupType), protowire.AppendTag(nil, fieldEntry, protowire.EndGroupType))), 1), nil, ErrMalformed},
		{"entry longer than its frame", signed(t, testKey, frames(t, hdr(nil), good[:len(good)-1]), 1), nil, ErrMalformed},
		{"field number zero", signed(t, testKey, frames(t, hdr(nil), cat([]byte{0x02}, protowire.AppendBytes(nil, goodEntry))), 1), nil, ErrMalformed},
		{"header with two fields", signed(t, testKey, frames(t, cat(hdr(nil), hdr(nil))), 0), nil, ErrMalformed},
	}
}

func TestReject(t *testing.T) {
	for _, tt := range rejectCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(tt.b, tt.lim)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// A gzip bomb: a few kilobytes that expand to gigabytes stop at MaxBytes.
func TestGzipBomb(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testHeader(), testKey, &WriterOptions{Gzip: true, Level: 9})
	if err != nil {
		t.Fatal(err)
	}
	it := testItem("x")
	it.Note = string(bytes.Repeat([]byte{'a'}, 1<<19))
	for range 30 {
		if err := w.Write(&pb.Entry{Change: &pb.Entry_Upsert{Upsert: it}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(SetDigest{}); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 64<<10 {
		t.Fatalf("compressed to %d bytes", buf.Len())
	}
	_, _, err = readAll(buf.Bytes(), &Limits{MaxBytes: 2 << 20})
	if !errors.Is(err, ErrLimit) {
		t.Errorf("err = %v, want ErrLimit", err)
	}
}

func TestWriterRefuses(t *testing.T) {
	var buf bytes.Buffer
	if _, err := NewWriter(&buf, testHeader(), testKey[:10], nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("short key: %v", err)
	}
	h := testHeader()
	h.Producer = ""
	if _, err := NewWriter(&buf, h, testKey, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("no producer: %v", err)
	}
	buf.Reset()
	w, err := NewWriter(&buf, testHeader(), testKey, &WriterOptions{Limits: &Limits{MaxSignals: 1}})
	if err != nil {
		t.Fatal(err)
	}
	bad := []*pb.Entry{
		{},
		{Change: &pb.Entry_Upsert{Upsert: testItem("two-signals")}},
		{Change: &pb.Entry_Upsert{Upsert: &pb.Item{Source: "org-a", Id: "\xff", Signals: []*pb.Signal{pdq(1)}, Tlp: pb.TLP_TLP_CLEAR}}},
	}
	for i, e := range bad {
		if err := w.Write(e); !errors.Is(err, ErrInvalid) {
			t.Errorf("entry %d: %v", i, err)
		}
	}
	// The refusals left the bundle intact.
	it := testItem("ok")
	it.Signals = it.Signals[:1]
	if err := w.Write(&pb.Entry{Change: &pb.Entry_Upsert{Upsert: it}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(SetDigest{}); err != nil {
		t.Fatal(err)
	}
	if _, got, err := readAll(buf.Bytes(), nil); err != nil || len(got) != 1 {
		t.Fatalf("%d entries, %v", len(got), err)
	}
	if err := w.Write(testEntries()[0]); err == nil {
		t.Error("Write after Close succeeded")
	}
}

func TestSetDigest(t *testing.T) {
	a, b, c := ItemHash(testItem("a")), ItemHash(testItem("b")), ItemHash(testItem("c"))
	var x, y SetDigest
	x.Add(a)
	x.Add(b)
	x.Add(c)
	y.Add(c)
	y.Add(a)
	y.Add(b)
	if x != y {
		t.Error("order changes the digest")
	}
	y.Sub(b)
	y.Sub(a)
	y.Sub(c)
	if y != (SetDigest{}) {
		t.Errorf("adding and removing leaves %v", y)
	}
	// Carries cross every limb.
	var max [32]byte
	for i := range max {
		max[i] = 0xff
	}
	var one [32]byte
	one[31] = 1
	var z SetDigest
	z.Add(max)
	z.Add(one)
	if z != (SetDigest{}) {
		t.Errorf("2^256-1 + 1 = %v", z)
	}
	z.Sub(one)
	if z != SetDigest(max) {
		t.Errorf("0 - 1 = %v", z)
	}
}

func TestItemHashCanonical(t *testing.T) {
	a := testItem("a")
	b := testItem("a")
	b.Signals[0], b.Signals[1] = b.Signals[1], b.Signals[0]
	b.Labels[0], b.Labels[1] = b.Labels[1], b.Labels[0]
	if ItemHash(a) != ItemHash(b) {
		t.Error("list order changes the hash")
	}
	if b.Labels[0] != "type:image" {
		t.Error("ItemHash modified its argument")
	}
	b.Note = "x"
	if ItemHash(a) == ItemHash(b) {
		t.Error("a different note hashes the same")
	}
}
