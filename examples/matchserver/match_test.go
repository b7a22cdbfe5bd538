package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/signal"
)

func TestMatchSignals(t *testing.T) {
	f := newFixture(t, config{MaxSignals: 3})
	pdq, _ := f.hash.Signal(signal.PDQ)
	near := []byte(pdq.Hex())
	near[0] ^= 1 // one bit off
	req := `{"signals": ["` + pdq.String() + `", "pdq:` + string(near) + `", "md5:00000000000000000000000000000000"], "thresholds": {"pdq": 31}}`
	code, body, _ := do(t, "POST", f.ts.URL+"/v1/match", "application/json", []byte(req))
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	var res matchReply
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	if res.Hashes != nil || len(res.Results) != 3 {
		t.Fatalf("%s", body)
	}
	for i, wantDist := range []int{0, 1, -1} {
		r := res.Results[i]
		if wantDist < 0 {
			if len(r.Matches) != 0 {
				t.Errorf("query %d matched: %+v", i, r)
			}
			continue
		}
		if len(r.Matches) != 1 || r.Matches[0].Distance != wantDist || r.Matches[0].Signal != pdq.String() ||
			len(r.Matches[0].Items) != 1 || r.Matches[0].Items[0].ID != "case/17" || r.Matches[0].Items[0].TLP != "GREEN" {
			t.Errorf("query %d: %+v", i, r)
		}
	}
	// A threshold of 0 excludes the near one.
	code, body, _ = do(t, "POST", f.ts.URL+"/v1/match", "application/json; charset=utf-8",
		[]byte(`{"signals": ["pdq:`+string(near)+`"], "thresholds": {"pdq": 0}}`))
	if code != 200 || !strings.Contains(string(body), `"matches":[]`) {
		t.Errorf("threshold 0: %d %s", code, body)
	}

	for _, c := range []struct {
		what, body string
		code       int
		msg        string
	}{
		{"bad signal", `{"signals": ["pdq:00"]}`, 400, "signals[0]"},
		{"no prefix", `{"signals": ["` + pdq.Hex() + `"]}`, 400, "signals[0]"},
		{"no signals", `{"signals": []}`, 400, "no \"signals\" (or \"vpdq\", or \"tmk_pdqf\")"},
		{"too many", `{"signals": ["md5:00000000000000000000000000000000","md5:00000000000000000000000000000000","md5:00000000000000000000000000000000","md5:00000000000000000000000000000000"]}`, 413, "more than"},
		{"bad algorithm", `{"signals": ["` + pdq.String() + `"], "thresholds": {"xyz": 3}}`, 400, "xyz"},
		{"bad threshold", `{"signals": ["` + pdq.String() + `"], "thresholds": {"pdq": 999}}`, 400, "0 to 256"},
		{"unknown field", `{"signal": []}`, 400, "unknown field"},
		{"not JSON", `{"signals": [`, 400, "JSON"},
		{"trailing data", `{"signals": ["` + pdq.String() + `"]} {}`, 400, "after"},
	} {
		code, body, _ := do(t, "POST", f.ts.URL+"/v1/match", "application/json", []byte(c.body))
		wantError(t, c.what, code, body, c.code, c.msg)
	}
}

func TestMatchMedia(t *testing.T) {
	f := newFixture(t, config{MaxBody: 1 << 20})
	pdq, _ := f.hash.Signal(signal.PDQ)
	query := encodeJPEG(t, altered(scene(200, 160, 1)))
	check := func(what string, code int, body []byte) {
		t.Helper()
		if code != 200 {
			t.Fatalf("%s: %d %s", what, code, body)
		}
		var res matchReply
		if err := json.Unmarshal(body, &res); err != nil {
			t.Fatal(err)
		}
		if res.Hashes == nil || res.Hashes.Format != "jpeg" {
			t.Errorf("%s: hashes %+v", what, res.Hashes)
		}
		for _, r := range res.Results {
			for _, m := range r.Matches {
				if m.Signal == pdq.String() && m.Distance > 0 && m.Distance <= 31 && m.Items[0].ID == "case/17" {
					return
				}
			}
		}
		t.Errorf("%s: no near PDQ match: %s", what, body)
	}
	code, body, _ := do(t, "POST", f.ts.URL+"/v1/match", "image/jpeg", query)
	check("raw", code, body)
	ct, mp := multipartBody(t, "file", query)
	code, body, _ = do(t, "POST", f.ts.URL+"/v1/match?threshold=pdq=31&include_unreliable=true", ct, mp)
	check("multipart", code, body)

	code, body, _ = do(t, "POST", f.ts.URL+"/v1/match?threshold=pdq=0&threshold=phash=0&threshold=dhash=0&threshold=ahash=0", "image/jpeg", query)
	// Only exact matches are left; the coarse 64-bit hashes of a re-encoded
	// copy may be identical, its PDQ never is.
	if code != 200 || regexp.MustCompile(`"distance":[1-9]|"signal":"pdq:`).Match(body) {
		t.Errorf("thresholds 0: %d %s", code, body)
	}
	for _, c := range []struct {
		what, query, ct string
		body            []byte
		code            int
		msg             string
	}{
		{"bad threshold", "?threshold=pdq", "image/jpeg", query, 400, "ALG=N"},
		{"unknown algorithm", "?threshold=nope=3", "image/jpeg", query, 400, "nope"},
		{"empty", "", "image/jpeg", nil, 400, "empty"},
		{"corrupt", "", "image/jpeg", query[:len(query)/2], 400, "jpeg"},
		{"text", "", "text/plain", []byte("hello"), 415, "not media"},
		{"too large", "", "image/jpeg", make([]byte, 2<<20), 413, "too large"},
	} {
		code, body, _ := do(t, "POST", f.ts.URL+"/v1/match"+c.query, c.ct, c.body)
		wantError(t, c.what, code, body, c.code, c.msg)
	}
	code, body, _ = do(t, "GET", f.ts.URL+"/metrics", "", nil)
	if code != 200 || !strings.Contains(string(body), `hashshare_match_duration_seconds_count{kind="media"} `) ||
		!strings.Contains(string(body), `hashshare_http_requests_total{code="200",method="post",route="POST /v1/match"} 3`) {
		t.Errorf("metrics after matching:\n%s", body)
	}
}

// matchReply is what POST /v1/match returns as a client reads it: the
// test checks the bytes the server writes, not the types that write them.
type matchReply struct {
	Hashes  *media.JSON `json:"hashes"`
	Results []struct {
		Query      string     `json:"query"`
		Matches    []matchHit `json:"matches"`
		Suppressed []matchHit `json:"suppressed"`
	} `json:"results"`
}

type matchHit struct {
	Signal    string `json:"signal"`
	Distance  int    `json:"distance"`
	Transform string `json:"transform"`
	Items     []struct {
		Source string   `json:"source"`
		ID     string   `json:"id"`
		Labels []string `json:"labels"`
		TLP    string   `json:"tlp"`
	} `json:"items"`
}
