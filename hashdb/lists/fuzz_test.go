package lists

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hashshare/hashshare/hashdb"
)

// checkRecords reads data in format f and fails if the reader panics,
// ends with an error other than ErrFormat or ErrTooLarge, yields a record
// the database would refuse for its form, or yields more than the input
// can account for: records, and the bytes they hold, grow with the input
// and no faster.
func checkRecords(t *testing.T, data []byte, f Format, o *ReadOptions) {
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			panic(fmt.Sprintf("reading %q as %s takes more than 5s", data, f))
		}
	}()
	r, err := NewReader(bytes.NewReader(data), f, o)
	if err != nil {
		if f == Auto && errors.Is(err, ErrFormat) {
			return
		}
		t.Fatalf("NewReader: %v", err)
	}
	count, size := 0, 0
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %v, not ErrFormat or ErrTooLarge", err)
			}
			if !strings.HasPrefix(err.Error(), "lists: ") {
				t.Errorf("error %q without the package prefix", err)
			}
			if _, again := r.Next(); again != err {
				t.Fatalf("Next after %v returned %v", err, again)
			}
			break
		}
		count++
		size += checkRecord(t, rec)
		if count > len(data)+1 || size > 100*len(data)+1000 {
			t.Fatalf("%d records holding %d bytes from %d bytes of input", count, size, len(data))
		}
	}
}

// checkRecord fails if rec is not well formed, and returns the bytes it
// holds.
func checkRecord(t *testing.T, rec Record) int {
	t.Helper()
	if rec.Line < 1 {
		t.Errorf("%s: line %d", render(rec), rec.Line)
	}
	checkKey := func(k hashdb.Key) {
		if k.Source != "" {
			t.Errorf("%s: a source", render(rec))
		}
		if err := checkID(k.ID); err != nil {
			t.Errorf("%s: %v", render(rec), err)
		}
	}
	switch rec.Kind {
	case Upsert:
		it := rec.Item
		checkKey(it.Key)
		if len(it.Signals) == 0 && it.Video == nil {
			t.Errorf("%s: no signals", render(rec))
		}
		if it.Video != nil && (len(it.Video.Features) == 0 || it.Video.Validate() != nil) {
			t.Errorf("%s: an empty or invalid video hash", render(rec))
		}
		for i, s := range it.Signals {
			if !s.Algorithm().Valid() || slices.Contains(it.Signals[:i], s) {
				t.Errorf("%s: signal %d invalid or repeated", render(rec), i)
			}
		}
		for _, s := range it.Unreliable {
			if !slices.Contains(it.Signals, s) {
				t.Errorf("%s: unreliable %s not a signal", render(rec), s)
			}
		}
		for i, l := range it.Labels {
			if err := hashdb.ValidateLabel(l); err != nil || slices.Contains(it.Labels[:i], l) {
				t.Errorf("%s: label %q: %v", render(rec), l, err)
			}
		}
		if !it.ContentType.Valid() || it.TLP != 0 && !it.TLP.Valid() {
			t.Errorf("%s: content type or TLP", render(rec))
		}
		if !it.FirstSeen.IsZero() && !it.LastSeen.IsZero() && it.LastSeen.Before(it.FirstSeen) {
			t.Errorf("%s: last seen before first seen", render(rec))
		}
		if len(it.Note) > maxNoteLen || !utf8.ValidString(it.Note) || it.Retracted {
			t.Errorf("%s: note or retracted", render(rec))
		}
		n := len(it.ID) + len(it.Note) + 40*len(it.Signals)
		for _, l := range it.Labels {
			n += len(l)
		}
		return n
	case Delete:
		checkKey(rec.Key)
		return len(rec.Key.ID)
	case Opine:
		op := rec.Opinion
		if (op.Key == hashdb.Key{}) == op.Signal.IsZero() {
			t.Errorf("%s: not exactly one target", render(rec))
		}
		if op.Key != (hashdb.Key{}) {
			checkKey(op.Key)
		}
		if !op.Verdict.Valid() {
			t.Errorf("%s: verdict", render(rec))
		}
		if op.Org != "" {
			if !validOrg(op.Org) {
				t.Errorf("%s: org", render(rec))
			}
		}
		if len(op.Reason) > maxNoteLen || !utf8.ValidString(op.Reason) {
			t.Errorf("%s: reason", render(rec))
		}
		return len(op.Key.ID) + len(op.Org) + len(op.Reason)
	case Skip:
		if rec.Reason == "" || rec.Err == nil || len(rec.Reason) > 64 {
			t.Errorf("%s: reason or Err", render(rec))
		}
		return len(rec.Reason)
	}
	t.Errorf("kind %v", rec.Kind)
	return 0
}

// seed adds the testdata files whose names start with one of prefixes.
func seed(f *testing.F, prefixes ...string) {
	files, err := filepath.Glob("testdata/*")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		if fi, err := os.Stat(name); err != nil || fi.IsDir() {
			continue
		}
		for _, p := range prefixes {
			if strings.HasPrefix(filepath.Base(name), p) {
				b, err := os.ReadFile(name)
				if err != nil {
					f.Fatal(err)
				}
				f.Add(b)
			}
		}
	}
}

// fuzzOpts keep the limits small, so that the fuzzer reaches them.
var fuzzOpts = &ReadOptions{MaxLineLen: 300, MaxRecordSize: 2000}

func FuzzPyTX(f *testing.F) {
	seed(f, "pytx_")
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRecords(t, data, PyTX, fuzzOpts)
		checkRecords(t, data, PyTX, &ReadOptions{SignalType: "pdq", MaxLineLen: 300})
	})
}

func FuzzPyTXCSV(f *testing.F) {
	seed(f, "pytx")
	f.Fuzz(func(t *testing.T, data []byte) { checkRecords(t, data, PyTXCSV, fuzzOpts) })
}

func FuzzThreatExchange(f *testing.F) {
	seed(f, "te_")
	f.Fuzz(func(t *testing.T, data []byte) { checkRecords(t, data, ThreatExchange, fuzzOpts) })
}

func FuzzTCAP(f *testing.F) {
	seed(f, "tcap")
	f.Fuzz(func(t *testing.T, data []byte) { checkRecords(t, data, TCAP, fuzzOpts) })
}

func FuzzNCMEC(f *testing.F) {
	seed(f, "ncmec")
	f.Fuzz(func(t *testing.T, data []byte) { checkRecords(t, data, NCMEC, fuzzOpts) })
}

func FuzzStopNCII(f *testing.F) {
	seed(f, "stopncii")
	f.Fuzz(func(t *testing.T, data []byte) { checkRecords(t, data, StopNCII, fuzzOpts) })
}

func FuzzPDQ(f *testing.F) {
	seed(f, "pdq_")
	f.Fuzz(func(t *testing.T, data []byte) { checkRecords(t, data, PDQ, fuzzOpts) })
}

func FuzzAuto(f *testing.F) {
	seed(f, "")
	f.Fuzz(func(t *testing.T, data []byte) { checkRecords(t, data, Auto, fuzzOpts) })
}

// validOrg mirrors hashdb's rule for organisation ids.
func validOrg(s string) bool {
	if s == "" || len(s) > maxOrgLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}
