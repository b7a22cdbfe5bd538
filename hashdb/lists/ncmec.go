package lists

import (
	"bufio"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tmk"
)

// ncmecMaxDepth bounds the nesting of an NCMEC document, whose entries
// sit three levels down: deeper input is not an NCMEC answer, and the
// decoder's stack of open elements stays small.
const ncmecMaxDepth = 64

// ncmecReader reads NCMEC hash sharing v2 answers (one <queryResult>, or
// several saved pages one after another), token by token: each
// <image>, <video>, <deletedImage> or <deletedVideo> is decoded on its
// own. Namespaces are ignored, as pytx ignores them.
type ncmecReader struct {
	dec    *xml.Decoder
	budget *budgetReader
	depth  int
	roots  int
	pos    int
	q      recordQueue
}

func newNCMECReader(br *bufio.Reader, o *ReadOptions) func() (Record, error) {
	b := newBudgetReader(br, o.MaxRecordSize, "NCMEC entry")
	r := &ncmecReader{dec: xml.NewTokenDecoder(&xmlDepthLimit{dec: xml.NewDecoder(b)}), budget: b}
	return r.next
}

// An xmlDepthLimit passes on a decoder's tokens, failing once elements
// nest more than ncmecMaxDepth deep. DecodeElement skips unknown
// elements recursively, keeping a frame and a stack entry for each
// level, so without it an entry's memory would grow with its nesting
// rather than its size alone.
type xmlDepthLimit struct {
	dec   *xml.Decoder
	depth int
}

func (l *xmlDepthLimit) Token() (xml.Token, error) {
	t, err := l.dec.Token()
	switch t.(type) {
	case xml.StartElement:
		if l.depth++; l.depth > ncmecMaxDepth {
			return nil, fmt.Errorf("elements nested more than %d deep", ncmecMaxDepth)
		}
	case xml.EndElement:
		l.depth--
	}
	return t, err
}

type ncmecEntry struct {
	Member struct {
		ID   string `xml:"id,attr"`
		Name string `xml:",chardata"`
	} `xml:"member"`
	Timestamp      string `xml:"timestamp"`
	ID             string `xml:"id"`
	Classification string `xml:"classification"`
	Fingerprints   struct {
		List []ncmecFingerprint `xml:",any"`
	} `xml:"fingerprints"`
	Feedback struct {
		Affirmative []ncmecFeedback `xml:"affirmativeFeedback"`
		Negative    []ncmecFeedback `xml:"negativeFeedback"`
	} `xml:"feedback"`
}

type ncmecFingerprint struct {
	XMLName xml.Name
	Rel     string `xml:"rel,attr"`
	Href    string `xml:"href,attr"`
	Value   string `xml:",chardata"`
}

type ncmecFeedback struct {
	Type    string `xml:"type,attr"`
	Members []struct {
		ID string `xml:"id,attr"`
	} `xml:"members>member"`
	Reasons []struct {
		Name string `xml:"name,attr"`
	} `xml:"reasons>reason"`
}

