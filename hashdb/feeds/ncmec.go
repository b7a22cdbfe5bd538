package feeds

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/lists"
	"github.com/hashshare/hashshare/hashdb/signal"
)

// NCMECEnvironments are the base URLs of NCMEC's environments that pytx
// documents; others need [NCMEC.BaseURL].
var NCMECEnvironments = map[string]string{
	"industry": "https://report.cybertip.org/hashsharing",
	"ngo":      "https://hashsharing.ncmec.org/npo",
}

// ncmecNamespace is the namespace of NCMEC's XML.
const ncmecNamespace = "https://hashsharing.ncmec.org/hashsharing/v2"

// ncmecCursorLife is how long NCMEC's next page is trusted (pytx issue
// 1744: NCMEC says not to store paging URLs).
const ncmecCursorLife = 12 * time.Hour

// ncmecTime is the form of from, to and the checkpoint.
const ncmecTime = "2006-01-02T15:04:05Z"

// NCMEC is a client of NCMEC's hash sharing API v2, with HTTP basic
// auth, in one environment. Its entries come in no time order, so the
// largest timestamp becomes the checkpoint only once a query is
// exhausted.
type NCMEC struct {
	Username, Password string
	// Environment is a key of [NCMECEnvironments]; it is the feed's
	// collaboration, so that each environment has its own checkpoint.
	Environment string
	// BaseURL replaces the environment's base.
	BaseURL string
	// Transport is how requests are sent.
	Transport Transport

	mu      sync.Mutex
	reasons map[string]string // the first negative reason per fingerprint type
}

// API returns "ncmec".
func (n *NCMEC) API() string { return "ncmec" }

// Collab returns the environment.
func (n *NCMEC) Collab() string { return strings.ToLower(n.Environment) }

func (n *NCMEC) format() lists.Format { return lists.NCMEC }

func (n *NCMEC) base() (string, error) {
	if n.BaseURL != "" {
		return orBase(n.BaseURL, ""), nil
	}
	if b, ok := NCMECEnvironments[n.Collab()]; ok {
		return b, nil
	}
	return "", fmt.Errorf("%w: NCMEC environment %q has no known base URL: name it (industry, ngo) or give the base URL", ErrCredentials, n.Environment)
}

// stale is never: the query in progress has its own rule (page).
func (n *NCMEC) stale(*hashdb.FeedState, time.Time) bool { return false }

func (n *NCMEC) since(st *hashdb.FeedState, t time.Time) { st.Checkpoint = t.UTC().Format(ncmecTime) }

func (n *NCMEC) request(method, u string, body []byte) (*request, error) {
	if n.Username == "" || n.Password == "" {
		return nil, fmt.Errorf("%w: NCMEC needs username and password", ErrCredentials)
	}
	basic := base64.StdEncoding.EncodeToString([]byte(n.Username + ":" + n.Password))
	h := http.Header{"Authorization": {"Basic " + basic}}
	if body != nil {
		h.Set("Content-Type", "application/xml")
	}
	return &request{method: method, url: u, header: h, body: body, secrets: []string{n.Password, basic}}, nil
}

// ncmecPage is the paging part of an entries answer, and the entries'
// timestamps.
type ncmecPage struct {
	XMLName xml.Name     `xml:"queryResult"`
	Images  ncmecSection `xml:"images"`
	Videos  ncmecSection `xml:"videos"`
	Next    string       `xml:"paging>next"`
}

type ncmecSection struct {
	MaxTimestamp string `xml:"maxTimestamp,attr"`
	Entries      []struct {
		Timestamp string `xml:"timestamp"`
	} `xml:",any"`
}

func parseNCMECPage(body []byte) (ncmecPage, error) {
	var p ncmecPage
	if err := xml.Unmarshal(body, &p); err != nil {
		return p, fmt.Errorf("%w: NCMEC answer: %v", ErrProtocol, err)
	}
	return p, nil
}

// maxTime returns the latest of the section's times that parse.
func (s *ncmecSection) maxTime() time.Time {
	var m time.Time
	times := []string{s.MaxTimestamp}
	for _, e := range s.Entries {
		times = append(times, e.Timestamp)
	}
	for _, v := range times {
		if t, err := time.Parse(time.RFC3339, strings.TrimSpace(v)); err == nil && t.After(m) {
			m = t
		}
	}
	return m
}

// sameQuery reports whether the next page u asks what query (from|to)
// asked.
func sameQuery(u, query string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	from, to, _ := strings.Cut(query, "|")
	for _, pair := range [][2]string{{p.Query().Get("from"), from}, {p.Query().Get("to"), to}} {
		a, err1 := time.Parse(time.RFC3339, pair[0])
		b, err2 := time.Parse(time.RFC3339, pair[1])
		if err1 != nil || err2 != nil || !a.Equal(b) {
			return false
		}
	}
	return true
}

