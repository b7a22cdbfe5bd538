package lists

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/vpdq"
)

// pytxReader reads pytx's text forms, one line at a time. The forms
// differ only in what follows the value, so one parser reads them all.
type pytxReader struct {
	lines   *lineReader
	sigType string
	q       recordQueue
}

func newPyTXReader(br *bufio.Reader, o *ReadOptions) func() (Record, error) {
	r := &pytxReader{lines: newLineReader(br, o.MaxLineLen), sigType: o.SignalType}
	return r.next
}

func (r *pytxReader) next() (Record, error) {
	for {
		if rec, ok := r.q.pop(); ok {
			return rec, nil
		}
		b, err := r.lines.next()
		n := r.lines.line
		if err == errLineTooLong {
			return skipRecord(n, "line too long", fmt.Errorf("line %d is longer than %d bytes", n, r.lines.max)), nil
		}
		if err != nil {
			return Record{}, err
		}
		e, rec, ok := parsePyTXLine(string(b), r.sigType, n)
		if !ok {
			if rec.Kind == Skip {
				return rec, nil
			}
			continue // a blank line
		}
		return e.records(&r.q), nil
	}
}

// A pytxEntry is one signal of a pytx file, with the opinion data `tx
// dataset` prints.
type pytxEntry struct {
	line     int
	typ      string // the pytx signal type
	value    string
	collab   string
	category string
	tags     []string
}

// pytxRotations are the prefixes of `tx hash --photo-preprocess
// rotations`.
var pytxRotations = []string{
	"ORIGINAL", "ROTATE90", "ROTATE180", "ROTATE270", "FLIPX", "FLIPY", "FLIPPLUS1", "FLIPMINUS1",
}

// pytxCategories are pytx's opinion categories, and DISPUTED, the
// aggregate `tx dataset` prints for positive and negative opinions
// together.
var pytxCategories = []string{"NEGATIVE_CLASS", "INVESTIGATION_SEED", "POSITIVE_CLASS", "DISPUTED"}

// parsePyTXLine reads one line:
//
//	[<ROTATION> ]<type> <value>                              local_file, tx hash
//	[<type> ]<value>[ '<collab>'] <CATEGORY>[ <tag>,<tag>…]  tx dataset -P
//
// with the type left out if sigType is set. ok is false for a blank line
// (rec is zero) and for a line that is a Skip (rec).
func parsePyTXLine(s, sigType string, line int) (e pytxEntry, rec Record, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return e, rec, false
	}
	e.line = line
	rest := s
	if sigType == "" {
		first, after, _ := strings.Cut(s, " ")
		if after != "" && isRotation(first) {
			first, after, _ = strings.Cut(strings.TrimLeft(after, " "), " ")
		}
		after = strings.TrimLeft(after, " ")
		if after == "" {
			if knownPyTXType(first) {
				return e, skipRecord(line, "malformed line", fmt.Errorf("line %d: signal type %s without a value", line, first)), false
			}
			return e, skipRecord(line, "malformed line", fmt.Errorf("line %d: %q has no signal type (a bare value needs ReadOptions.SignalType)", line, clipText(s))), false
		}
		e.typ, rest = first, after
	} else {
		e.typ = sigType
	}
	var value, tail string
	if e.typ == pytxVPDQ {
		var err error
		if value, tail, err = cutJSONList(rest); err != nil {
			return e, skipRecord(line, "malformed vpdq value", fmt.Errorf("line %d: vpdq value %s: %v", line, clipText(rest), err)), false
		}
	} else {
		if _, ok := pytxTypes[e.typ]; !ok {
			return e, typeSkip(line, e.typ, pytxUnsupported), false
		}
		value, tail, _ = strings.Cut(rest, " ")
	}
	e.value = value
	tail = strings.TrimLeft(tail, " ")
	if tail == "" {
		return e, rec, true
	}
	if tail[0] == '\'' || tail[0] == '"' {
		collab, after, ok := parsePyRepr(tail)
		if !ok {
			return e, skipRecord(line, "malformed line", fmt.Errorf("line %d: unterminated collaboration name %s", line, clipText(tail))), false
		}
		e.collab = collab
		tail = strings.TrimLeft(after, " ")
	}
	category, tags, _ := strings.Cut(tail, " ")
	if !isCategory(category) {
		return e, skipRecord(line, "malformed line", fmt.Errorf("line %d: %q after the value is not an opinion category (want %s)", line, clipText(category), strings.Join(pytxCategories, ", "))), false
	}
	e.category = category
	for t := range strings.SplitSeq(tags, ",") {
		if t = strings.TrimSpace(t); t != "" {
			e.tags = append(e.tags, t)
		}
	}
	return e, rec, true
}

func isRotation(s string) bool { return slices.Contains(pytxRotations, s) }

