package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
)

// A signalLine is one line of a --signals file.
type signalLine struct {
	line   int    // 1-based line number
	text   string // the line as read (set by scanSignals only, and aliased)
	signal signal.Signal
	id     string   // the item id; the signal's string form when left out
	labels []string // validated, possibly empty
}

// maxIDLen is the longest item id hashdb stores (Key.ID).
const maxIDLen = 512

// readSignals reads a --signals file: one signal a line,
//
//	<alg>:<hex>[<TAB>item-id][<TAB>label,label...]
//
// skipping blank lines and lines whose first non-blank character is '#'.
// Fields are trimmed of surrounding spaces. It calls fn for each line and
// stops at the first bad one, with an error that names name and the line
// number.
func readSignals(r io.Reader, name string, fn func(signalLine) error) error {
	return scanSignals(r, name, func(l *signalLine) error {
		c := *l
		c.id, c.text = strings.Clone(l.id), ""
		c.labels = nil
		for _, lab := range l.labels {
			c.labels = append(c.labels, strings.Clone(lab))
		}
		return fn(c)
	})
}

// scanSignals is readSignals without its copies, for the passes over a
// large file (group.go): the line fn is given, its id and its labels are
// only valid until fn returns (they alias the scanner's buffer, and the
// labels slice is reused); fn clones what it keeps.
func scanSignals(r io.Reader, name string, fn func(*signalLine) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n := 0
	var l signalLine
	for sc.Scan() {
		n++
		// The line's bytes as a string without a copy: the parser keeps
		// no part of it but in l, and the error messages copy what they
		// quote.
		b := sc.Bytes()
		ok, err := l.parse(unsafe.String(unsafe.SliceData(b), len(b)))
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if !ok {
			continue
		}
		l.line, l.text = n, unsafe.String(unsafe.SliceData(b), len(b))
		if err := fn(&l); err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: after line %d: %w", name, n, err)
	}
	return nil
}

// parseSignalLine parses one line of a --signals file; ok is false for a
// blank line or a comment.
func parseSignalLine(text string) (l signalLine, ok bool, err error) {
	ok, err = l.parse(text)
	return l, ok, err
}

// parse parses text into l, reusing l.labels' array; on an error or a
// blank line l is left in an unspecified state.
func (l *signalLine) parse(text string) (ok bool, err error) {
	*l = signalLine{labels: l.labels[:0]}
	text = strings.TrimSuffix(text, "\r")
	if t := strings.TrimSpace(text); t == "" || strings.HasPrefix(t, "#") {
		return false, nil
	}
	if n := strings.Count(text, "\t") + 1; n > 3 {
		return false, fmt.Errorf("%d tab-separated fields, want at most 3: signal, item id, labels", n)
	}
	// Cut rather than Split, and the id's string form only when it is
	// left out: a line that names its id costs no allocation beyond the
	// labels' array, which scanSignals reuses.
	first, rest, hasID := strings.Cut(text, "\t")
	idField, labelField, hasLabels := strings.Cut(rest, "\t")
	s := strings.TrimSpace(first)
	if !strings.Contains(s, ":") {
		return false, fmt.Errorf("signal %q lacks its algorithm prefix (pdq:, md5:, ...)", truncate(s))
	}
	if l.signal, err = signal.Parse(s); err != nil {
		return false, err
	}
	if hasID {
		if id := strings.TrimSpace(idField); id != "" {
			if err := checkID(id); err != nil {
				return false, err
			}
			l.id = id
		}
	}
	if l.id == "" {
		l.id = l.signal.String()
	}
	if hasLabels {
		for lab := range strings.SplitSeq(labelField, ",") {
			lab = strings.TrimSpace(lab)
			if lab == "" {
				continue
			}
			if err := hashdb.ValidateLabel(lab); err != nil {
				return false, err
			}
			l.labels = append(l.labels, lab)
		}
	}
	return true, nil
}

// checkID reports whether id is an item id hashdb accepts, so that a bad
// one is reported with its line rather than when the items are stored.
func checkID(id string) error {
	switch {
	case len(id) > maxIDLen:
		return fmt.Errorf("item id is %d bytes, more than %d", len(id), maxIDLen)
	case !utf8.ValidString(id):
		return fmt.Errorf("item id %q is not UTF-8", truncate(id))
	case strings.IndexFunc(id, unicode.IsControl) >= 0:
		return fmt.Errorf("item id %q holds a control character", truncate(id))
	}
	return nil
}

// truncate shortens s for an error message.
func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
