package hashdb

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/hashshare/hashshare/hashdb/tlp"
)

// FuzzImport feeds arbitrary bytes to Import: it must never panic, every
// error must name a cause, and a refused bundle must change nothing.
func FuzzImport(f *testing.F) {
	ctx := context.Background()
	a, b := orgPair(f)
	if err := a.Put(ctx, orgItem("org-a", "x", 1, tlp.Green)); err != nil {
		f.Fatal(err)
	}
	full, _ := exportTo(f, a, true, false)
	if err := a.SetOpinion(ctx, Opinion{Key: Key{Source: "org-b", ID: "q"}, Verdict: FalsePositive}); err != nil {
		f.Fatal(err)
	}
	delta, _ := exportTo(f, a, false, true)
	f.Add(full)
	f.Add(delta)
	f.Add(full[:len(full)-3])
	dir := f.TempDir()
	causes := []error{ErrTruncated, ErrMalformed, ErrBundleVersion, ErrLimit, ErrUnknownKey, ErrSignature,
		ErrAudience, ErrSequenceGap, ErrReplay, ErrDiverged, ErrInvalidItem, ErrInvalidOpinion}
	f.Fuzz(func(t *testing.T, in []byte) {
		st, err := b.Stats()
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.Import(ctx, bytes.NewReader(in), &ImportOptions{TempDir: dir, MaxBytes: 1 << 20})
		if err == nil {
			return
		}
		named := false
		for _, c := range causes {
			named = named || errors.Is(err, c)
		}
		if !named {
			t.Fatalf("error without a cause: %v", err)
		}
		if st2, _ := b.Stats(); st2.LastSeq != st.LastSeq || st2.Items != st.Items {
			t.Fatalf("refused import changed the database: %+v -> %+v", st, st2)
		}
	})
}
