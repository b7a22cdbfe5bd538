package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// readFrames reads a bundle as a stager does: NextFrame to the end,
// keeping copies of the frames, then DecodeFrame for each.
func readFrames(b []byte, lim *Limits) (*Reader, []*pb.Entry, error) {
	r, err := NewReader(bytes.NewReader(b), testKeys, lim)
	if err != nil {
		return nil, nil, err
	}
	var staged [][]byte
	for {
		f, err := r.NextFrame()
		if err == io.EOF {
			break
		}
		if err != nil {
			return r, nil, err
		}
		if !bytes.Equal(f, r.Frame()) {
			return r, nil, errors.New("NextFrame and Frame differ")
		}
		staged = append(staged, bytes.Clone(f))
	}
	out := make([]*pb.Entry, 0, len(staged))
	for _, f := range staged {
		e, err := DecodeFrame(f, lim)
		if err != nil {
			return r, nil, err
		}
		out = append(out, e)
	}
	return r, out, nil
}

// samePaths reads b both ways and fails t unless both refuse it or both
// accept it with the same entries, digests and trailer. It returns Next's
// error.
func samePaths(t testing.TB, b []byte, lim *Limits) error {
	t.Helper()
	r1, e1, err1 := readAll(b, lim)
	r2, e2, err2 := readFrames(b, lim)
	switch {
	case err1 != nil && err2 != nil:
		if !isOurs(err2) {
			t.Fatalf("NextFrame path: foreign error %v", err2)
		}
		return err1
	case err1 != nil || err2 != nil:
		t.Fatalf("Next: %v; NextFrame and DecodeFrame: %v", err1, err2)
	}
	if len(e1) != len(e2) {
		t.Fatalf("Next read %d entries, NextFrame %d", len(e1), len(e2))
	}
	for i := range e1 {
		if !proto.Equal(e1[i], e2[i]) {
			t.Fatalf("entry %d: Next %v, NextFrame %v", i, e1[i], e2[i])
		}
	}
	if r1.Digest() != r2.Digest() || r1.SetDigest() != r2.SetDigest() || r1.Entries() != r2.Entries() ||
		!proto.Equal(r1.Trailer(), r2.Trailer()) || r2.Digest() == (Digest{}) {
		t.Fatalf("Next: %v %v %d; NextFrame: %v %v %d", r1.Digest(), r1.SetDigest(), r1.Entries(), r2.Digest(), r2.SetDigest(), r2.Entries())
	}
	return nil
}

func TestNextFrameAccepts(t *testing.T) {
	many := benchEntries(300)
	many = append(many, testEntries()...)
	for _, tt := range []struct {
		name    string
		entries []*pb.Entry
	}{
		{"test entries", testEntries()},
		{"empty", nil},
		{"many", many},
	} {
		for _, gz := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/gzip=%v", tt.name, gz), func(t *testing.T) {
				b, d := write(t, tt.entries, gz)
				if err := samePaths(t, b, nil); err != nil {
					t.Fatal(err)
				}
				r, got, _ := readFrames(b, nil)
				if r.Digest() != d || len(got) != len(tt.entries) {
					t.Fatalf("digest %v, want %v; %d entries, want %d", r.Digest(), d, len(got), len(tt.entries))
				}
				var set SetDigest
				for i, e := range got {
					if !proto.Equal(e, tt.entries[i]) {
						t.Fatalf("entry %d: %v, want %v", i, e, tt.entries[i])
					}
					if it := e.GetUpsert(); it != nil {
						set.Add(ItemHash(it))
					}
				}
				if r.SetDigest() != set {
					t.Fatalf("set digest %v, want %v", r.SetDigest(), set)
				}
			})
		}
	}
}

// TestNextFrameRejects reads every rejected bundle of TestReject the
// NextFrame way too: it must fail, for the same reason.
func TestNextFrameRejects(t *testing.T) {
	for _, tt := range rejectCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			err := samePaths(t, tt.b, tt.lim)
			_, _, err2 := readFrames(tt.b, tt.lim)
			if !errors.Is(err, tt.want) || !errors.Is(err2, tt.want) {
				t.Errorf("Next: %v; NextFrame: %v; want %v", err, err2, tt.want)
			}
		})
	}
}

