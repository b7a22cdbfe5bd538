package lists

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/hashdb/tmk"
)

// teReader reads ThreatExchange answers: threat_updates pages (data[] of
// indicators, each with its descriptors), descriptor searches (data[] of
// descriptors) and descriptor lookups (descriptors keyed by id).
type teReader struct {
	w *jsonWalker
	q recordQueue
}

func newTEReader(br *bufio.Reader, o *ReadOptions) func() (Record, error) {
	r := &teReader{w: newJSONWalker(br, o, "ThreatExchange", func(key string) keyRole {
		switch key {
		case "data":
			return arrayKey
		case "paging", "summary":
			return skipKey
		case "error":
			return errorKey
		}
		return valueKey
	})}
	return r.next
}

// teEntry is an indicator of threat_updates or a descriptor: their
// fields do not collide, so one struct reads both.
type teEntry struct {
	ID           jsonText `json:"id"`
	Type         string   `json:"type"`
	Indicator    string   `json:"indicator"`
	LastUpdated  jsonTime `json:"last_updated"`
	ShouldDelete bool     `json:"should_delete"`
	Descriptors  *struct {
		Data []teDescriptor `json:"data"`
	} `json:"descriptors"`

	// A descriptor's own fields.
	Owner        *teOwner     `json:"owner"`
	Status       string       `json:"status"`
	Tags         teTags       `json:"tags"`
	AddedOn      jsonTime     `json:"added_on"`
	Reactions    []teReaction `json:"reactions"`
	RawIndicator string       `json:"raw_indicator"`
	ShareLevel   string       `json:"share_level"`
	Description  *string      `json:"description"`
}

type teDescriptor struct {
	DescriptorID jsonText     `json:"-"`
	Owner        *teOwner     `json:"owner"`
	Status       string       `json:"status"`
	Tags         teTags       `json:"tags"`
	AddedOn      jsonTime     `json:"added_on"`
	Reactions    []teReaction `json:"reactions"`
}

