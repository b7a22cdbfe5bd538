package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// concretePath fills a route's path parameters with values.
func concretePath(p string) string {
	return strings.NewReplacer("{bank_name}", "EXAMPLE", "{content_id}", "1", "{source}", "acme", "{id...}", "x",
		"{api_name}", "x", "{exchange_name}", "x").Replace(p)
}

// errorText returns the text of a JSON error in either API's shape.
func errorText(body []byte) (string, bool) {
	var e struct {
		Error   *string `json:"error"`
		Message *string `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", false
	}
	switch {
	case e.Error != nil:
		return *e.Error, true
	case e.Message != nil:
		return *e.Message, true
	}
	return "", false
}

// TestAuthMatrix sends every route of the server's own route table (so a
// new route cannot escape it) with no token, a token lacking the route's
// role and one holding only that role: 401, 403 and through, with errors
// in the route's API's shape.
func TestAuthMatrix(t *testing.T) {
	db := openDB(t, "acme")
	secrets := map[string]string{}
	var ts tokens
	for _, role := range roles {
		s, tok := mustToken(t, "only-"+role, role, "partner")
		secrets[role] = s
		others := slices.DeleteFunc(slices.Clone(roles), func(r string) bool { return r == role })
		s, tok2 := mustToken(t, "all-but-"+role, strings.Join(others, ","), "partner")
		secrets["not-"+role] = s
		ts = append(ts, tok, tok2)
	}
	srv := newServer(db, config{Tokens: ts})
	h := httptest.NewServer(srv.Handler())
	defer h.Close()
	routes := srv.routes()
	if len(routes) < 35 {
		t.Fatalf("only %d routes in the table", len(routes))
	}
	for _, rt := range routes {
		url := h.URL + concretePath(rt.path)
		wantShape := func(what string, code int, body []byte) string {
			t.Helper()
			msg, ok := errorText(body)
			if !ok {
				t.Errorf("%s %s: %d %q is not a JSON error", rt.pattern(), what, code, body)
			}
			var shape map[string]any
			json.Unmarshal(body, &shape)
			key := "error"
			if apiOfPath(rt.path) == apiHMA {
				key = "message"
			}
			if _, ok := shape[key]; !ok {
				t.Errorf("%s %s: %s is not in the API's error shape {%q: …}", rt.pattern(), what, body, key)
			}
			return msg
		}
		code, body, hdr := doAs(t, "", rt.method, url, "", nil)
		switch {
		case rt.role == "" && code == http.StatusUnauthorized:
			t.Errorf("%s is open, but without a token: 401 %s", rt.pattern(), body)
		case rt.role != "" && code != http.StatusUnauthorized:
			t.Errorf("%s without a token: %d %s, want 401", rt.pattern(), code, body)
		case rt.role != "":
			wantShape("without a token", code, body)
			if !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: 401 without WWW-Authenticate: Bearer", rt.pattern())
			}
		}
		if rt.role == "" {
			continue
		}
		code, body, _ = doAs(t, "not-a-token", rt.method, url, "", nil)
		if code != http.StatusUnauthorized {
			t.Errorf("%s with an unknown token: %d %s, want 401", rt.pattern(), code, body)
		}
		if rt.role != roleAnyToken {
			code, body, _ = doAs(t, secrets["not-"+rt.role], rt.method, url, "", nil)
			if code != http.StatusForbidden {
				t.Errorf("%s without the %s role: %d %s, want 403", rt.pattern(), rt.role, code, body)
			} else if msg := wantShape("without the role", code, body); !strings.Contains(msg, rt.role) {
				t.Errorf("%s: the 403 %q does not name the role %s", rt.pattern(), msg, rt.role)
			}
		}
		right := secrets[rt.role]
		if rt.role == roleAnyToken {
			right = secrets[roleMatch]
		}
		code, body, _ = doAs(t, right, rt.method, url, "", nil)
		if msg, _ := errorText(body); code == http.StatusUnauthorized || code == http.StatusForbidden && strings.Contains(msg, "lacks the") {
			t.Errorf("%s with the %s role: %d %s", rt.pattern(), rt.role, code, body)
		}
	}

	// Without tokens (on loopback only, which main enforces) every route
	// is open.
	open := httptest.NewServer(newServer(db, config{}).Handler())
	defer open.Close()
	for _, rt := range routes {
		code, body, _ := doAs(t, "", rt.method, open.URL+concretePath(rt.path), "", nil)
		if msg, _ := errorText(body); code == http.StatusUnauthorized || strings.Contains(msg, "lacks the") {
			t.Errorf("%s on a server without tokens: %d %s", rt.pattern(), code, body)
		}
	}
}

// TestMetricsApart checks that with -metrics-addr the API serves no
// /metrics, and that without it /metrics needs a token.
func TestMetricsApart(t *testing.T) {
	db := openDB(t, "acme")
	secret, tok := mustToken(t, "scraper", "hash", "")
	apart := newServer(db, config{Tokens: tokens{tok}, MetricsApart: true})
	for _, rt := range apart.routes() {
		if rt.path == "/metrics" {
			t.Fatalf("the API serves /metrics with MetricsApart")
		}
	}
	h := httptest.NewServer(newServer(db, config{Tokens: tokens{tok}}).Handler())
	defer h.Close()
	if code, _, _ := doAs(t, "", "GET", h.URL+"/metrics", "", nil); code != 401 {
		t.Errorf("/metrics without a token: %d", code)
	}
	if code, body, _ := doAs(t, secret, "GET", h.URL+"/metrics", "", nil); code != 200 || !strings.Contains(string(body), "hashshare_items") {
		t.Errorf("/metrics with a token: %d", code)
	}
}
