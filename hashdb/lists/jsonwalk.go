package lists

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// A keyRole is what a JSON answer's top-level key holds.
type keyRole uint8

const (
	skipKey  keyRole = iota // metadata: paging, counts, checkpoints
	arrayKey                // an array of entries ("data", "results", "hashRecords")
	valueKey                // one entry, keyed by its id (a descriptor lookup)
	errorKey                // an error answer instead of entries
)

// A jsonWalker yields the entries of a stream of JSON answers, one
// document after another (concatenated, or one a line, as saved pages
// are), decoding one entry at a time: an answer's entry array is never
// held whole.
type jsonWalker struct {
	dec    *json.Decoder
	budget *budgetReader
	name   string // the format, for messages
	role   func(key string) keyRole
	inDoc  bool
	inArr  bool
	arrKey string
	pos    int // entries read so far: an entry's Line
}

func newJSONWalker(br *bufio.Reader, o *ReadOptions, name string, role func(string) keyRole) *jsonWalker {
	b := newBudgetReader(br, o.MaxRecordSize, name+" entry")
	return &jsonWalker{dec: json.NewDecoder(b), budget: b, name: name, role: role}
}

// next returns the next entry and the key it came under: the array's key
// for an array's element, its own for a keyed entry. It returns io.EOF
// after the last document.
func (w *jsonWalker) next() (key string, raw json.RawMessage, err error) {
	for {
		w.budget.reset()
		switch {
		case w.inArr:
			if !w.dec.More() {
				if _, err := w.dec.Token(); err != nil { // ']'
					return "", nil, w.fail(err)
				}
				w.inArr = false
				continue
			}
			if err := w.dec.Decode(&raw); err != nil {
				return "", nil, w.fail(err)
			}
			w.pos++
			return w.arrKey, raw, nil
		case w.inDoc:
			if !w.dec.More() {
				if _, err := w.dec.Token(); err != nil { // '}'
					return "", nil, w.fail(err)
				}
				w.inDoc = false
				continue
			}
			tok, err := w.dec.Token()
			if err != nil {
				return "", nil, w.fail(err)
			}
			key, _ := tok.(string)
			w.budget.reset()
			switch w.role(key) {
			case arrayKey:
				tok, err := w.dec.Token()
				if err != nil {
					return "", nil, w.fail(err)
				}
				switch tok {
				case json.Delim('['):
					w.inArr, w.arrKey = true, key
				case nil:
				default:
					return "", nil, fmt.Errorf("%w: %s: %q is not an array", ErrFormat, w.name, key)
				}
				continue
			case valueKey:
				if err := w.dec.Decode(&raw); err != nil {
					return "", nil, w.fail(err)
				}
				if !bytes.HasPrefix(raw, []byte("{")) {
					continue
				}
				w.pos++
				return key, raw, nil
			case errorKey:
				if err := w.dec.Decode(&raw); err != nil {
					return "", nil, w.fail(err)
				}
				var e struct {
					Message string `json:"message"`
				}
				json.Unmarshal(raw, &e)
				if e.Message == "" {
					e.Message = string(raw)
				}
				return "", nil, fmt.Errorf("%w: %s answered an error: %s", ErrFormat, w.name, clipText(e.Message))
			}
			var skip json.RawMessage
			if err := w.dec.Decode(&skip); err != nil {
				return "", nil, w.fail(err)
			}
		default:
			tok, err := w.dec.Token()
			if err == io.EOF {
				return "", nil, io.EOF
			}
			if err != nil {
				return "", nil, w.fail(err)
			}
			if tok != json.Delim('{') {
				return "", nil, fmt.Errorf("%w: %s: a document starting %v, not an object", ErrFormat, w.name, tok)
			}
			w.inDoc = true
		}
	}
}

// fail returns the error that ends the list after err.
func (w *jsonWalker) fail(err error) error { return w.budget.fail(w.name, err) }

// jsonText is a JSON string or number as text: ids come as either.
type jsonText string

func (t *jsonText) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*t = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = jsonText(s)
	case len(b) > 0 && (b[0] == '-' || '0' <= b[0] && b[0] <= '9'):
		*t = jsonText(b)
	default:
		return fmt.Errorf("%s is not a string or a number", clipText(string(b)))
	}
	return nil
}

// jsonTime is a time as these APIs write one: Unix seconds as a number
// or a string of one, or an ISO 8601 string with or without a colon in
// the offset. A form it cannot read is no time rather than a lost entry.
type jsonTime time.Time

// isoLayouts are the ISO 8601 forms seen: ThreatExchange's offset without
// a colon, TCAP's and NCMEC's RFC 3339.
var isoLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700", "2006-01-02T15:04:05.999999999"}

func (t *jsonTime) UnmarshalJSON(b []byte) error {
	var s string
	switch {
	case string(b) == "null":
		return nil
	case len(b) > 0 && b[0] == '"':
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	case len(b) > 0 && (b[0] == '-' || '0' <= b[0] && b[0] <= '9'):
		s = string(b)
	default:
		return fmt.Errorf("%s is not a time", clipText(string(b)))
	}
	*t = jsonTime(parseTime(s))
	return nil
}

func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return unixTime(f)
	}
	for _, l := range isoLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return storableTime(t)
		}
	}
	return time.Time{}
}

func (t jsonTime) time() time.Time { return time.Time(t) }

// seenTimes returns the first and last seen times of an entry, dropping the
// first if it is after the last: the database refuses that pair, and the
// last seen is the one sources keep current.
func seenTimes(first, last time.Time) (time.Time, time.Time) {
	if !first.IsZero() && !last.IsZero() && last.Before(first) {
		return time.Time{}, last
	}
	return first, last
}
