package lists

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashshare/hashshare/hashdb"
)

// render writes a record as one line holding every field, so that tests
// compare records exactly and read well when they differ. A Skip's Err is
// left out (errText checks it): only its presence is part of the line.
func render(r Record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", r.Line, r.Kind)
	switch r.Kind {
	case Upsert:
		it := r.Item
		fmt.Fprintf(&b, " %s/%s", it.Source, it.ID)
		for _, s := range it.Signals {
			b.WriteString(" " + s.String())
		}
		if len(it.Unreliable) > 0 {
			fmt.Fprintf(&b, " unreliable=%v", it.Unreliable)
		}
		if len(it.Labels) > 0 {
			b.WriteString(" [" + strings.Join(it.Labels, " ") + "]")
		}
		if it.ContentType != hashdb.ContentUnknown {
			b.WriteString(" " + it.ContentType.String())
		}
		if it.TLP != 0 {
			b.WriteString(" tlp=" + it.TLP.String())
		}
		if !it.FirstSeen.IsZero() {
			b.WriteString(" first=" + it.FirstSeen.UTC().Format(time.RFC3339Nano))
		}
		if !it.LastSeen.IsZero() {
			b.WriteString(" last=" + it.LastSeen.UTC().Format(time.RFC3339Nano))
		}
		if it.Note != "" {
			fmt.Fprintf(&b, " note=%q", it.Note)
		}
		if it.Retracted || it.RetractReason != "" {
			fmt.Fprintf(&b, " retracted %q", it.RetractReason)
		}
	case Delete:
		fmt.Fprintf(&b, " %s/%s", r.Key.Source, r.Key.ID)
	case Opine:
		op := r.Opinion
		if op.Key != (hashdb.Key{}) {
			fmt.Fprintf(&b, " %s/%s", op.Key.Source, op.Key.ID)
		}
		if !op.Signal.IsZero() {
			b.WriteString(" " + op.Signal.String())
		}
		fmt.Fprintf(&b, " %s org=%s", op.Verdict, op.Org)
		if op.Actor != "" {
			fmt.Fprintf(&b, " actor=%s", op.Actor)
		}
		if !op.Time.IsZero() {
			b.WriteString(" time=" + op.Time.UTC().Format(time.RFC3339))
		}
		if op.Reason != "" {
			fmt.Fprintf(&b, " reason=%q", op.Reason)
		}
	case Skip:
		fmt.Fprintf(&b, " %q", r.Reason)
		if r.Err == nil {
			b.WriteString(" NO-ERR")
		}
	}
	return b.String()
}

// readAll reads every record of the input in format f, and the error that
// ended it if not io.EOF.
func readAll(t testing.TB, in io.Reader, f Format, o *ReadOptions) ([]Record, error) {
	t.Helper()
	r, err := NewReader(in, f, o)
	if err != nil {
		return nil, err
	}
	var recs []Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		recs = append(recs, rec)
	}
}

// fileCase is a testdata file and the records it reads as.
type fileCase struct {
	file   string
	format Format
	opts   *ReadOptions
	want   []string
}

func runFileCases(t *testing.T, cases []fileCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			recs, err := readAll(t, f, c.format, c.opts)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			var got []string
			for _, r := range recs {
				got = append(got, render(r))
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

// errText returns a Skip's Err as text, failing if there is none.
func errText(t *testing.T, r Record) string {
	t.Helper()
	if r.Err == nil {
		t.Fatalf("record %s has no Err", render(r))
	}
	return r.Err.Error()
}
