package hashdb

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/hashshare/hashshare/hashdb/signal"
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
	// Source authority: A re-shares and retracts a third party's items.
	if err := b.PutForeign(ctx, "test", orgItem("org-c", "c1", 5, tlp.Green)); err != nil {
		f.Fatal(err)
	}
	if err := a.PutForeign(ctx, "test", orgItem("org-c", "c1", 6, tlp.Clear), orgItem("org-c", "c2", 7, tlp.Green)); err != nil {
		f.Fatal(err)
	}
	if err := a.Retract(ctx, Key{Source: "org-c", ID: "c2"}, "gone"); err != nil {
		f.Fatal(err)
	}
	reshared, _ := exportTo(f, a, false, false)
	f.Add(full)
	f.Add(delta)
	f.Add(reshared)
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
		// Whatever the bundle, the item held from its source stays as it
		// was.
		if it, err := b.Get(Key{Source: "org-c", ID: "c1"}); err != nil || it.Retracted || it.Signals[0] != testSignal(signal.PDQ, 5) {
			t.Fatalf("org-c's own item after an import from org-a: %+v, %v", it, err)
		}
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