func isCategory(s string) bool { return slices.Contains(pytxCategories, s) }

// records returns the entry's first record and queues the others.
func (e *pytxEntry) records(q *recordQueue) Record {
	var item hashdb.Item
	if e.typ == pytxVPDQ {
		h, err := vpdq.ParsePyTX(e.value)
		if err == nil && len(h.Features) == 0 {
			err = fmt.Errorf("%w: no frames", vpdq.ErrInvalid)
		}
		if err != nil {
			return skipRecord(e.line, "malformed vpdq value", fmt.Errorf("line %d: vpdq value %s: %w", e.line, clipText(e.value), err))
		}
		if e.category == "NEGATIVE_CLASS" {
			return skipRecord(e.line, "unsupported vpdq NEGATIVE_CLASS", fmt.Errorf("line %d: an allow-list entry for a video hash (opinions are on fixed-width signals)", e.line))
		}
		item = hashdb.Item{Key: hashdb.Key{ID: vpdqKey(h)}, Video: h, ContentType: hashdb.ContentVideo}
		return e.upsert(q, item)
	}
	st := pytxTypes[e.typ]
	sig, err := signal.ParseHex(st.alg, e.value)
	if err != nil {
		return skipRecord(e.line, "malformed "+e.typ+" value", fmt.Errorf("line %d: %s value %q: %w", e.line, e.typ, clipText(e.value), err))
	}
	if e.category == "NEGATIVE_CLASS" {
		// "Not bad": an allow-list entry for the signal, wherever it
		// appears, rather than an item.
		why := "pytx NEGATIVE_CLASS"
		if e.collab != "" {
			why += " in " + strconv.Quote(e.collab)
		}
		if len(e.tags) > 0 {
			why += ", tags " + strings.Join(e.tags, ",")
		}
		return Record{Kind: Opine, Line: e.line, Opinion: hashdb.Opinion{Signal: sig, Verdict: hashdb.FalsePositive, Reason: noteText(why)}}
	}
	return e.upsert(q, hashdb.Item{Key: hashdb.Key{ID: sig.String()}, Signals: []signal.Signal{sig}, ContentType: st.content})
}

// upsert returns the record storing item with the entry's labels, queuing
// the skips the labels made.
func (e *pytxEntry) upsert(q *recordQueue, item hashdb.Item) Record {
	var ls labelSet
	for _, t := range e.tags {
		ls.add("pytx", t, e.line)
	}
	if e.collab != "" {
		ls.add("pytx:collab", e.collab, e.line)
	}
	switch e.category {
	case "INVESTIGATION_SEED":
		ls.addLabel("pytx:investigation_seed")
	case "DISPUTED":
		ls.addLabel("pytx:disputed")
	}
	for _, s := range ls.skips {
		q.push(s)
	}
	item.Labels = ls.sorted()
	return Record{Kind: Upsert, Line: e.line, Item: item}
}

// pytxVPDQ is pytx's vPDQ signal type, whose value is a JSON list.
const pytxVPDQ = "vpdq"

// vpdqKey is the id of the item a pytx vpdq value makes: "vpdq:" and the
// SHA-256 of its canonical string form, since the form itself (80 bytes
// a frame) is far longer than an id may be.
func vpdqKey(h *vpdq.Hash) string {
	sum := sha256.Sum256([]byte(h.PyTX()))
	return vpdq.Prefix + hex.EncodeToString(sum[:])
}

// cutJSONList splits s after the JSON list it starts with, which holds
// spaces (pytx's vpdq value).
func cutJSONList(s string) (list, rest string, err error) {
	if !strings.HasPrefix(s, "[") {
		return "", "", fmt.Errorf("not a JSON list")
	}
	dec := json.NewDecoder(strings.NewReader(s))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return "", "", err
	}
	n := dec.InputOffset()
	if n < int64(len(s)) && s[n] != ' ' {
		return "", "", fmt.Errorf("text right after the list")
	}
	return s[:n], s[n:], nil
}

// parsePyRepr reads the Python repr() of a string at the start of s: in
// single quotes, or double quotes when it holds a single quote, with
// backslash escapes. It returns the string and what follows it.
func parsePyRepr(s string) (val, rest string, ok bool) {
	quote := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == quote:
			return b.String(), s[i+1:], true
		case c == '\\' && i+1 < len(s):
			i++
			switch e := s[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'x', 'u', 'U':
				w := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
				if i+w < len(s) {
					if v, err := strconv.ParseUint(s[i+1:i+1+w], 16, 32); err == nil {
						b.WriteRune(rune(v))
						i += w
						continue
					}
				}
				b.WriteByte('\\')
				b.WriteByte(e)
			case '\\', '\'', '"':
				b.WriteByte(e)
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}
