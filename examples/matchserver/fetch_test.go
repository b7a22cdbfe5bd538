package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestPublicAddr(t *testing.T) {
	for _, c := range []struct {
		addr   string
		public bool
	}{
		{"8.8.8.8", true}, {"1.1.1.1", true}, {"2001:4860:4860::8888", true},
		{"127.0.0.1", false}, {"127.1.2.3", false}, {"::1", false},
		{"10.0.0.1", false}, {"172.16.5.4", false}, {"192.168.1.1", false},
		{"169.254.169.254", false}, {"fe80::1", false}, {"fc00::1", false}, {"fd12::1", false},
		{"100.64.0.1", false}, {"0.0.0.0", false}, {"::", false}, {"224.0.0.1", false}, {"ff02::1", false},
		{"::ffff:127.0.0.1", false}, {"::ffff:10.1.1.1", false}, {"64:ff9b::a00:1", false},
		{"192.0.2.1", false}, {"198.18.0.1", false}, {"240.0.0.1", false}, {"255.255.255.255", false},
	} {
		if got := publicAddr(netip.MustParseAddr(c.addr)); got != c.public {
			t.Errorf("publicAddr(%s) = %v, want %v", c.addr, got, c.public)
		}
	}
}

// TestCheckDial checks the dial-time hook by itself: it sees the address
// a connection is made to, after resolution, whatever name was asked.
func TestCheckDial(t *testing.T) {
	strict := newFetcher(fetchConfig{Hosts: []string{"*"}})
	lax := newFetcher(fetchConfig{Hosts: []string{"*"}, AllowPrivate: true})
	for _, c := range []struct {
		addr        string
		strict, lax bool // whether each allows it
	}{
		{"93.184.215.14:443", true, true},
		{"[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:80", true, true},
		{"127.0.0.1:80", false, true},
		{"10.1.2.3:80", false, true},
		{"169.254.169.254:80", false, true},
		{"[::1]:80", false, true},
		{"[fe80::1%eth0]:80", false, true},
		{"not an address", false, true},
	} {
		if err := strict.checkDial("tcp", c.addr, nil); (err == nil) != c.strict || err != nil && !errors.Is(err, errUnsafeURL) {
			t.Errorf("strict checkDial(%s) = %v, want allowed %v", c.addr, err, c.strict)
		}
		if err := lax.checkDial("tcp", c.addr, nil); (err == nil) != c.lax {
			t.Errorf("lax checkDial(%s) = %v, want allowed %v", c.addr, err, c.lax)
		}
	}
}

// origin serves a PNG at /img, a redirect at /redirect?to=…, a large body
// at /big, a slow one at /slow and a 404 elsewhere.
func origin(t *testing.T, img []byte) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/img":
			w.Header().Set("Content-Type", "image/png")
			w.Write(img)
		case "/text":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html></html>"))
		case "/redirect":
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
		case "/big":
			w.Header().Set("Content-Type", "image/png")
			for range 64 {
				w.Write(make([]byte, 1024)) // chunked: no Content-Length
			}
		case "/slow":
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(ts.Close)
	return ts
}

// localhostURL names ts by the host name localhost rather than its
// address: the name passes the host allow-list, the address it resolves
// to is loopback.
func localhostURL(ts *httptest.Server, path string) string {
	u, _ := url.Parse(ts.URL)
	return "http://localhost:" + u.Port() + path
}

func TestFetcherRefusals(t *testing.T) {
	img := encodePNG(t, scene(64, 64, 1))
	ts := origin(t, img)
	ctx := context.Background()
	strict := newFetcher(fetchConfig{Hosts: []string{"localhost", "*.example.org"}, MaxBytes: 32 << 10, Timeout: 2 * time.Second})
	lax := newFetcher(fetchConfig{Hosts: []string{"localhost"}, AllowPrivate: true, MaxBytes: 32 << 10, Timeout: 500 * time.Millisecond})
	for _, c := range []struct {
		what string
		f    *fetcher
		url  string
		want error
		msg  string
	}{
		{"file scheme", strict, "file:///etc/passwd", errUnsafeURL, "scheme"},
		{"ftp scheme", strict, "ftp://localhost/x", errUnsafeURL, "scheme"},
		{"host not allowed", strict, "http://evil.test/x", errUnsafeURL, "not allowed"},
		{"suffix without the dot", strict, "http://badexample.org/x", errUnsafeURL, "not allowed"},
		{"credentials", strict, "http://user:pw@localhost/x", errUnsafeURL, "credentials"},
		{"loopback address literal", strict, ts.URL + "/img", errUnsafeURL, "not allowed"},
		// The name is allowed; what it resolves to is refused, at dial time.
		{"a name resolving to loopback", strict, localhostURL(ts, "/img"), errUnsafeURL, "not a public address"},
		{"a redirect to a host not allowed", lax, localhostURL(ts, "/redirect?to=http://127.0.0.1/x"), errUnsafeURL, "not allowed"},
		{"a redirect to another scheme", lax, localhostURL(ts, "/redirect?to=file:///etc/passwd"), errUnsafeURL, "scheme"},
		{"too large", lax, localhostURL(ts, "/big"), errTooLarge, "32768"},
		{"too slow", lax, localhostURL(ts, "/slow"), errFetchFails, ""},
		{"not found", lax, localhostURL(ts, "/missing"), errFetchFails, "404"},
		{"not a URL", strict, "http://[::1", errUnsafeURL, ""},
	} {
		start := time.Now()
		_, _, err := c.f.get(ctx, c.url)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v, want %v mentioning %q", c.what, err, c.want, c.msg)
		}
		if time.Since(start) > 3*time.Second {
			t.Errorf("%s took %v", c.what, time.Since(start))
		}
	}
	body, ct, err := lax.get(ctx, localhostURL(ts, "/img"))
	if err != nil || ct != "image/png" || len(body) != len(img) {
		t.Fatalf("an allowed fetch: %d bytes, %q, %v", len(body), ct, err)
	}
}

