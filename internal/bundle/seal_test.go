package bundle

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// manyEntries returns n distinct upserts of about 200 bytes each.
func manyEntries(n int) []*pb.Entry {
	out := make([]*pb.Entry, n)
	for i := range out {
		it := testItem(fmt.Sprintf("item-%06d", i))
		it.Signals[0] = pdq(byte(i))
		it.Note = fmt.Sprintf("note %d: %s", i, strings.Repeat("x", i%97))
		out[i] = &pb.Entry{Change: &pb.Entry_Upsert{Upsert: it}}
	}
	return out
}

// writeWith builds a bundle of entries signed by key, in format version
// (0 for the current one).
func writeWith(t testing.TB, entries []*pb.Entry, key ed25519.PrivateKey, gz bool, version uint32) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testHeader(), key, &WriterOptions{Gzip: gz, version: version})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(SetDigest{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// smallSeals makes the writer and reader seal every n bytes for the test.
func smallSeals(t testing.TB, n int64) {
	old := sealInterval
	sealInterval = n
	t.Cleanup(func() { sealInterval = old })
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// frameKinds lists the kinds of a plain bundle's frames, e.g. "HEESET".
func frameKinds(t *testing.T, b []byte) string {
	t.Helper()
	var sb strings.Builder
	for len(b) > 0 {
		n, w := uvarint(b)
		num, _, err := frameField(b[w : w+int(n)])
		if err != nil {
			t.Fatal(err)
		}
		sb.WriteByte(" HETS"[num])
		b = b[w+int(n):]
	}
	return sb.String()
}

func uvarint(b []byte) (uint64, int) {
	var x uint64
	for i, c := range b {
		x |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return x, i + 1
		}
	}
	return 0, 0
}

func TestSealsRoundTrip(t *testing.T) {
	smallSeals(t, 1000)
	for _, gz := range []bool{false, true} {
		b := writeWith(t, manyEntries(60), testKey, gz, 0)
		r, entries, err := readAll(b, nil)
		if err != nil {
			t.Fatalf("gzip %v: %v", gz, err)
		}
		if len(entries) != 60 || r.Trailer().GetEntryCount() != 60 {
			t.Fatalf("gzip %v: %d entries", gz, len(entries))
		}
	}
	kinds := frameKinds(t, writeWith(t, manyEntries(60), testKey, false, 0))
	if n := strings.Count(kinds, "S"); n < 5 || strings.Contains(kinds, "SS") || !strings.HasPrefix(kinds, "HE") || !strings.HasSuffix(kinds, "T") {
		t.Errorf("frames %s: want a seal every ~1000 bytes, never two in a row", kinds)
	}
}

// TestForgeryRefusedAtFirstSeal is the attack of issue #18: a bundle that
// names a known producer and key id (both public) but is signed with
// another key was read and staged to its end before its signature was
// checked. Sealed, it is refused at the first seal.
func TestForgeryRefusedAtFirstSeal(t *testing.T) {
	smallSeals(t, 64<<10)
	entries := manyEntries(20000) // about 4.5 MB
	for _, gz := range []bool{false, true} {
		forged := writeWith(t, entries, otherKey, gz, 0)
		src := &countingReader{r: bytes.NewReader(forged)}
		r, err := NewReader(src, testKeys, nil)
		if err != nil {
			t.Fatal(err)
		}
		read := 0
		for {
			if _, err = r.NextFrame(); err != nil {
				break
			}
			read++
		}
		if !errors.Is(err, ErrSignature) || !strings.Contains(err.Error(), "seal") {
			t.Fatalf("gzip %v: forged bundle: %v, want ErrSignature at a seal", gz, err)
		}
		// One seal's worth of entries, and the reader's buffers: not the
		// bundle.
		if read > 400 || src.n > 64<<10+2*64<<10+1<<20 {
			t.Errorf("gzip %v: %d entries and %d of %d bytes read before the forgery was refused", gz, read, src.n, len(forged))
		}
	}
}

func TestFormat1(t *testing.T) {
	// Format 1 bundles still read.
	b := writeWith(t, testEntries(), testKey, false, formatUnsealed)
	r, entries, err := readAll(b, nil)
	if err != nil || len(entries) != 3 || r.Header().GetFormatVersion() != 1 {
		t.Fatalf("format 1 bundle: %v, %d entries", err, len(entries))
	}
	// Up to a size: with no seals, a forged one would be staged whole.
	big := writeWith(t, manyEntries(3000), testKey, false, formatUnsealed)
	_, _, err = readAll(big, &Limits{MaxUnsealedBytes: 64 << 10})
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "format 1") {
		t.Errorf("large format 1 bundle: %v, want ErrLimit naming the format", err)
	}
	// A seal has no place in format 1.
	smallSeals(t, 1000)
	sealed := writeWith(t, manyEntries(20), testKey, false, 0)
	sealed[1+protoHeaderVersionOffset(t, sealed)] = 1
	if _, _, err := readAll(sealed, nil); err == nil {
		t.Error("a format 1 header over sealed frames reads")
	}
}

// protoHeaderVersionOffset finds the format version byte in a bundle's
// first frame (the header's field 1, a one-byte varint).
func protoHeaderVersionOffset(t *testing.T, b []byte) int {
	t.Helper()
	// Frame: len, tag(header), len, then the header's fields, field 1
	// (format_version) first: tag 0x08, value.
	i := bytes.IndexByte(b[:16], 0x08)
	if i < 0 || b[i+1] != FormatVersion {
		t.Fatalf("no format version in %x", b[:16])
	}
	return i
}

func TestSealTampering(t *testing.T) {
	smallSeals(t, 1000)
	good := writeWith(t, manyEntries(20), testKey, false, 0)
	frames := splitFrames(t, good)
	var seals []int
	for i, f := range frames {
		if n, w := uvarint(f); n > 0 {
			if num, _, _ := frameField(f[w:]); num == fieldSeal {
				seals = append(seals, i)
			}
		}
	}
	if len(seals) < 2 {
		t.Fatalf("only %d seals", len(seals))
	}
	join := func(fs [][]byte) []byte { return bytes.Join(fs, nil) }
	drop := func(i int) []byte {
		return join(append(append([][]byte{}, frames[:i]...), frames[i+1:]...))
	}
	moved := append([][]byte{}, frames...)
	moved[seals[0]], moved[seals[0]+1] = moved[seals[0]+1], moved[seals[0]]
	twice := append(append(append([][]byte{}, frames[:seals[0]+1]...), frames[seals[0]]), frames[seals[0]+1:]...)
	flipped := append([][]byte{}, frames...)
	f := bytes.Clone(frames[seals[0]])
	f[len(f)-1] ^= 1
	flipped[seals[0]] = f
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"seal dropped", drop(seals[0]), ErrMalformed},
		{"seal moved", join(moved), ErrMalformed},
		{"seal twice", join(twice), ErrMalformed},
		{"seal signature flipped", join(flipped), ErrSignature},
	}
	for _, tc := range tests {
		if _, _, err := readAll(tc.b, nil); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func splitFrames(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		n, w := uvarint(b)
		out = append(out, b[:w+int(n)])
		b = b[w+int(n):]
	}
	return out
}

// TestDecompressionRatio checks a gzip stream that expands far beyond
// any real bundle is refused before it is read on.
func TestDecompressionRatio(t *testing.T) {
	// A header, then one huge frame of zeros, far more compressible than
	// any bundle.
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	header := splitFrames(t, writeWith(t, testEntries(), testKey, false, 0))[0]
	zw.Write(header)
	zw.Write(binary.AppendUvarint(nil, 64<<20))
	zw.Write(make([]byte, 64<<20))
	zw.Close()
	_, _, err := readAll(buf.Bytes(), &Limits{MaxFrameBytes: 128 << 20})
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "expands") {
		t.Errorf("a gzip bomb: %v, want ErrLimit for its ratio", err)
	}
	// A real bundle, compressed, reads.
	if _, _, err := readAll(writeWith(t, manyEntries(5000), testKey, true, 0), nil); err != nil {
		t.Errorf("a compressed bundle: %v", err)
	}
}
