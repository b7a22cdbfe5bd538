package feeds

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashshare/hashshare/hashdb"
)

// fakeTCAP speaks TCAP's token auth and hash list v2 (formats.md §4):
// entries in ascending (updated_on, id) order after a "<ts>,<id>"
// checkpoint, paged by limit and offset in the next URL.
type fakeTCAP struct {
	url     string
	f       faults
	mu      sync.Mutex
	entries []tcapEntry
	ts      float64
	limit   int
	tokens  map[string]int // uses left
	uses    int            // uses a new token gets
	ttl     time.Duration  // a new token's lifetime
	logins  int
}

type tcapEntry struct {
	Hash     string  `json:"hash_digest"`
	Alg      string  `json:"algorithm"`
	Ideology string  `json:"ideology"`
	FileType string  `json:"file_type"`
	Deleted  bool    `json:"deleted"`
	Updated  float64 `json:"updated_on"`
	Created  string  `json:"created_on"`
	ID       int     `json:"id"`
	gone     bool
}

const tcapUser, tcapPass = "tcap-user", "tcap-password-secret"

func newFakeTCAP(t *testing.T, n int) *fakeTCAP {
	s := &fakeTCAP{ts: 1700000000.25, limit: 2, tokens: map[string]int{}, uses: 1000, ttl: time.Hour}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token-auth/tcap/", s.login)
	mux.HandleFunc("GET /api/hash-list/v2/all", s.list)
	s.url = newServer(t, mux).URL
	s.add(n)
	return s
}

