package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
)

// A signalLine is one line of a --signals file.
type signalLine struct {
	line   int // 1-based line number
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
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		l, ok, err := parseSignalLine(sc.Text())
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if !ok {
			continue
		}
		l.line = n
		if err := fn(l); err != nil {
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
	text = strings.TrimSuffix(text, "\r")
	if t := strings.TrimSpace(text); t == "" || strings.HasPrefix(t, "#") {
		return l, false, nil
	}
	if n := strings.Count(text, "\t") + 1; n > 3 {
		return l, false, fmt.Errorf("%d tab-separated fields, want at most 3: signal, item id, labels", n)
	}
	// Cut rather than Split, and the id's string form only when it is
	// left out: a line costs no allocation beyond its labels' slice.
	first, rest, hasID := strings.Cut(text, "\t")
	idField, labelField, hasLabels := strings.Cut(rest, "\t")
	s := strings.TrimSpace(first)
	if !strings.Contains(s, ":") {
		return l, false, fmt.Errorf("signal %q lacks its algorithm prefix (pdq:, md5:, ...)", truncate(s))
	}
	if l.signal, err = signal.Parse(s); err != nil {
		return l, false, err
	}
	if hasID {
		if id := strings.TrimSpace(idField); id != "" {
			if err := checkID(id); err != nil {
				return l, false, err
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
				return l, false, err
			}
			l.labels = append(l.labels, lab)
		}
	}
	return l, true, nil
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
