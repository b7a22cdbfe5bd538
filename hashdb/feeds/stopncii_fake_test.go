package feeds

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hashshare/hashshare/hashdb"
)

// fakeStopNCII speaks FetchHashes and SubmitFeedback (formats.md §6):
// sets of up to setSize records from startTimestamp on, paged by
// nextPageToken; a finished set gives its nextSetTimestamp.
type fakeStopNCII struct {
	url              string
	f                faults
	mu               sync.Mutex
	recs             []snRec
	ts               int64
	pageSize, setMax int
	feedback         []string
}

type snRec struct {
	TS     int64  `json:"lastModtimestamp"`
	Type   string `json:"signalType"`
	Hash   string `json:"hashValue"`
	Status string `json:"hashStatus"`
	gone   bool
}

const snSub, snFn = "sub-key-secret-1", "fn-key-secret-2"

func newFakeStopNCII(t *testing.T, n int) *fakeStopNCII {
	s := &fakeStopNCII{ts: 1700000000, pageSize: 2, setMax: 5}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/FetchHashes", s.fetch)
	mux.HandleFunc("POST /v1/SubmitFeedback", s.submit)
	s.url = newServer(t, s.auth(mux)).URL
	s.add(n)
	return s
}

func (s *fakeStopNCII) auth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Ocp-Apim-Subscription-Key") != snSub || r.Header.Get("x-functions-key") != snFn {
			http.Error(w, "bad keys: "+r.Header.Get("Ocp-Apim-Subscription-Key")+" "+r.Header.Get("x-functions-key"), http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *fakeStopNCII) fetch(w http.ResponseWriter, r *http.Request) {
	if s.f.inject(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	start, err := strconv.ParseInt(r.URL.Query().Get("startTimestamp"), 10, 64)
	size, err2 := strconv.Atoi(r.URL.Query().Get("pageSize"))
	if err != nil || err2 != nil || size < 1 || size > 1000 {
		http.Error(w, "bad query", http.StatusBadRequest)
		return
	}
	size = min(size, s.pageSize)
	var set []snRec
	more := false
	for _, rec := range s.recs {
		if rec.TS >= start && !rec.gone {
			if len(set) == s.setMax {
				more = true
				break
			}
			set = append(set, rec)
		}
	}
	off := 0
	if tok := r.URL.Query().Get("nextPageToken"); tok != "" {
		off, _ = strconv.Atoi(strings.TrimPrefix(tok, "tok-"))
	}
	off = min(off, len(set))
	page := set[off:min(off+size, len(set))]
	a := map[string]any{"count": len(page), "hashRecords": page}
	if off+size < len(set) {
		a["nextPageToken"], a["nextSetTimestamp"], a["hasMoreRecords"] = fmt.Sprintf("tok-%d", off+size), start, true
	} else {
		next := start
		if len(set) > 0 {
			next = set[len(set)-1].TS + 1
		}
		a["nextPageToken"], a["nextSetTimestamp"], a["hasMoreRecords"] = nil, next, more
	}
	json.NewEncoder(w).Encode(a)
}

func (s *fakeStopNCII) submit(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var a struct {
		Count         int `json:"count"`
		HashFeedbacks []struct {
			HashValue, FeedbackValue string
		} `json:"hashFeedbacks"`
	}
	if err := json.Unmarshal(b, &a); err != nil || a.Count != len(a.HashFeedbacks) {
		http.Error(w, "bad feedback", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	for _, f := range a.HashFeedbacks {
		s.feedback = append(s.feedback, f.HashValue+" "+f.FeedbackValue)
	}
	s.mu.Unlock()
	w.Write([]byte(`{}`))
}

func (s *fakeStopNCII) feed() Feed {
	return &StopNCII{SubscriptionKey: snSub, FunctionKey: snFn, BaseURL: s.url, Transport: fastTransport(nil)}
}

func (s *fakeStopNCII) add(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		i := len(s.recs)
		s.ts += 10
		s.recs = append(s.recs, snRec{TS: s.ts, Type: "ImagePDQ", Hash: fmt.Sprintf("%064x", i+1), Status: "Active"})
	}
}

// move puts record i last, at a new time, as a change does.
func (s *fakeStopNCII) move(i int, edit func(r *snRec)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.recs[i]
	s.ts += 10
	r.TS = s.ts
	edit(&r)
	s.recs[i].gone = true
	s.recs = append(s.recs, r)
}

func (s *fakeStopNCII) tombstone(i int) { s.move(i, func(r *snRec) { r.Status = "Withdrawn" }) }

func (s *fakeStopNCII) drop(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs[i].gone = true
}

func (s *fakeStopNCII) key(i int) hashdb.Key {
	return hashdb.Key{Source: "stopncii", ID: fmt.Sprintf("pdq:%064x", i+1)}
}

func (s *fakeStopNCII) faults() *faults { return &s.f }

func (s *fakeStopNCII) sent() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.feedback...)
}

func (s *fakeStopNCII) secrets() []string { return []string{snSub, snFn} }

func (s *fakeStopNCII) corrupt(w http.ResponseWriter, r *http.Request) {
	w.Write([]byte(`{"count": 2, "nextPageToken": null, "nextSetTimestamp": 1, "hasMoreRecords": false, "hashRecords": [` +
		`{"lastModtimestamp": 1, "signalType": "ImagePDQ", "hashValue": "` + strings.Repeat("ab", 32) + `", "hashStatus": "Active"}, {"lastMod`))
}
