package lists

import (
	"bufio"
	"encoding/json"
	"fmt"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
)

// stopNCIIReader reads StopNCII FetchHashes answers: hashRecords[], each
// a hash with its status and the platforms' feedback. The records carry
// no id, so the item's id is the signal.
type stopNCIIReader struct {
	w *jsonWalker
	q recordQueue
}

func newStopNCIIReader(br *bufio.Reader, o *ReadOptions) func() (Record, error) {
	r := &stopNCIIReader{w: newJSONWalker(br, o, "StopNCII", func(key string) keyRole {
		if key == "hashRecords" {
			return arrayKey
		}
		return skipKey
	})}
	return r.next
}

type stopNCIIRecord struct {
	LastModified jsonTime `json:"lastModtimestamp"`
	SignalType   string   `json:"signalType"`
	HashValue    string   `json:"hashValue"`
	HashStatus   string   `json:"hashStatus"`
	CSPFeedbacks []struct {
		Source        string   `json:"source"`
		FeedbackValue string   `json:"feedbackValue"`
		Tags          []string `json:"tags"`
	} `json:"CSPFeedbacks"`
}

func (r *stopNCIIReader) next() (Record, error) {
	if rec, ok := r.q.pop(); ok {
		return rec, nil
	}
	_, raw, err := r.w.next()
	if err != nil {
		return Record{}, err
	}
	n := r.w.pos
	var e stopNCIIRecord
	if err := json.Unmarshal(raw, &e); err != nil {
		return skipRecord(n, "malformed record", fmt.Errorf("entry %d: %v", n, err)), nil
	}
	st, ok := stopNCIITypes[e.SignalType]
	if !ok {
		return typeSkip(n, e.SignalType, stopNCIIUnsupported), nil
	}
	sig, err := signal.ParseHex(st.alg, e.HashValue)
	if err != nil {
		return skipRecord(n, "malformed "+e.SignalType+" value", fmt.Errorf("entry %d: %s value %q: %w", n, e.SignalType, clipText(e.HashValue), err)), nil
	}
	key := hashdb.Key{ID: sig.String()}
	switch e.HashStatus {
	case "Withdrawn", "Deleted":
		// The status says the client should delete the hash. pytx tests
		// hashValue instead, and so never deletes.
		return Record{Kind: Delete, Key: key, Line: n}, nil
	}
	var ls labelSet
	var ops []Record
	for _, f := range e.CSPFeedbacks {
		for _, t := range f.Tags {
			ls.add("stopncii", t, n)
		}
		var v hashdb.Verdict
		switch f.FeedbackValue {
		case "Blocked":
			v = hashdb.Confirmed
		case "NotBlocked":
			v = hashdb.FalsePositive
		default:
			continue
		}
		org, err := orgID("stopncii", f.Source)
		if err != nil {
			ops = append(ops, skipRecord(n, "malformed feedback", fmt.Errorf("entry %d: feedback %s: %v", n, f.FeedbackValue, err)))
			continue
		}
		ops = append(ops, Record{Kind: Opine, Line: n, Opinion: hashdb.Opinion{
			Key: key, Verdict: v, Org: org, Reason: noteText("StopNCII feedback " + f.FeedbackValue + " from " + f.Source),
		}})
	}
	it := hashdb.Item{
		Key:         key,
		Signals:     []signal.Signal{sig},
		Labels:      ls.sorted(),
		ContentType: st.content,
		LastSeen:    e.LastModified.time(),
	}
	r.q.recs = append(r.q.recs, dedupOpinions(ops)...)
	r.q.recs = append(r.q.recs, ls.skips...)
	return Record{Kind: Upsert, Item: it, Line: n}, nil
}
