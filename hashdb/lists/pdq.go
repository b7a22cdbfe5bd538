package lists

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
)

// pdqReader reads the PDQ tools' lists, telling the line forms apart one
// line at a time, since a list may be the concatenation of several runs:
//
//	<hex>                                   bare
//	<hex>,<quality>[,<filename>]            the hashers' default
//	hash=<hex>,…,quality=<q>,…,filename=<f> the hashers' --details
//
// or, if its first line is a header naming a Hash column (the wasm test
// data's "FilePath,Hash"), a CSV of that header.
type pdqReader struct {
	lines      *lineReader
	started    bool
	hashCol    int // -1 unless the list is a CSV with a header
	pathCol    int
	qualityCol int
}

// pdqMinQuality is the PDQ authors' threshold: a hash of lower quality
// carries too little of the image to match on with confidence.
const pdqMinQuality = 50

func newPDQReader(br *bufio.Reader, o *ReadOptions) func() (Record, error) {
	r := &pdqReader{lines: newLineReader(br, o.MaxLineLen), hashCol: -1, pathCol: -1, qualityCol: -1}
	return r.next
}

func (r *pdqReader) next() (Record, error) {
	for {
		b, err := r.lines.next()
		n := r.lines.line
		if err == errLineTooLong {
			return skipRecord(n, "line too long", fmt.Errorf("line %d is longer than %d bytes", n, r.lines.max)), nil
		}
		if err != nil {
			return Record{}, err
		}
		s := strings.TrimSpace(string(b))
		if s == "" {
			continue
		}
		if !r.started {
			r.started = true
			if r.header(s) {
				continue
			}
		}
		return r.parse(s, n), nil
	}
}

// header reports whether s is a CSV header with a Hash column, and if so
// takes its columns.
func (r *pdqReader) header(s string) bool {
	if strings.HasPrefix(s, "hash=") {
		return false
	}
	cols, err := csv.NewReader(strings.NewReader(s)).Read()
	if err != nil {
		return false
	}
	hash, path, quality := -1, -1, -1
	for i, c := range cols {
		switch strings.ToLower(strings.TrimSpace(c)) {
		case "hash", "pdq", "pdqhash", "pdq_hash":
			hash = i
		case "filepath", "file_path", "path", "filename", "file":
			path = i
		case "quality":
			quality = i
		}
	}
	if hash < 0 {
		return false
	}
	r.hashCol, r.pathCol, r.qualityCol = hash, path, quality
	return true
}

func (r *pdqReader) parse(s string, n int) Record {
	var hash, quality, filename string
	hasQuality := false
	switch {
	case r.hashCol >= 0:
		row, err := csv.NewReader(strings.NewReader(s)).Read()
		if err != nil || r.hashCol >= len(row) {
			return skipRecord(n, "malformed line", fmt.Errorf("line %d: %q is not a row of the header's columns", n, clipText(s)))
		}
		hash = row[r.hashCol]
		if r.pathCol >= 0 && r.pathCol < len(row) {
			filename = row[r.pathCol]
		}
		if r.qualityCol >= 0 && r.qualityCol < len(row) {
			quality, hasQuality = row[r.qualityCol], true
		}
	case strings.HasPrefix(s, "hash="):
		for rest := s; rest != ""; {
			if f, ok := strings.CutPrefix(rest, "filename="); ok {
				// The file name is last and may hold commas.
				filename = f
				break
			}
			var kv string
			kv, rest, _ = strings.Cut(rest, ",")
			switch k, v, _ := strings.Cut(kv, "="); k {
			case "hash":
				hash = v
			case "quality":
				quality, hasQuality = v, true
			}
		}
	case strings.Contains(s, ","):
		var rest string
		hash, rest, _ = strings.Cut(s, ",")
		quality, filename, _ = strings.Cut(rest, ",")
		hasQuality = true
	default:
		hash = s
	}
	sig, err := signal.ParseHex(signal.PDQ, hash)
	if err != nil {
		return skipRecord(n, "malformed pdq value", fmt.Errorf("line %d: pdq value %q: %w", n, clipText(hash), err))
	}
	it := hashdb.Item{Signals: []signal.Signal{sig}, ContentType: hashdb.ContentPhoto}
	if hasQuality {
		q, err := strconv.Atoi(strings.TrimSpace(quality))
		if err != nil || q < 0 || q > 100 {
			return skipRecord(n, "malformed line", fmt.Errorf("line %d: quality %q is not a number from 0 to 100", n, clipText(quality)))
		}
		if q < pdqMinQuality {
			it.Unreliable = []signal.Signal{sig}
		}
	}
	it.ID = sig.String()
	if filename = strings.TrimSpace(filename); filename != "" {
		if err := checkID(filename); err != nil {
			return skipRecord(n, "malformed filename", fmt.Errorf("line %d: the file name cannot be an item id: %w", n, err))
		}
		it.ID = filename
	}
	return Record{Kind: Upsert, Line: n, Item: it}
}