func (s *fakeTCAP) login(w http.ResponseWriter, r *http.Request) {
	if r.ParseForm() != nil || r.PostForm.Get("username") != tcapUser || r.PostForm.Get("password") != tcapPass || r.PostForm.Get("resend") != "false" {
		http.Error(w, "bad login", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logins++
	claims, _ := json.Marshal(map[string]any{"exp": time.Now().Add(s.ttl).Unix(), "n": s.logins})
	tok := "eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(claims) + ".c2lnbmF0dXJl"
	s.tokens[tok] = s.uses
	json.NewEncoder(w).Encode(map[string]any{"token": tok, "user": map[string]any{"username": tcapUser}})
}

func (s *fakeTCAP) list(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	left, ok := s.tokens[tok]
	if ok {
		s.tokens[tok] = left - 1
	}
	s.mu.Unlock()
	if !ok || left <= 0 {
		http.Error(w, `{"detail": "Token expired"}`, http.StatusUnauthorized)
		return
	}
	if s.f.inject(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := r.URL.Query()
	if q.Get("order") != "asc" {
		http.Error(w, "order=asc only", http.StatusBadRequest)
		return
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	limit = min(limit, s.limit)
	offset, _ := strconv.Atoi(q.Get("offset"))
	var afterTS float64
	afterID := -1
	if a := q.Get("after"); a != "" {
		ts, id, _ := strings.Cut(a, ",")
		afterTS, _ = strconv.ParseFloat(ts, 64)
		afterID, _ = strconv.Atoi(id)
	}
	var sel []tcapEntry
	for _, e := range s.entries {
		if !e.gone && (e.Updated > afterTS || e.Updated == afterTS && e.ID > afterID) {
			sel = append(sel, e)
		}
	}
	offset = min(offset, len(sel))
	page := sel[offset:min(offset+limit, len(sel))]
	a := map[string]any{"count": len(sel), "results": page, "previous": nil, "next": nil, "checkpoint": q.Get("after")}
	if len(page) > 0 {
		last := page[len(page)-1]
		a["checkpoint"] = fmt.Sprintf("%v,%d", last.Updated, last.ID)
	}
	if offset+limit < len(sel) {
		nq := url.Values{"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(offset + limit)}, "order": {"asc"}}
		if q.Get("after") != "" {
			nq.Set("after", q.Get("after"))
		}
		a["next"] = "http://" + r.Host + "/api/hash-list/v2/all?" + nq.Encode()
	}
	json.NewEncoder(w).Encode(a)
}

func (s *fakeTCAP) feed() Feed {
	return &TCAP{Username: tcapUser, Password: tcapPass, BaseURL: s.url, Transport: fastTransport(nil)}
}

func (s *fakeTCAP) add(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		i := len(s.entries)
		s.ts += 10
		s.entries = append(s.entries, tcapEntry{Hash: fmt.Sprintf("%064x", i+1), Alg: "PDQ", Ideology: "far-right", FileType: "jpg",
			Updated: s.ts, Created: "2023-11-14T22:13:20.000000Z", ID: 900000 + i})
	}
}

func (s *fakeTCAP) tombstone(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[i]
	s.entries[i].gone = true
	s.ts += 10
	e.Deleted, e.Updated = true, s.ts
	s.entries = append(s.entries, e)
}

func (s *fakeTCAP) drop(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries[i].gone = true
}

func (s *fakeTCAP) key(i int) hashdb.Key {
	return hashdb.Key{Source: "tcap", ID: strconv.Itoa(900000 + i)}
}

func (s *fakeTCAP) faults() *faults { return &s.f }

// set changes the tokens the fake gives, and counts logins from 0.
func (s *fakeTCAP) set(uses int, ttl time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.uses, s.ttl, s.logins = uses, ttl, 0
}

func (s *fakeTCAP) loginCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}
func (s *fakeTCAP) sent() []string { return nil }
func (s *fakeTCAP) secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []string{tcapPass}
	for tok := range s.tokens {
		out = append(out, tok)
	}
	return out
}

func (s *fakeTCAP) corrupt(w http.ResponseWriter, r *http.Request) {
	w.Write([]byte(`{"count": 9, "next": null, "checkpoint": "1800000000.5,1", "results": [{"hash_digest": "` + strings.Repeat("ab", 32) +
		`", "algorithm": "PDQ", "deleted": false, "updated_on": 1.5, "id": 1}, {"hash_dig`))
}

func TestTCAPLogsInAgainWhenTheTokenIsRefused(t *testing.T) {
	fake := newFakeTCAP(t, 7)
	fake.set(2, time.Hour)
	db := openDB(t)
	sum := fetch(t, db, fake.feed(), nil)
	if sum.Items != 7 || fake.loginCount() < 2 {
		t.Fatalf("fetch with short-lived tokens: %+v after %d logins", sum, fake.loginCount())
	}
}

func TestTCAPTokenExpiry(t *testing.T) {
	claims := base64.RawURLEncoding.EncodeToString([]byte(`{"exp": 1700000000}`))
	tok, exp, err := parseTCAPToken([]byte(`{"token": "a.` + claims + `.c"}`))
	if err != nil || tok == "" || !exp.Equal(time.Unix(1700000000, 0)) {
		t.Fatalf("parseTCAPToken: %q %v %v", tok, exp, err)
	}
	for _, body := range []string{`{}`, `{"token": ""}`, `[`, `{"token": 5}`} {
		if _, _, err := parseTCAPToken([]byte(body)); err == nil {
			t.Errorf("parseTCAPToken(%s) took it", body)
		}
	}
}

func TestTCAPLogsInAgainBeforeTheTokenExpires(t *testing.T) {
	fake := newFakeTCAP(t, 5)
	fake.set(1000, 20*time.Second) // within the 30 s margin: expired at once
	sum := fetch(t, openDB(t), fake.feed(), nil)
	if sum.Items != 5 || fake.loginCount() != sum.Pages {
		t.Fatalf("fetch with expiring tokens: %+v after %d logins, want one per page", sum, fake.loginCount())
	}
	fake.set(1000, time.Hour)
	sum = fetch(t, openDB(t), fake.feed(), nil)
	if fake.loginCount() != 1 {
		t.Fatalf("fetch with a good token: %d logins over %d pages, want 1", fake.loginCount(), sum.Pages)
	}
}
