package feeds

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/lists"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// fakeTE speaks the Graph API's threat_updates, indicator reads,
// reactions and privacy groups (formats.md §3) under /v21.0: the token
// in the query, records from start_time on in id order (not time
// order), paged by absolute next URLs that carry the token, as Graph's
// do.
type fakeTE struct {
	url       string
	f         faults
	mu        sync.Mutex
	inds      []teInd
	ts        int64
	limit     int
	reactions []string
}

type teInd struct {
	id, hash    string
	updated     int64
	del, noDesc bool
	gone        bool
}

const teToken = "1234|app-secret-token"

func newFakeTE(t *testing.T, n int) *fakeTE {
	s := &fakeTE{ts: 1700000000, limit: 2}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v21.0/{group}/threat_updates", s.updates)
	mux.HandleFunc("GET /v21.0/{app}/threat_privacy_groups_member", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"data": [{"id": 555, "name": "Group", "description": "d", "members_can_see": true, "members_can_use": true, "threat_updates_enabled": true}]}`))
	})
	mux.HandleFunc("GET /v21.0/{$}", func(w http.ResponseWriter, r *http.Request) {
		out := map[string]any{}
		for _, id := range strings.Split(r.URL.Query().Get("ids"), ",") {
			out[id] = map[string]any{"id": id, "raw_indicator": fmt.Sprintf("%064s", id), "type": "HASH_PDQ",
				"added_on": "2023-11-14T22:13:20+0000", "last_updated": "2023-11-14T22:15:00+0000", "share_level": "AMBER",
				"owner": map[string]any{"id": "2000000000000001"}, "status": "NON_MALICIOUS", "tags": []string{"a"}, "description": "d"}
		}
		json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("GET /v21.0/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		json.NewEncoder(w).Encode(map[string]any{"id": id, "descriptors": map[string]any{"data": []any{
			map[string]any{"id": "d" + id, "owner": map[string]any{"id": "2000000000000001"}},
			map[string]any{"id": "own" + id, "owner": map[string]any{"id": "1234"}}, // the app's own
		}}})
	})
	mux.HandleFunc("POST /v21.0/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.ParseForm() != nil || r.PostForm.Get("access_token") != teToken {
			http.Error(w, "bad token", http.StatusUnauthorized)
			return
		}
		s.mu.Lock()
		if strings.HasPrefix(r.PathValue("id"), "own") {
			http.Error(w, "reaction to one's own descriptor", http.StatusBadRequest)
			return
		}
		s.reactions = append(s.reactions, r.PathValue("id")+" "+r.PostForm.Get("reactions"))
		s.mu.Unlock()
		w.Write([]byte(`{"success": true}`))
	})
	s.url = newServer(t, s.auth(mux)).URL + "/v21.0"
	s.add(n)
	return s
}

func (s *fakeTE) auth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Query().Get("access_token") != teToken {
			http.Error(w, `{"error": {"message": "Invalid OAuth access token."}}`, http.StatusBadRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *fakeTE) updates(w http.ResponseWriter, r *http.Request) {
	if s.f.inject(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := r.URL.Query()
	if r.PathValue("group") != "555" || !strings.Contains(q.Get("fields"), "should_delete") {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	start, _ := strconv.ParseInt(q.Get("start_time"), 10, 64)
	limit := min(atoi(q.Get("limit"), 100), s.limit)
	off := atoi(strings.TrimPrefix(q.Get("after"), "c"), 0)
	var sel []teInd
	for _, in := range s.inds {
		if !in.gone && in.updated >= start {
			sel = append(sel, in)
		}
	}
	off = min(off, len(sel))
	var data []any
	for _, in := range sel[off:min(off+limit, len(sel))] {
		rec := map[string]any{"id": in.id, "indicator": in.hash, "type": "HASH_PDQ", "last_updated": in.updated, "should_delete": in.del}
		if !in.noDesc {
			rec["descriptors"] = map[string]any{"data": []any{map[string]any{
				"id": "d" + in.id, "owner": map[string]any{"id": "2000000000000001"}, "status": "MALICIOUS",
				"tags":     map[string]any{"data": []any{map[string]any{"id": "1", "text": "example_tag"}}},
				"added_on": "2023-11-14T22:13:20+0000", "reactions": []any{map[string]any{"key": "HELPFUL", "value": "2000000000000003"}}}}}
		}
		data = append(data, rec)
	}
	a := map[string]any{"data": data, "paging": map[string]any{"cursors": map[string]any{"before": "b", "after": "a"}}}
	if off+limit < len(sel) {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("after", fmt.Sprintf("c%d", off+limit))
		a["paging"].(map[string]any)["next"] = "http://" + r.Host + r.URL.Path + "?" + nq.Encode()
	}
	json.NewEncoder(w).Encode(a)
}

func (s *fakeTE) feed() Feed {
	return &ThreatExchange{AccessToken: teToken, PrivacyGroup: "555", BaseURL: s.url, Transport: fastTransport(nil)}
}

// add adds n indicators; their ids run backwards, so that id order is
// not time order.
func (s *fakeTE) add(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		i := len(s.inds)
		s.ts += 100
		s.inds = append(s.inds, teInd{id: strconv.Itoa(1000000 + i), hash: fmt.Sprintf("%064x", i+1), updated: s.ts})
	}
}

func (s *fakeTE) tombstone(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ts += 100
	s.inds[i].updated = s.ts
	// TE's two ways of saying it.
	if i%2 == 0 {
		s.inds[i].del = true
	} else {
		s.inds[i].noDesc = true
	}
}

func (s *fakeTE) drop(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inds[i].gone = true
}

func (s *fakeTE) key(i int) hashdb.Key {
	return hashdb.Key{Source: "threatexchange", ID: strconv.Itoa(1000000 + i)}
}

func (s *fakeTE) faults() *faults { return &s.f }

func (s *fakeTE) sent() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reactions...)
}

func (s *fakeTE) secrets() []string { return []string{teToken, "app-secret-token"} }

func (s *fakeTE) corrupt(w http.ResponseWriter, r *http.Request) {
	w.Write([]byte(`{"data": [{"id": "1", "indicator": "` + strings.Repeat("ab", 32) + `", "type": "HASH_PDQ", "last_updated": 1900000000, "descriptors": {"data": []}}, {"id": "2", "indic`))
}

func TestThreatExchangeCursorHoldsNoToken(t *testing.T) {
	fake := newFakeTE(t, 7)
	db := openDB(t)
	fake.f.set(3, status(http.StatusBadRequest, ""))
	if _, err := Fetch(t.Context(), db, fake.feed(), nil); err == nil {
		t.Fatal("fetch through a failing page succeeded")
	}
	st, err := db.FeedState("threatexchange", "555")
	if err != nil || st.Cursor == "" || strings.Contains(st.Cursor, "secret") || st.Checkpoint != "" {
		t.Fatalf("state mid-query: %+v, %v", st, err)
	}
}

func TestThreatExchangePrivacyGroupsAndDescriptors(t *testing.T) {
	fake := newFakeTE(t, 1)
	te := fake.feed().(*ThreatExchange)
	groups, err := te.PrivacyGroups(t.Context(), "1234", false)
	if err != nil || len(groups) != 1 || groups[0].ID != "555" || !groups[0].ThreatUpdatesEnabled {
		t.Fatalf("privacy groups: %+v, %v", groups, err)
	}
	ids := make([]string, 60) // more than one request's worth
	for i := range ids {
		ids[i] = strconv.Itoa(7000 + i)
	}
	recs, err := te.Descriptors(t.Context(), ids)
	if err != nil {
		t.Fatal(err)
	}
	items, falsePositives := 0, 0
	for _, r := range recs {
		switch {
		case r.Kind == lists.Upsert && r.Item.TLP == tlp.Amber && r.Item.Note == "d":
			items++
		case r.Kind == lists.Opine && r.Opinion.Verdict == hashdb.FalsePositive && r.Opinion.Org == "te-2000000000000001":
			falsePositives++
		}
	}
	if items != 60 || falsePositives != 60 {
		t.Errorf("descriptors: %d items, %d opinions of %d records", items, falsePositives, len(recs))
	}
}

func TestThreatExchangeRefusesForeignNextPages(t *testing.T) {
	fake := newFakeTE(t, 3)
	fake.f.set(1, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"data": [], "paging": {"next": "https://attacker.invalid/v21.0/555/threat_updates?after=x"}}`))
	})
	_, err := Fetch(t.Context(), openDB(t), fake.feed(), nil)
	if err == nil || !strings.Contains(err.Error(), "not on the base URL's host") {
		t.Fatalf("fetch told to go elsewhere: %v", err)
	}
}
