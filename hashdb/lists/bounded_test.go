package lists

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// endless yields prefix, then fill forever, counting what it has given.
type endless struct {
	prefix string
	fill   byte
	n      int64
}

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if int(e.n) < len(e.prefix) {
			c := copy(p[n:], e.prefix[e.n:])
			n += c
			e.n += int64(c)
			continue
		}
		p[n] = e.fill
		n++
		e.n++
	}
	return n, nil
}

// TestEndlessEntry checks that an entry that never ends stops the JSON,
// XML and CSV readers with ErrTooLarge (or, for nesting, ErrFormat) after
// little more than MaxRecordSize of it: memory stays bounded whatever the
// input.
func TestEndlessEntry(t *testing.T) {
	const max = 64 << 10
	for _, c := range []struct {
		format Format
		prefix string
		fill   byte
		want   error
	}{
		{ThreatExchange, `{"data": [{"id": "`, 'a', ErrTooLarge},
		{ThreatExchange, `{"`, 'a', ErrTooLarge},
		{ThreatExchange, `{"data": [`, '[', ErrFormat},
		{ThreatExchange, `{"paging": `, '[', ErrFormat},
		{ThreatExchange, `{"data": [{"id": "1"}, `, ' ', ErrTooLarge},
		{TCAP, `{"results": [{"hash_digest": "`, 'f', ErrTooLarge},
		{StopNCII, `{"hashRecords": [{"hashValue": "`, 'f', ErrTooLarge},
		{NCMEC, `<queryResult><images><image><id>`, 'a', ErrTooLarge},
		{NCMEC, `<queryResult>`, 'a', ErrTooLarge},
		{NCMEC, `<queryResult><images><image><`, 'a', ErrTooLarge},
		{NCMEC, `<queryResult><images><image><fingerprints>`, '<', ErrFormat},
		{PyTXCSV, "signal_type,signal_str\r\npdq,\"", 'a', ErrTooLarge},
		{PyTXCSV, "signal_type,signal_", 'a', ErrTooLarge},
	} {
		in := &endless{prefix: c.prefix, fill: c.fill}
		_, err := readAll(t, in, c.format, &ReadOptions{MaxRecordSize: max})
		if !errors.Is(err, c.want) {
			t.Errorf("%s %q…: error %v, want %v", c.format, c.prefix, err, c.want)
		}
		// The decoders read ahead a buffer's worth past the budget.
		if in.n > 4*max+peekLen+1<<20 {
			t.Errorf("%s %q…: read %d bytes before giving up", c.format, c.prefix, in.n)
		}
	}
}

// TestEndlessLine checks that the line readers skip an over-long line
// without holding it, and read on after it.
func TestEndlessLine(t *testing.T) {
	for _, f := range []Format{PyTX, PDQ} {
		long := &endless{prefix: "pdq ", fill: 'f'}
		in := io.MultiReader(io.LimitReader(long, 8<<20), strings.NewReader("\npdq "+hexP+"\n"+hexP+"\n"))
		recs, err := readAll(t, in, f, &ReadOptions{MaxLineLen: 1000})
		if err != nil || len(recs) != 3 || recs[0].Reason != "line too long" || recs[0].Line != 1 {
			var got []string
			for _, r := range recs {
				got = append(got, render(r))
			}
			t.Errorf("%s: %v, records %q", f, err, got)
		}
	}
}

// errReader fails after its data.
type errReader struct{ data string }

var errDisk = errors.New("disk on fire")

func (e *errReader) Read(p []byte) (int, error) {
	if e.data == "" {
		return 0, errDisk
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

// TestReadError checks that every reader ends with the read error, not
// ErrFormat, and keeps returning it.
func TestReadError(t *testing.T) {
	for _, c := range []struct {
		f  Format
		in string
	}{
		{PyTX, "pdq " + hexP + "\n"},
		{PyTXCSV, "signal_type,signal_str\r\n"},
		{PDQ, hexP + "\n"},
		{ThreatExchange, `{"data": [`},
		{TCAP, `{"results": [`},
		{StopNCII, `{"hashRecords": [`},
		{NCMEC, `<queryResult><images>`},
	} {
		r, err := NewReader(&errReader{c.in}, c.f, nil)
		if err != nil {
			t.Fatal(err)
		}
		for {
			_, err = r.Next()
			if err != nil {
				break
			}
		}
		if !errors.Is(err, errDisk) || errors.Is(err, ErrFormat) {
			t.Errorf("%s: error %v, want the read error", c.f, err)
		}
		if _, again := r.Next(); again != err {
			t.Errorf("%s: then %v", c.f, again)
		}
	}
	if _, err := NewReader(&errReader{}, Auto, nil); !errors.Is(err, errDisk) {
		t.Errorf("Auto: error %v, want the read error", err)
	}
}

// TestNCMECDeepEntry checks that nesting inside an entry is bounded too,
// not only the entry's size.
func TestNCMECDeepEntry(t *testing.T) {
	in := "<queryResult><images><image><fingerprints>" + strings.Repeat("<a>", 10000)
	_, err := readAll(t, strings.NewReader(in), NCMEC, nil)
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "nested more than 64 deep") {
		t.Errorf("error %v", err)
	}
}