// TestNextFrameTamper changes and cuts a small bundle every way: as it is,
// when the signature catches nearly everything, and signed again, so what
// the reader sees is each entry check. The two ways of reading must agree
// on every one.
func TestNextFrameTamper(t *testing.T) {
	lims := []*Limits{nil, {MaxSignals: 1, MaxLabels: 1, MaxLabelLen: 8, MaxFrameBytes: 120}}
	for _, gz := range []bool{false, true} {
		b, _ := write(t, testEntries(), gz)
		for i := range b {
			for _, x := range []byte{0xff, 0x01, 0x80} {
				c := bytes.Clone(b)
				c[i] ^= x
				// The padding bits ending a deflate stream are ignored, so
				// a compressed bundle may survive a flip there; its
				// uncompressed bytes, which the digest names, do not change.
				if samePaths(t, c, nil) == nil && !gz {
					t.Errorf("byte %d ^ %#x accepted", i, x)
				}
			}
		}
		for n := range len(b) {
			if samePaths(t, b[:n], nil) == nil {
				t.Errorf("gzip=%v: first %d of %d bytes accepted", gz, n, len(b))
			}
		}
	}
	plain, _ := write(t, testEntries(), false)
	n, w := protowire.ConsumeVarint(plain)
	head, body := plain[:w+int(n)], plain[w+int(n):]
	body = body[:len(body)-lastFrameLen(t, body)] // the entries, without the trailer
	accepted := 0
	for i := range body {
		for _, x := range []byte{0xff, 0x01, 0x80, 0x10} {
			c := bytes.Clone(body)
			c[i] ^= x
			for _, lim := range lims {
				if samePaths(t, resign(t, head, c), lim) == nil {
					accepted++
				}
			}
		}
	}
	for n := range len(body) + 1 {
		for _, lim := range lims {
			if samePaths(t, resign(t, head, body[:n]), lim) == nil {
				accepted++
			}
		}
	}
	// Flipped bits in a note or a signal value still make a valid entry; if
	// none were accepted, the test would compare refusals only.
	if accepted == 0 {
		t.Error("no re-signed change accepted")
	}
}

// lastFrameLen is the length of the last frame in b, length prefix
// included.
func lastFrameLen(t testing.TB, b []byte) int {
	last := 0
	for off := 0; off < len(b); {
		n, w := protowire.ConsumeVarint(b[off:])
		if w < 0 || off+w+int(n) > len(b) {
			t.Fatal("bad frames")
		}
		last = w + int(n)
		off += last
	}
	return last
}

// resign makes a bundle of a header frame and arbitrary entry bytes, with
// a trailer counting the frames in them and signed with testKey.
func resign(t testing.TB, head, entries []byte) []byte {
	var count uint64
	for b := entries; len(b) > 0; count++ {
		n, w := protowire.ConsumeVarint(b)
		if w < 0 || uint64(len(b)-w) < n {
			break
		}
		b = b[w+int(n):]
	}
	return signed(t, testKey, append(bytes.Clone(head), entries...), count)
}

// Next and NextFrame may be mixed on one reader.
func TestNextFrameMixed(t *testing.T) {
	entries := benchEntries(10)
	b, d := write(t, entries, true)
	r, err := NewReader(bytes.NewReader(b), testKeys, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		var e *pb.Entry
		if i%3 == 1 {
			f, err := r.NextFrame()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if e, err = DecodeFrame(f, nil); err != nil {
				t.Fatal(err)
			}
		} else {
			e, err = r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if !proto.Equal(e, entries[i]) {
			t.Fatalf("entry %d: %v", i, e)
		}
	}
	if r.Digest() != d || r.Entries() != uint64(len(entries)) {
		t.Fatalf("digest %v, %d entries", r.Digest(), r.Entries())
	}
	if f, err := r.NextFrame(); err != io.EOF || f != nil {
		t.Fatalf("NextFrame after the end: %v, %v", f, err)
	}
	if r.Frame() != nil {
		t.Fatal("Frame after the end is not nil")
	}
}

// After an error NextFrame, like Next, returns it again.
func TestNextFrameSticky(t *testing.T) {
	b, _ := write(t, testEntries(), false)
	b = append(b, 0)
	r, err := NewReader(bytes.NewReader(b), testKeys, nil)
	if err != nil {
		t.Fatal(err)
	}
	var first error
	for first == nil {
		_, first = r.NextFrame()
	}
	_, again := r.NextFrame()
	_, next := r.Next()
	if !errors.Is(first, ErrMalformed) || again != first || next != first || r.Digest() != (Digest{}) || r.Trailer() != nil {
		t.Fatalf("first %v, then %v and %v", first, again, next)
	}
}
