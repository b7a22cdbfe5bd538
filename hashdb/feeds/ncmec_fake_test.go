package feeds

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashshare/hashshare/hashdb"
)

// fakeNCMEC speaks NCMEC's hash sharing v2 (formats.md §5) under the base
// path /npo: basic auth, entries between from and to in no time order,
// paged by relative next URLs, and fingerprint feedback.
type fakeNCMEC struct {
	url      string
	f        faults
	mu       sync.Mutex
	entries  []ncmecEntry
	ts       time.Time
	size     int
	feedback []string
	queries  []string
}

type ncmecEntry struct {
	member, id string
	ts         time.Time
	video      bool
	deleted    bool
	gone       bool
	md5, pdq   string
}

const ncmecUser, ncmecPass = "ncmec-user", "ncmec-password-secret"

func newFakeNCMEC(t *testing.T, n int) *fakeNCMEC {
	s := &fakeNCMEC{ts: time.Date(2023, 11, 14, 22, 0, 0, 0, time.UTC), size: 2}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /npo/v2/entries", s.list)
	mux.HandleFunc("GET /npo/v2/feedback/{type}/reasons", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<?xml version="1.0"?><availableReasons xmlns="%s"><reasons><reason guid="guid-%s-1" name="Not the content" type="%s"/></reasons></availableReasons>`,
			ncmecNamespace, r.PathValue("type"), r.PathValue("type"))
	})
	mux.HandleFunc("PUT /npo/v2/entries/{esp}/{entry}/{type}/feedback", s.submit)
	s.url = newServer(t, s.auth(mux)).URL + "/npo"
	s.add(n)
	return s
}

func (s *fakeNCMEC) auth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != ncmecUser || p != ncmecPass {
			http.Error(w, "unauthorised", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *fakeNCMEC) list(w http.ResponseWriter, r *http.Request) {
	if s.f.inject(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := r.URL.Query()
	from, err1 := time.Parse(time.RFC3339, q.Get("from"))
	to, err2 := time.Parse(time.RFC3339, q.Get("to"))
	if err1 != nil || err2 != nil {
		http.Error(w, "bad from/to", http.StatusBadRequest)
		return
	}
	s.queries = append(s.queries, r.URL.RawQuery)
	var sel []ncmecEntry
	// Newest first: not in time order.
	for i := len(s.entries) - 1; i >= 0; i-- {
		if e := s.entries[i]; !e.gone && !e.ts.Before(from) && !e.ts.After(to) {
			sel = append(sel, e)
		}
	}
	start := max(1, atoi(q.Get("start"), 1))
	size := min(atoi(q.Get("size"), s.size), s.size)
	page := sel[min(start-1, len(sel)):min(start-1+size, len(sel))]
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><queryResult xmlns="%s">`, ncmecNamespace)
	for _, video := range []bool{false, true} {
		tag := "image"
		if video {
			tag = "video"
		}
		var inner strings.Builder
		n := 0
		var maxTS time.Time
		for _, e := range page {
			if e.video != video {
				continue
			}
			n++
			if e.ts.After(maxTS) {
				maxTS = e.ts
			}
			el := tag
			if e.deleted {
				el = "deleted" + strings.ToUpper(tag[:1]) + tag[1:]
			}
			fmt.Fprintf(&inner, `<%s><member id="%s">Example ESP</member><timestamp>%s</timestamp><id>%s</id>`, el, e.member, e.ts.Format(ncmecTime), e.id)
			if !e.deleted {
				fmt.Fprintf(&inner, `<classification>A1</classification><fingerprints><md5>%s</md5><pdq>%s</pdq><tmk_pdqf rel="self" href="https://example.invalid/x"/></fingerprints>`, e.md5, e.pdq)
			}
			fmt.Fprintf(&inner, `</%s>`, el)
		}
		if n == 0 {
			fmt.Fprintf(&b, `<%ss count="0"/>`, tag)
			continue
		}
		fmt.Fprintf(&b, `<%ss count="%d" maxTimestamp="%s">%s</%ss>`, tag, n, maxTS.Format(ncmecTime), inner.String(), tag)
	}
	if start-1+size < len(sel) {
		nq := url.Values{"from": {from.Format("2006-01-02T15:04:05.000Z")}, "to": {to.Format("2006-01-02T15:04:05.000Z")},
			"start": {strconv.Itoa(start + size)}, "size": {strconv.Itoa(size)}, "max": {strconv.Itoa(len(sel))}}
		var esc strings.Builder
		xml.EscapeText(&esc, []byte("/v2/entries?"+nq.Encode()))
		fmt.Fprintf(&b, `<paging><next>%s</next></paging>`, esc.String())
	}
	b.WriteString(`</queryResult>`)
	w.Header().Set("Content-Type", "application/xml")
	io.WriteString(w, b.String())
}

