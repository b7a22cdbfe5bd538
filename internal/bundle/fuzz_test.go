package bundle

import (
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
