package lists

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// sniff tells the format of the input from what br holds of its start,
// without consuming it.
func sniff(br *bufio.Reader, o *ReadOptions) (Format, error) {
	b, err := br.Peek(peekLen)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return "", err
	}
	t := bytes.TrimLeft(b, " \t\r\n")
	if len(t) == 0 {
		return "", fmt.Errorf("%w: empty input, no format to tell", ErrFormat)
	}
	switch t[0] {
	case '<':
		return NCMEC, nil
	case '{':
		return sniffJSON(t)
	}
	line, _, _ := bytes.Cut(t, []byte("\n"))
	s := strings.TrimSpace(string(line))
	first := s
	if i := strings.IndexAny(s, ", \t"); i >= 0 {
		first = s[:i]
	}
	switch {
	case isPyTXCSVHeader(s):
		return PyTXCSV, nil
	case strings.HasPrefix(s, "hash="):
		return PDQ, nil
	case o.SignalType != "":
		// Bare values of the type the caller names.
		return PyTX, nil
	case isHex(first) && len(first) == 64:
		return PDQ, nil
	case isHex(first):
		return "", fmt.Errorf("%w: the first line %q is a bare value of no type (set ReadOptions.SignalType for a typed pytx file)", ErrFormat, clipText(s))
	case (&pdqReader{}).header(s):
		return PDQ, nil
	}
	word, _, _ := strings.Cut(s, " ")
	if knownPyTXType(word) || isRotation(word) {
		return PyTX, nil
	}
	return "", fmt.Errorf("%w: cannot tell the format of a list starting %q", ErrFormat, clipText(s))
}

// sniffJSON tells the JSON answers apart by their top-level keys, which
// it reads until one is decisive; a key whose value is an object, with no
// decisive key before it, is a ThreatExchange descriptor lookup, keyed by
// descriptor id.
func sniffJSON(b []byte) (Format, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return "", fmt.Errorf("%w: %v", ErrFormat, err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		key, _ := tok.(string)
		switch key {
		case "data", "paging", "error":
			return ThreatExchange, nil
		case "results", "checkpoint", "next", "previous":
			return TCAP, nil
		case "hashRecords", "nextSetTimestamp", "nextPageToken", "hasMoreRecords":
			return StopNCII, nil
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			break
		}
		if bytes.HasPrefix(v, []byte("{")) {
			return ThreatExchange, nil
		}
	}
	return "", fmt.Errorf("%w: a JSON document of no known answer's keys", ErrFormat)
}

// isPyTXCSVHeader reports whether s is a header naming pytx's two
// required columns, in any order.
func isPyTXCSVHeader(s string) bool {
	cols := strings.Split(s, ",")
	for i := range cols {
		cols[i] = strings.TrimSpace(cols[i])
	}
	return slices.Contains(cols, "signal_type") && slices.Contains(cols, "signal_str")
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20 // lower-cases letters, keeps digits
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