func atoi(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

func (s *fakeNCMEC) submit(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var fs struct {
		XMLName     xml.Name  `xml:"feedbackSubmission"`
		Affirmative *struct{} `xml:"affirmative"`
		Negative    *struct {
			GUIDs []string `xml:"reasonIds>guid"`
		} `xml:"negative"`
	}
	if err := xml.Unmarshal(b, &fs); err != nil || fs.XMLName.Space != ncmecNamespace || (fs.Affirmative == nil) == (fs.Negative == nil) {
		http.Error(w, "bad feedback", http.StatusBadRequest)
		return
	}
	kind := "affirmative"
	if fs.Negative != nil {
		kind = "negative " + strings.Join(fs.Negative.GUIDs, ",")
	}
	s.mu.Lock()
	s.feedback = append(s.feedback, fmt.Sprintf("%s-%s %s %s", r.PathValue("esp"), r.PathValue("entry"), r.PathValue("type"), kind))
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (s *fakeNCMEC) feed() Feed {
	return &NCMEC{Username: ncmecUser, Password: ncmecPass, Environment: "ngo", BaseURL: s.url, Transport: fastTransport(nil)}
}

func (s *fakeNCMEC) add(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		i := len(s.entries)
		s.ts = s.ts.Add(time.Minute)
		s.entries = append(s.entries, ncmecEntry{member: "9990", id: fmt.Sprintf("entry-%d", i), ts: s.ts, video: i%3 == 2,
			md5: fmt.Sprintf("%032x", i+1), pdq: fmt.Sprintf("%064x", i+1)})
	}
}

func (s *fakeNCMEC) tombstone(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[i]
	s.entries[i].gone = true
	s.ts = s.ts.Add(time.Minute)
	e.deleted, e.ts = true, s.ts
	s.entries = append(s.entries, e)
}

func (s *fakeNCMEC) drop(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries[i].gone = true
}

func (s *fakeNCMEC) key(i int) hashdb.Key {
	return hashdb.Key{Source: "ncmec", ID: fmt.Sprintf("9990-entry-%d", i)}
}

func (s *fakeNCMEC) faults() *faults { return &s.f }

func (s *fakeNCMEC) sent() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.feedback...)
}

func (s *fakeNCMEC) secrets() []string { return []string{ncmecPass} }

func (s *fakeNCMEC) corrupt(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, `<queryResult xmlns="%s"><images count="2"><image><member id="1">M</member><id>x</id><fingerprints><md5>%032x</md5></fingerprints></image><ima`, ncmecNamespace, 7)
}

func TestNCMECCheckpointWaitsForTheEndOfTheQuery(t *testing.T) {
	fake := newFakeNCMEC(t, 7)
	db := openDB(t)
	fake.f.set(3, status(http.StatusBadRequest, ""))
	if _, err := Fetch(t.Context(), db, fake.feed(), nil); err == nil {
		t.Fatal("fetch through a failing page succeeded")
	}
	st, err := db.FeedState("ncmec", "ngo")
	if err != nil || st.Checkpoint != "" || st.Cursor == "" || st.Mark == "" {
		t.Fatalf("state mid-query: %+v, %v: want no checkpoint yet, a cursor and a mark", st, err)
	}
	// More than 12 hours later the cursor is not trusted: the query is
	// asked again from its start, to a new end.
	fake.f.reset()
	later := time.Now().Add(13 * time.Hour)
	fetch(t, db, fake.feed(), &FetchOptions{Now: func() time.Time { return later }})
	st, _ = db.FeedState("ncmec", "ngo")
	want := fake.entries[6].ts.Format(ncmecTime)
	if st.Checkpoint != want || st.Cursor != "" {
		t.Fatalf("state after the query: %+v, want checkpoint %s", st, want)
	}
	if q := fake.queries[len(fake.queries)-4]; strings.Contains(q, "start=") {
		t.Errorf("the expired query went on from its cursor: %s", q)
	}
	for i := range 7 {
		live(t, db, fake.key(i))
	}
}

func TestNCMECFeedback(t *testing.T) {
	fake := newFakeNCMEC(t, 2)
	db := openDB(t)
	f := fake.feed()
	fetch(t, db, f, nil)
	ctx := t.Context()
	db.SetOpinion(ctx, hashdb.Opinion{Key: fake.key(0), Verdict: hashdb.Confirmed})
	db.SetOpinion(ctx, hashdb.Opinion{Key: fake.key(1), Verdict: hashdb.FalsePositive})
	if _, err := Report(ctx, db, f, nil); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(fake.sent(), "\n")
	want := "9990-entry-0 PDQ affirmative\n9990-entry-0 MD5 affirmative\n9990-entry-1 PDQ negative guid-PDQ-1\n9990-entry-1 MD5 negative guid-MD5-1"
	if got != want {
		t.Errorf("feedback:\n%s\nwant\n%s", got, want)
	}
}