// TestHMAFetch drives GET /h/hash and /m/lookup by url= through the API.
func TestHMAFetch(t *testing.T) {
	img := encodePNG(t, scene(128, 96, 2))
	ts := origin(t, img)
	_, strict, secret := hmaServer(t, config{Fetch: &fetchConfig{Hosts: []string{"localhost"}}})
	_, lax, laxSecret := hmaServer(t, config{Fetch: &fetchConfig{Hosts: []string{"localhost"}, AllowPrivate: true, MaxBytes: 16 << 10}})
	q := func(u string) string { return url.QueryEscape(u) }
	runSteps(t, strict.URL, secret, []hmaStep{
		{name: "loopback refused", method: "GET", path: "/h/hash?url=" + q(localhostURL(ts, "/img")), code: 400, want: msg("Invalid or unsafe URL provided")},
		{name: "lookup: loopback refused", method: "GET", path: "/m/lookup?url=" + q(localhostURL(ts, "/img")), code: 400, want: msg("Invalid or unsafe URL provided")},
	}, vars{})
	runSteps(t, lax.URL, laxSecret, []hmaStep{
		{name: "hash by url", method: "GET", path: "/h/hash?url=" + q(localhostURL(ts, "/img")), code: 200, want: map[string]any{"pdq": anyString{}}},
		{name: "bank", method: "POST", path: "/c/banks", json: `{"name": "B"}`, code: 201, want: map[string]any{"name": "B", "matching_enabled_ratio": 1.0}},
		{name: "bank by url", method: "POST", path: "/c/bank/B/content?url=" + q(localhostURL(ts, "/img")), json: `{"metadata": {"content_id": "x"}}`, code: 200,
			want: map[string]any{"id": capture("c"), "signals": map[string]any{"pdq": anyString{}}}},
		{name: "its uri", method: "GET", path: "/c/bank/B/content/{c}", code: 200, want: map[string]any{
			"id": ref("c"), "disable_until_ts": 1, "original_media_uri": localhostURL(ts, "/img"), "bank": map[string]any{"name": "B", "matching_enabled_ratio": 1.0},
			"metadata": map[string]any{"content_id": "x", "content_uri": nil, "json": nil, "collab": nil}}},
		{name: "lookup by url", method: "GET", path: "/m/lookup?url=" + q(localhostURL(ts, "/img")), code: 200,
			want: map[string]any{"pdq": map[string]any{"B": []any{map[string]any{"bank_content_id": ref("c"), "distance": "0"}}}}},
		{name: "as video", method: "GET", path: "/h/hash?content_type=video&url=" + q(localhostURL(ts, "/img")), code: 200, want: map[string]any{"video_md5": anyString{}}},
		{name: "bad content type", method: "GET", path: "/h/hash?content_type=audio&url=" + q(localhostURL(ts, "/img")), code: 400, want: msg("no such content_type: 'audio'")},
		{name: "not media", method: "GET", path: "/h/hash?url=" + q(localhostURL(ts, "/text")), code: 400, want: msg("unsupported url ContentType: text/html")},
		{name: "too large", method: "GET", path: "/h/hash?url=" + q(localhostURL(ts, "/big")), code: 413, want: msg("Content too large")},
		{name: "not found", method: "GET", path: "/h/hash?url=" + q(localhostURL(ts, "/missing")), code: 400, want: msg(prefix("Failed to fetch URL: "))},
	}, vars{})
}
