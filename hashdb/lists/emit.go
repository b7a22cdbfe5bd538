package lists

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// A recordQueue holds the records one entry of a list gave beyond the first: an
// item and its opinions, or the skipped parts of an entry.
type recordQueue struct {
	recs []Record
	i    int
}

func (q *recordQueue) push(r Record) { q.recs = append(q.recs, r) }

func (q *recordQueue) pop() (Record, bool) {
	if q.i == len(q.recs) {
		if q.i > 0 {
			clear(q.recs)
			q.recs, q.i = q.recs[:0], 0
		}
		return Record{}, false
	}
	r := q.recs[q.i]
	q.i++
	return r, true
}

func skipRecord(line int, reason string, err error) Record {
	return Record{Kind: Skip, Reason: reason, Err: err, Line: line}
}

// Limits of the database (hashdb's defaults) that a reader checks, so
// that a bad value is a Skip naming it rather than a failed batch.
const (
	maxIDLen   = 512
	maxOrgLen  = 64
	maxNoteLen = 4096
)

// checkID reports why id cannot be an item's id.
func checkID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("empty id")
	case len(id) > maxIDLen:
		return fmt.Errorf("id %q: %d bytes, more than %d", clipText(id), len(id), maxIDLen)
	case !utf8.ValidString(id):
		return fmt.Errorf("id %q is not valid UTF-8", clipText(id))
	}
	for _, r := range id {
		if unicode.IsControl(r) {
			return fmt.Errorf("id %q contains a control character", clipText(id))
		}
	}
	return nil
}

// clipText shortens s for a message.
func clipText(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// noteText returns s as a note or reason: valid UTF-8, at most maxNoteLen
// bytes, cut at a character boundary.
func noteText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= maxNoteLen {
		return s
	}
	i := maxNoteLen
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// storableTime returns t if the database can store it, else the zero time: a
// time out of range is no reason to lose the record.
func storableTime(t time.Time) time.Time {
	if t.IsZero() || t.Year() < 1678 || t.Year() > 2261 {
		return time.Time{}
	}
	return t.UTC()
}

// unixTime returns the time of a Unix timestamp in seconds, possibly
// fractional.
func unixTime(sec float64) time.Time {
	if sec <= 0 || sec > 1e11 {
		return time.Time{}
	}
	s := int64(sec)
	return storableTime(time.Unix(s, int64((sec-float64(s))*1e9)))
}

// orgID returns the organisation id for a party a format names by id or
// name: prefix, '-', and the name slugged, so that it cannot be taken for
// one of the database's own organisations.
func orgID(prefix, name string) (string, error) {
	s := slugTag(name, false)
	if s == "" {
		return "", fmt.Errorf("organisation %q has no letter or digit", clipText(name))
	}
	id := prefix + "-" + s
	if len(id) > maxOrgLen {
		return "", fmt.Errorf("organisation %q: id %q is more than %d bytes", clipText(name), clipText(id), maxOrgLen)
	}
	return id, nil
}
