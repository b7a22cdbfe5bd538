package bundle

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// FuzzRead feeds arbitrary bytes to a Reader: it must never panic, and
// every error must be one of the package's sentinels.
func FuzzRead(f *testing.F) {
	smallSeals(f, 1000) // so that small inputs carry seals
	sealed := writeWith(f, manyEntries(12), testKey, false, 0)
	f.Add(sealed)
	f.Add(writeWith(f, manyEntries(12), otherKey, false, 0))
	f.Add(writeWith(f, testEntries(), testKey, false, formatUnsealed))
	plain, _ := write(f, testEntries(), false)
	gz, _ := write(f, testEntries(), true)
	empty, _ := write(f, nil, false)
	f.Add(plain)
	f.Add(gz)
	f.Add(empty)
	f.Add(plain[:len(plain)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		lim := &Limits{MaxBytes: 1 << 20, MaxEntries: 1000}
		r, entries, err := readAll(b, lim)
		if err != nil {
			if !isOurs(err) {
				t.Fatalf("foreign error: %v", err)
			}
			if r != nil && (r.Trailer() != nil || r.Digest() != (Digest{})) {
				t.Fatal("a failed reader reports a trailer or digest")
			}
			return
		}
		if uint64(len(entries)) != r.Trailer().GetEntryCount() {
			t.Fatalf("%d entries, trailer says %d", len(entries), r.Trailer().GetEntryCount())
		}
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("Next after the end: %v", err)
		}
		def := DefaultLimits()
		for _, e := range entries {
			if err := checkEntry(e, &def); err != nil {
				t.Fatalf("accepted entry fails its check: %v", err)
			}
		}
	})
}

// FuzzDecodeFrame feeds arbitrary bytes to DecodeFrame: it must never
// panic, fail only with ErrMalformed or ErrLimit, and return on success an
// entry that passes its check.
func FuzzDecodeFrame(f *testing.F) {
	b, _ := write(f, testEntries(), false)
	r, err := NewReader(bytes.NewReader(b), testKeys, nil)
	if err != nil {
		f.Fatal(err)
	}
	for {
		if _, err := r.Next(); err != nil {
			break
		}
		f.Add(bytes.Clone(r.Frame()))
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		lim := &Limits{MaxSignals: 2, MaxLabels: 2, MaxLabelLen: 12}
		e, err := DecodeFrame(b, lim)
		switch {
		case err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrLimit):
			t.Fatalf("foreign error: %v", err)
		case err == nil && e == nil:
			t.Fatal("no entry and no error")
		case err == nil:
			l := lim.withDefaults()
			if err := checkEntry(e, &l); err != nil {
				t.Fatalf("accepted entry fails its check: %v", err)
			}
		}
	})
}

// FuzzNextFrame reads arbitrary input both ways, Next and NextFrame then
// DecodeFrame: they must agree on whether it is a valid bundle and, if it
// is, on what it holds. With sign set, the input is instead the entries
// of a bundle, which gets a header and a trailer signed with the test key,
// so the fuzzer reaches the entry checks past the signature.
func FuzzNextFrame(f *testing.F) {
	plain, _ := write(f, testEntries(), false)
	gz, _ := write(f, testEntries(), true)
	f.Add(plain, false)
	f.Add(gz, false)
	f.Add(plain[:len(plain)/2], false)
	n, w := protowire.ConsumeVarint(plain)
	head, body := plain[:w+int(n)], plain[w+int(n):]
	entries := body[:len(body)-lastFrameLen(f, body)]
	f.Add(bytes.Clone(entries), true)
	f.Add([]byte{}, true)
	f.Fuzz(func(t *testing.T, b []byte, sign bool) {
		if sign {
			b = resign(t, head, b)
		}
		samePaths(t, b, &Limits{MaxBytes: 1 << 20, MaxEntries: 100, MaxSignals: 2, MaxLabels: 2, MaxLabelLen: 12})
	})
}
