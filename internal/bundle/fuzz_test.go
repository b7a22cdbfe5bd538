package bundle

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzRead feeds arbitrary bytes to a Reader: it must never panic, and
// every error must be one of the package's sentinels.
func FuzzRead(f *testing.F) {
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
// panic, fail only with ErrMalformed, and return an entry on success.
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
		e, err := DecodeFrame(b)
		switch {
		case err != nil && !errors.Is(err, ErrMalformed):
			t.Fatalf("foreign error: %v", err)
		case err == nil && e == nil:
			t.Fatal("no entry and no error")
		}
	})
}