// The descriptors of threat_updates carry their own id, which teEntry's
// ID would shadow.
func (d *teDescriptor) UnmarshalJSON(b []byte) error {
	type plain teDescriptor
	var v struct {
		plain
		ID jsonText `json:"id"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*d = teDescriptor(v.plain)
	d.DescriptorID = v.ID
	return nil
}

type teOwner struct {
	ID   jsonText `json:"id"`
	Name string   `json:"name"`
}

type teReaction struct {
	Key   string `json:"key"`
	Value string `json:"value"` // app ids, comma-separated
}

// teTags reads tags in both of the API's forms: {"data": [{"text"}]} and
// a list of strings (or of {"text"}).
type teTags []string

func (t *teTags) UnmarshalJSON(b []byte) error {
	type tag struct {
		Text string `json:"text"`
	}
	var list []json.RawMessage
	if len(b) > 0 && b[0] == '{' {
		var v struct {
			Data []json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		list = v.Data
	} else if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*t = (*t)[:0]
	for _, raw := range list {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			var v tag
			if err := json.Unmarshal(raw, &v); err != nil {
				return fmt.Errorf("tag %s is neither a string nor {\"text\"}", clipText(string(raw)))
			}
			s = v.Text
		}
		*t = append(*t, s)
	}
	return nil
}

func (r *teReader) next() (Record, error) {
	for {
		if rec, ok := r.q.pop(); ok {
			return rec, nil
		}
		key, raw, err := r.w.next()
		if err != nil {
			return Record{}, err
		}
		n := r.w.pos
		var e teEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			return skipRecord(n, "malformed record", fmt.Errorf("entry %d: %v", n, err)), nil
		}
		if key != "data" {
			// A lookup's entries are keyed by descriptor id.
			e.ID = jsonText(key)
		}
		if e.Indicator == "" && e.RawIndicator != "" {
			r.descriptor(&e, n)
		} else {
			r.update(&e, n)
		}
	}
}

// update queues the records of one indicator of threat_updates.
func (r *teReader) update(e *teEntry, n int) {
	id := string(e.ID)
	if err := checkID(id); err != nil {
		r.q.push(skipRecord(n, "malformed record", fmt.Errorf("entry %d: %v", n, err)))
		return
	}
	st, ok := teTypes[e.Type]
	if !ok {
		r.q.push(typeSkip(n, e.Type, teUnsupported))
		return
	}
	key := hashdb.Key{ID: id}
	if e.ShouldDelete || e.Descriptors == nil {
		// TE marks deletes with should_delete, and sometimes only by
		// leaving the descriptors out (python-threatexchange issue 834).
		r.q.push(Record{Kind: Delete, Key: key, Line: n})
		return
	}
	sigs, th, err := teValue(e.Type, st, e.Indicator)
	if err != nil {
		r.q.push(skipRecord(n, "malformed "+e.Type+" value", fmt.Errorf("entry %d (id %s): %s value %q: %w", n, id, e.Type, clipText(e.Indicator), err)))
		return
	}
	var ls labelSet
	var ops []Record
	for i := range e.Descriptors.Data {
		d := &e.Descriptors.Data[i]
		for _, t := range d.Tags {
			ls.add("te", t, n)
		}
		ops = appendTEOpinions(ops, d, key, n, false)
	}
	for i := range e.Descriptors.Data {
		ops = appendTEOpinions(ops, &e.Descriptors.Data[i], key, n, true)
	}
	it := hashdb.Item{
		Key:         key,
		Signals:     sigs,
		TMK:         th,
		Labels:      ls.sorted(),
		ContentType: teContent(st, ls.labels),
		LastSeen:    e.LastUpdated.time(),
	}
	r.q.push(Record{Kind: Upsert, Item: it, Line: n})
	r.q.recs = append(r.q.recs, dedupOpinions(ops)...)
	r.q.recs = append(r.q.recs, ls.skips...)
}

// descriptor queues the records of one descriptor, looked up or found:
// an item of its own, keyed by the descriptor's id.
func (r *teReader) descriptor(e *teEntry, n int) {
	id := string(e.ID)
	if err := checkID(id); err != nil {
		r.q.push(skipRecord(n, "malformed record", fmt.Errorf("entry %d: %v", n, err)))
		return
	}
	st, ok := teTypes[e.Type]
	if !ok {
		r.q.push(typeSkip(n, e.Type, teUnsupported))
		return
	}
	sigs, th, err := teValue(e.Type, st, e.RawIndicator)
	if err != nil {
		r.q.push(skipRecord(n, "malformed "+e.Type+" value", fmt.Errorf("entry %d (id %s): %s value %q: %w", n, id, e.Type, clipText(e.RawIndicator), err)))
		return
	}
	var level tlp.Level
	if s := strings.TrimSpace(e.ShareLevel); s != "" && !strings.EqualFold(s, "UNKNOWN") {
		// TLP 1.0's WHITE is TLP 2.0's CLEAR; tlp.Parse knows it.
		if level, err = tlp.Parse(s); err != nil {
			r.q.push(skipRecord(n, "malformed record", fmt.Errorf("entry %d (id %s): share_level: %w", n, id, err)))
			return
		}
	}
	var ls labelSet
	for _, t := range e.Tags {
		ls.add("te", t, n)
	}
	key := hashdb.Key{ID: id}
	it := hashdb.Item{
		Key:         key,
		Signals:     sigs,
		TMK:         th,
		Labels:      ls.sorted(),
		TLP:         level,
		ContentType: teContent(st, ls.labels),
	}
	it.FirstSeen, it.LastSeen = seenTimes(e.AddedOn.time(), e.LastUpdated.time())
	if e.Description != nil {
		it.Note = noteText(*e.Description)
	}
	r.q.push(Record{Kind: Upsert, Item: it, Line: n})
	d := teDescriptor{DescriptorID: e.ID, Owner: e.Owner, Status: e.Status, Tags: e.Tags, AddedOn: e.AddedOn, Reactions: e.Reactions}
	r.q.recs = append(r.q.recs, dedupOpinions(appendTEOpinions(appendTEOpinions(nil, &d, key, n, false), &d, key, n, true))...)
	r.q.recs = append(r.q.recs, ls.skips...)
}

// teContent is the content type of a TE indicator: its type's, or, for
// the media-agnostic HASH_MD5 and HASH_SHA256, video if tagged
// media_type_video (the tag pytx reads them as video by).
func teContent(st sigType, labels []string) hashdb.ContentType {
	if st.content == hashdb.ContentUnknown && (st.alg == signal.MD5 || st.alg == signal.SHA256) {
		for _, l := range labels {
			if l == "te:media_type_video" {
				return hashdb.ContentVideo
			}
		}
	}
	return st.content
}

// appendTEOpinions appends the opinions a descriptor gives on the item
// key: its owner's status, or (reactions) each reacting app's reaction.
// Statuses are taken first, from every descriptor, so that an owner's
// status wins over its reactions to others' descriptors.
func appendTEOpinions(ops []Record, d *teDescriptor, key hashdb.Key, n int, reactions bool) []Record {
	if d.Owner == nil || d.Owner.ID == "" {
		if reactions {
			return ops
		}
		return append(ops, skipRecord(n, "malformed descriptor", fmt.Errorf("entry %d: descriptor %q has no owner", n, clipText(string(d.DescriptorID)))))
	}
	opine := func(app string, v hashdb.Verdict, why string, withTime bool) {
		org, err := orgID("te", app)
		if err != nil {
			ops = append(ops, skipRecord(n, "malformed descriptor", fmt.Errorf("entry %d: descriptor %q: %v", n, clipText(string(d.DescriptorID)), err)))
			return
		}
		op := hashdb.Opinion{Key: key, Verdict: v, Org: org, Reason: noteText(why)}
		if withTime {
			op.Time = d.AddedOn.time()
		}
		ops = append(ops, Record{Kind: Opine, Opinion: op, Line: n})
	}
	desc := fmt.Sprintf("ThreatExchange descriptor %s", d.DescriptorID)
	if !reactions {
		switch d.Status {
		case "MALICIOUS":
			opine(string(d.Owner.ID), hashdb.Confirmed, desc+" status MALICIOUS", true)
		case "NON_MALICIOUS":
			opine(string(d.Owner.ID), hashdb.FalsePositive, desc+" status NON_MALICIOUS", true)
		}
		return ops
	}
	for _, re := range d.Reactions {
		var v hashdb.Verdict
		switch re.Key {
		case "HELPFUL":
			v = hashdb.Confirmed
		case "DISAGREE_WITH_TAGS":
			v = hashdb.Disputed
		case "NON_MALICIOUS":
			v = hashdb.FalsePositive
		default:
			continue
		}
		for app := range strings.SplitSeq(re.Value, ",") {
			if app = strings.TrimSpace(app); app != "" {
				opine(app, v, desc+" reaction "+re.Key, false)
			}
		}
	}
	return ops
}

// dedupOpinions keeps each organisation's first opinion: the database
// holds one per organisation and target, and an owner's status, which
// comes first, says more than a reaction.
func dedupOpinions(ops []Record) []Record {
	done := map[string]bool{}
	out := ops[:0]
	for _, r := range ops {
		if r.Kind == Opine {
			if done[r.Opinion.Org] {
				continue
			}
			done[r.Opinion.Org] = true
		}
		out = append(out, r)
	}
	return out
}

// teValue parses an indicator's value: a hex signal of st's algorithm,
// or, for HASH_TMK, a TMK+PDQF hash in TE's string form
// ("TMK1FVECPDQF|" and base64).
func teValue(typ string, st sigType, value string) ([]signal.Signal, *tmk.Hash, error) {
	if typ == "HASH_TMK" {
		h, err := tmk.ParseString(value)
		return nil, h, err
	}
	sig, err := signal.ParseHex(st.alg, value)
	if err != nil {
		return nil, nil, err
	}
	return []signal.Signal{sig}, nil, nil
}