func (r *ncmecReader) next() (Record, error) {
	for {
		if rec, ok := r.q.pop(); ok {
			return rec, nil
		}
		r.budget.reset()
		tok, err := r.dec.Token()
		if err == io.EOF {
			if r.roots == 0 {
				return Record{}, fmt.Errorf("%w: NCMEC: no <queryResult> element", ErrFormat)
			}
			return Record{}, io.EOF
		}
		if err != nil {
			return Record{}, r.fail(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if r.depth == 0 {
				if t.Name.Local != "queryResult" {
					return Record{}, fmt.Errorf("%w: NCMEC: the document is a <%s>, not a <queryResult>", ErrFormat, clipText(t.Name.Local))
				}
				r.roots++
			}
			switch t.Name.Local {
			case "image", "video", "deletedImage", "deletedVideo":
				if r.depth >= 1 {
					if err := r.entry(&t); err != nil {
						return Record{}, err
					}
					continue
				}
			}
			r.depth++
		case xml.EndElement:
			r.depth--
		}
	}
}

func (r *ncmecReader) fail(err error) error { return r.budget.fail("NCMEC", err) }

// entry decodes the entry start opens and queues its records.
func (r *ncmecReader) entry(start *xml.StartElement) error {
	r.budget.reset()
	var e ncmecEntry
	if err := r.dec.DecodeElement(&e, start); err != nil {
		return r.fail(err)
	}
	r.pos++
	n := r.pos
	member, id := strings.TrimSpace(e.Member.ID), strings.TrimSpace(e.ID)
	if member == "" || id == "" {
		r.q.push(skipRecord(n, "malformed record", fmt.Errorf("entry %d: <%s> without a member id or an id", n, start.Name.Local)))
		return nil
	}
	// Ids are the member's own, so pytx scopes them by member; so do we.
	key := hashdb.Key{ID: member + "-" + id}
	if err := checkID(key.ID); err != nil {
		r.q.push(skipRecord(n, "malformed record", fmt.Errorf("entry %d: %v", n, err)))
		return nil
	}
	content := hashdb.ContentPhoto
	switch start.Name.Local {
	case "deletedImage", "deletedVideo":
		r.q.push(Record{Kind: Delete, Key: key, Line: n})
		return nil
	case "video":
		content = hashdb.ContentVideo
	}
	var sigs []signal.Signal
	var skips []Record
	var th *tmk.Hash
	for _, f := range e.Fingerprints.List {
		name, value := strings.ToLower(f.XMLName.Local), strings.TrimSpace(f.Value)
		if value == "" && (f.Href != "" || f.Rel != "") {
			skips = append(skips, skipRecord(n, "large fingerprint", fmt.Errorf("entry %d (%s): the %s fingerprint is to be fetched from %q", n, key.ID, name, clipText(f.Href))))
			continue
		}
		if name == "tmk_pdqf" && value != "" {
			h, err := ncmecTMK(value)
			if err != nil {
				skips = append(skips, skipRecord(n, "malformed "+name+" value", fmt.Errorf("entry %d (%s): %s value %q: %w", n, key.ID, name, clipText(value), err)))
				continue
			}
			th = h
			continue
		}
		alg, ok := ncmecFingerprints[name]
		if !ok {
			skips = append(skips, typeSkip(n, name, ncmecUnsupported))
			continue
		}
		sig, err := signal.ParseHex(alg, value)
		if err != nil {
			skips = append(skips, skipRecord(n, "malformed "+name+" value", fmt.Errorf("entry %d (%s): %s value %q: %w", n, key.ID, name, clipText(value), err)))
			continue
		}
		if !slices.Contains(sigs, sig) {
			sigs = append(sigs, sig)
		}
	}
	if len(sigs) > 0 || th != nil {
		var ls labelSet
		ls.add("ncmec", e.Classification, n)
		it := hashdb.Item{Key: key, Signals: sigs, Labels: ls.sorted(), ContentType: content, TMK: th}
		if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(e.Timestamp)); err == nil {
			it.LastSeen = storableTime(t)
		}
		r.q.push(Record{Kind: Upsert, Item: it, Line: n})
		r.q.recs = append(r.q.recs, r.feedback(&e, key, n)...)
		r.q.recs = append(r.q.recs, ls.skips...)
	}
	r.q.recs = append(r.q.recs, skips...)
	return nil
}

// feedback returns the members' opinions on the entry: one per member,
// Disputed if it gave negative feedback on any fingerprint, else
// Confirmed.
func (r *ncmecReader) feedback(e *ncmecEntry, key hashdb.Key, n int) []Record {
	type opinion struct {
		verdict hashdb.Verdict
		why     []string
	}
	byMember := map[string]*opinion{}
	var order []string
	add := func(fbs []ncmecFeedback, v hashdb.Verdict, kind string) {
		for _, fb := range fbs {
			why := "NCMEC " + kind + " feedback on " + fb.Type
			var reasons []string
			for _, re := range fb.Reasons {
				reasons = append(reasons, re.Name)
			}
			if len(reasons) > 0 {
				why += " (" + strings.Join(reasons, ", ") + ")"
			}
			for _, m := range fb.Members {
				id := strings.TrimSpace(m.ID)
				op := byMember[id]
				if op == nil {
					op = &opinion{verdict: v}
					byMember[id] = op
					order = append(order, id)
				}
				if v == hashdb.Disputed {
					op.verdict = v
				}
				op.why = append(op.why, why)
			}
		}
	}
	add(e.Feedback.Affirmative, hashdb.Confirmed, "affirmative")
	add(e.Feedback.Negative, hashdb.Disputed, "negative")
	var recs []Record
	for _, id := range order {
		org, err := orgID("ncmec", id)
		if err != nil {
			recs = append(recs, skipRecord(n, "malformed feedback", fmt.Errorf("entry %d (%s): feedback by %v", n, key.ID, err)))
			continue
		}
		op := byMember[id]
		recs = append(recs, Record{Kind: Opine, Line: n, Opinion: hashdb.Opinion{
			Key: key, Verdict: op.verdict, Org: org, Reason: noteText(strings.Join(op.why, "; ")),
		}})
	}
	return recs
}

// ncmecTMK parses an inline tmk_pdqf fingerprint, which NCMEC's API
// normally leaves to be fetched: ThreatExchange's string form
// ("TMK1FVECPDQF|" and base64) or the base64 of the whole .tmk file.
func ncmecTMK(value string) (*tmk.Hash, error) {
	if strings.HasPrefix(value, tmk.StringPrefix) {
		return tmk.ParseString(value)
	}
	b, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return nil, fmt.Errorf("%w: neither %q nor base64: %v", tmk.ErrInvalid, tmk.StringPrefix, err)
	}
	return tmk.Parse(b)
}