func (n *NCMEC) page(ctx context.Context, st *hashdb.FeedState, now time.Time) ([]byte, bool, error) {
	base, err := n.base()
	if err != nil {
		return nil, false, err
	}
	var u string
	if st.Cursor != "" && now.Sub(st.Started) < ncmecCursorLife {
		if u, err = sameHost(base, st.Cursor); err != nil || !sameQuery(u, st.Query) {
			u = ""
		}
	}
	if u == "" {
		// A new query, from the checkpoint to now; an expired one is
		// asked again from its start.
		from := st.Checkpoint
		if from == "" {
			from = time.Unix(0, 0).UTC().Format(ncmecTime)
		}
		to := now.UTC().Format(ncmecTime)
		st.Query, st.Started, st.Mark = from+"|"+to, now, ""
		u = base + "/v2/entries?" + url.Values{"from": {from}, "to": {to}}.Encode()
	}
	req, err := n.request(http.MethodGet, u, nil)
	if err != nil {
		return nil, false, err
	}
	body, err := n.Transport.do(ctx, req)
	if err != nil {
		return nil, false, err
	}
	p, err := parseNCMECPage(body)
	if err != nil {
		return nil, false, err
	}
	mark, _ := time.Parse(time.RFC3339, st.Mark)
	for _, t := range []time.Time{p.Images.maxTime(), p.Videos.maxTime()} {
		if t.After(mark) {
			mark = t
		}
	}
	if !mark.IsZero() {
		st.Mark = mark.UTC().Format(ncmecTime)
	}
	if next := strings.TrimSpace(p.Next); next != "" {
		abs, err := sameHost(base, next)
		if err != nil {
			return nil, false, err
		}
		if abs == u {
			return nil, false, fmt.Errorf("%w: NCMEC's next page is the page itself", ErrProtocol)
		}
		st.Cursor = next
		return body, false, nil
	}
	// Exhausted: now the largest timestamp can be trusted.
	if cp, err := time.Parse(time.RFC3339, st.Checkpoint); st.Mark != "" && (err != nil || mark.After(cp)) {
		st.Checkpoint = st.Mark
	}
	st.Cursor, st.Query, st.Mark = "", "", ""
	return body, true, nil
}

// ncmecFingerprints names, for NCMEC's feedback, the fingerprint types
// of hashshare's algorithms.
var ncmecFingerprints = map[signal.Algorithm]string{signal.MD5: "MD5", signal.SHA1: "SHA1", signal.PDQ: "PDQ"}

// report sends fingerprint feedback on each fingerprint of the entry the
// item is ("<member id>-<entry id>"): affirmative for Confirmed, negative
// (with the first reason NCMEC lists for the type) otherwise.
func (n *NCMEC) report(ctx context.Context, it *hashdb.Item, op *hashdb.Opinion) error {
	base, err := n.base()
	if err != nil {
		return err
	}
	member, entry, ok := strings.Cut(it.ID, "-")
	if !ok || member == "" || entry == "" {
		return fmt.Errorf("%w: item %s is not an NCMEC entry (<member>-<id>)", ErrProtocol, it.Key)
	}
	for _, s := range it.Signals {
		fp, ok := ncmecFingerprints[s.Algorithm()]
		if !ok {
			continue
		}
		inner := "<affirmative/>"
		if op.Verdict != hashdb.Confirmed {
			guid, err := n.reason(ctx, base, fp)
			if err != nil {
				return err
			}
			var b strings.Builder
			_ = xml.EscapeText(&b, []byte(guid))
			inner = "<negative><reasonIds><guid>" + b.String() + "</guid></reasonIds></negative>"
		}
		body := []byte(`<feedbackSubmission xmlns="` + ncmecNamespace + `">` + inner + `</feedbackSubmission>`)
		u := base + "/v2/entries/" + url.PathEscape(member) + "/" + url.PathEscape(entry) + "/" + fp + "/feedback"
		req, err := n.request(http.MethodPut, u, body)
		if err != nil {
			return err
		}
		if _, err := n.Transport.do(ctx, req); err != nil {
			return err
		}
	}
	return nil
}

// reason returns the first negative feedback reason NCMEC lists for the
// fingerprint type fp.
func (n *NCMEC) reason(ctx context.Context, base, fp string) (string, error) {
	n.mu.Lock()
	guid, ok := n.reasons[fp]
	n.mu.Unlock()
	if ok {
		return guid, nil
	}
	req, err := n.request(http.MethodGet, base+"/v2/feedback/"+fp+"/reasons", nil)
	if err != nil {
		return "", err
	}
	body, err := n.Transport.do(ctx, req)
	if err != nil {
		return "", err
	}
	guid, err = parseNCMECReasons(body)
	if err != nil {
		return "", err
	}
	n.mu.Lock()
	if n.reasons == nil {
		n.reasons = map[string]string{}
	}
	n.reasons[fp] = guid
	n.mu.Unlock()
	return guid, nil
}

// parseNCMECReasons returns the guid of the first <reason> of a reasons
// answer, wherever it is nested.
func parseNCMECReasons(body []byte) (string, error) {
	d := xml.NewDecoder(strings.NewReader(string(body)))
	for {
		tok, err := d.Token()
		if err != nil {
			return "", fmt.Errorf("%w: NCMEC feedback reasons: no <reason guid=…>", ErrProtocol)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "reason" {
			for _, a := range se.Attr {
				if a.Name.Local == "guid" && strings.TrimSpace(a.Value) != "" {
					return strings.TrimSpace(a.Value), nil
				}
			}
		}
	}
}
