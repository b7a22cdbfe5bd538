package lists

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
)

// tcapReader reads TCAP content hash list v2 pages: results[] of entries,
// each keyed by its id.
type tcapReader struct {
	w *jsonWalker
	q recordQueue
}

func newTCAPReader(br *bufio.Reader, o *ReadOptions) func() (Record, error) {
	r := &tcapReader{w: newJSONWalker(br, o, "TCAP", func(key string) keyRole {
		if key == "results" {
			return arrayKey
		}
		return skipKey
	})}
	return r.next
}

type tcapEntry struct {
	HashDigest string   `json:"hash_digest"`
	Algorithm  string   `json:"algorithm"`
	Ideology   string   `json:"ideology"`
	FileType   string   `json:"file_type"`
	Deleted    bool     `json:"deleted"`
	UpdatedOn  jsonTime `json:"updated_on"`
	CreatedOn  jsonTime `json:"created_on"`
	ID         jsonText `json:"id"`
}

func (r *tcapReader) next() (Record, error) {
	if rec, ok := r.q.pop(); ok {
		return rec, nil
	}
	_, raw, err := r.w.next()
	if err != nil {
		return Record{}, err
	}
	n := r.w.pos
	var e tcapEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		return skipRecord(n, "malformed record", fmt.Errorf("entry %d: %v", n, err)), nil
	}
	id := string(e.ID)
	if err := checkID(id); err != nil {
		return skipRecord(n, "malformed record", fmt.Errorf("entry %d: %v", n, err)), nil
	}
	algName := strings.ToUpper(strings.TrimSpace(e.Algorithm))
	alg, ok := tcapAlgorithms[algName]
	if !ok {
		return typeSkip(n, algName, tcapUnsupported), nil
	}
	key := hashdb.Key{ID: id}
	if e.Deleted {
		return Record{Kind: Delete, Key: key, Line: n}, nil
	}
	sig, err := signal.ParseHex(alg, e.HashDigest)
	if err != nil {
		return skipRecord(n, "malformed "+algName+" value", fmt.Errorf("entry %d (id %s): %s value %q: %w", n, id, algName, clipText(e.HashDigest), err)), nil
	}
	fileType := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(e.FileType, ".")))
	var ls labelSet
	ls.add("ideology", e.Ideology, n)
	ls.add("filetype", fileType, n)
	it := hashdb.Item{
		Key:         key,
		Signals:     []signal.Signal{sig},
		Labels:      ls.sorted(),
		ContentType: contentOfFileType(fileType),
	}
	it.FirstSeen, it.LastSeen = seenTimes(e.CreatedOn.time(), e.UpdatedOn.time())
	r.q.recs = append(r.q.recs, ls.skips...)
	return Record{Kind: Upsert, Item: it, Line: n}, nil
}
