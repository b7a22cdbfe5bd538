package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/signing"
	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/hashdb/vpdq"
)

// fixture is a database with one known image, served by httptest.
type fixture struct {
	db    *hashdb.DB
	srv   *server
	ts    *httptest.Server
	known []byte // the known image, PNG
	hash  *media.Hashes
}

func openDB(t *testing.T, org string) *hashdb.DB {
	t.Helper()
	opts := hashdb.DefaultOptions()
	opts.Organization = org
	db, err := hashdb.Open(filepath.Join(t.TempDir(), "test.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newFixture(t *testing.T, cfg config) *fixture {
	t.Helper()
	f := &fixture{db: openDB(t, "acme"), known: encodePNG(t, scene(200, 160, 1))}
	var err error
	f.hash, err = media.HashReader(context.Background(), bytes.NewReader(f.known), nil)
	if err != nil {
		t.Fatal(err)
	}
	err = f.db.Put(context.Background(), hashdb.Item{
		Key:     hashdb.Key{Source: "acme", ID: "case/17"},
		Signals: f.hash.Signals, Labels: []string{"entity:example", "type:image"}, TLP: tlp.Green,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = newServer(f.db, cfg)
	f.ts = httptest.NewServer(f.srv.Handler())
	t.Cleanup(f.ts.Close)
	return f
}

// do sends a request and returns the status and body.
func do(t *testing.T, method, url, contentType string, body []byte) (int, []byte, http.Header) {
	t.Helper()
	return doAs(t, "", method, url, contentType, body)
}

// doAs is do with a bearer token, if secret is not "".
func doAs(t testing.TB, secret, method, url, contentType string, body []byte) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

// wantError checks a JSON error response.
func wantError(t *testing.T, what string, code int, body []byte, wantCode int, wantMsg string) {
	t.Helper()
	if code != wantCode {
		t.Errorf("%s: status %d, want %d (%s)", what, code, wantCode, body)
		return
	}
	var e errorJSON
	if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
		t.Errorf("%s: body %q is not a JSON error", what, body)
		return
	}
	if !strings.Contains(e.Error, wantMsg) {
		t.Errorf("%s: error %q, want it to mention %q", what, e.Error, wantMsg)
	}
}

func multipartBody(t *testing.T, field string, data []byte) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if err := mw.WriteField("note", "ignored"); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile(field, "upload.png")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), b.Bytes()
}

func TestHash(t *testing.T) {
	f := newFixture(t, config{MaxBody: 1 << 20})
	pdq, _ := f.hash.Signal(signal.PDQ)
	check := func(what string, code int, body []byte) media.JSON {
		t.Helper()
		var h media.JSON
		if code != http.StatusOK {
			t.Fatalf("%s: status %d: %s", what, code, body)
		}
		if err := json.Unmarshal(body, &h); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return h
	}
	code, body, _ := do(t, "POST", f.ts.URL+"/v1/hash", "image/png", f.known)
	h := check("raw", code, body)
	if h.PDQ != pdq.Hex() || h.PDQQuality == nil || h.Format != "png" || h.Width != 200 || len(h.SHA256) != 64 || h.PDQDihedral != nil {
		t.Errorf("raw: %+v", h)
	}
	ct, mp := multipartBody(t, "file", f.known)
	code, body, _ = do(t, "POST", f.ts.URL+"/v1/hash?dihedral=true", ct, mp)
	if h := check("multipart", code, body); h.PDQ != pdq.Hex() || len(h.PDQDihedral) != 8 {
		t.Errorf("multipart: %+v", h)
	}
	// Bytes that are not an image get digests only; no content type is raw.
	code, body, _ = do(t, "POST", f.ts.URL+"/v1/hash", "", []byte("%PDF-1.4 not really"))
	if h := check("pdf", code, body); h.PDQ != "" || h.PHash != "" || h.MD5 == "" || h.Size != 19 {
		t.Errorf("not an image: %+v", h)
	}

	// curl --data-binary @file labels the bytes a form: they sniff as an
	// image, so they are one.
	for _, mt := range []string{"application/x-www-form-urlencoded", "text/plain", "image/png; x"} {
		code, body, _ = do(t, "POST", f.ts.URL+"/v1/hash", mt, f.known)
		if h := check(mt, code, body); h.PDQ != pdq.Hex() {
			t.Errorf("%s: %+v", mt, h)
		}
	}

	ct, mp = multipartBody(t, "upload", f.known)
	for _, c := range []struct {
		what, ct string
		body     []byte
		code     int
		msg      string
	}{
		{"empty", "image/png", nil, 400, "empty body"},
		{"corrupt", "image/png", f.known[:len(f.known)/2], 400, "png"},
		{"json", "application/json", []byte(`{}`), 415, "not media"},
		{"text", "text/plain", []byte("x"), 415, "not media"},
		{"form", "application/x-www-form-urlencoded", []byte("a=b"), 415, "not media"},
		{"bad content type", "image/png; x", []byte("not an image"), 415, "not media"},
		{"no file part", ct, mp, 400, `"file"`},
		{"bad multipart", "multipart/form-data", []byte("x"), 400, "multipart"},
		{"too large", "image/png", make([]byte, 2<<20), 413, "too large"},
	} {
		code, body, _ := do(t, "POST", f.ts.URL+"/v1/hash", c.ct, c.body)
		wantError(t, c.what, code, body, c.code, c.msg)
	}
}

func TestItems(t *testing.T) {
	f := newFixture(t, config{})
	// An id with a slash is one path value, escaped or not.
	for _, path := range []string{"/v1/items/acme/case/17", "/v1/items/acme/case%2F17"} {
		code, body, _ := do(t, "GET", f.ts.URL+path, "", nil)
		if code != 200 {
			t.Fatalf("%s: %d %s", path, code, body)
		}
		var it itemJSON
		if err := json.Unmarshal(body, &it); err != nil {
			t.Fatal(err)
		}
		if it.Source != "acme" || it.ID != "case/17" || it.TLP != "GREEN" || len(it.Signals) != len(f.hash.Signals) ||
			strings.Join(it.Labels, ",") != "entity:example,type:image" || it.FirstSeen.IsZero() {
			t.Errorf("%s: %+v", path, it)
		}
	}
	// A video's hashes come as /v1/hash gives them.
	v, err := vpdq.ParsePyTX(`["` + strings.Repeat("ab", 32) + `,100,0.0"]`)
	if err != nil {
		t.Fatal(err)
	}
	th := testTMK(3)
	if err := f.db.Put(context.Background(), hashdb.Item{Key: hashdb.Key{Source: "acme", ID: "clip"}, ContentType: hashdb.ContentVideo, Video: v, TMK: th, TLP: tlp.Green}); err != nil {
		t.Fatal(err)
	}
	code, body, _ := do(t, "GET", f.ts.URL+"/v1/items/acme/clip", "", nil)
	var it itemJSON
	if err := json.Unmarshal(body, &it); code != 200 || err != nil {
		t.Fatalf("video item: %d %v %.200s", code, err, body)
	}
	if it.ContentType != "video" || it.VPDQ != v.PyTX() || it.TMKPDQF != th.String() || len(it.Signals) != 0 {
		t.Errorf("video item: content %q, vpdq %q, tmk_pdqf of %d characters", it.ContentType, it.VPDQ, len(it.TMKPDQF))
	}
	code, body, _ = do(t, "GET", f.ts.URL+"/v1/items/acme/nope", "", nil)
	wantError(t, "missing item", code, body, 404, "not found")
	code, body, _ = do(t, "GET", f.ts.URL+"/v1/items/acme", "", nil)
	wantError(t, "no id", code, body, 404, "not found")
	code, body, h := do(t, "DELETE", f.ts.URL+"/v1/items/acme/case/17", "", nil)
	wantError(t, "wrong method", code, body, 405, "not allowed")
	if !strings.Contains(h.Get("Allow"), "GET") {
		t.Errorf("405 without Allow: %v", h)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	f := newFixture(t, config{})
	code, body, _ := do(t, "GET", f.ts.URL+"/healthz", "", nil)
	if code != 200 || !strings.Contains(string(body), "ok") {
		t.Errorf("healthz: %d %s", code, body)
	}
	do(t, "POST", f.ts.URL+"/v1/hash", "image/png", f.known)
	do(t, "POST", f.ts.URL+"/v1/hash", "text/plain", []byte("not media"))
	do(t, "GET", f.ts.URL+"/nope", "", nil)
	code, body, _ = do(t, "GET", f.ts.URL+"/metrics", "", nil)
	if code != 200 {
		t.Fatalf("metrics: %d", code)
	}
	for _, want := range []string{
		`hashshare_http_requests_total{code="200",method="post",route="POST /v1/hash"} 1`,
		`hashshare_http_requests_total{code="415",method="post",route="POST /v1/hash"} 1`,
		`hashshare_http_requests_total{code="404",method="get",route="unmatched"} 1`,
		`hashshare_http_requests_total{code="200",method="get",route="GET /healthz"} 1`,
		`hashshare_http_request_duration_seconds_count{method="post",route="POST /v1/hash"} 2`,
		`hashshare_index_age_seconds`,
		`hashshare_items{state="live"} 1`,
		`hashshare_items{state="retracted"} 0`,
		`hashshare_index_signals{algorithm="pdq"} 1`,
		`hashshare_last_change_seq 1`,
		"go_goroutines",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	f.db.Close()
	code, body, _ = do(t, "GET", f.ts.URL+"/healthz", "", nil)
	wantError(t, "healthz of a closed database", code, body, 503, "unavailable")
}

// mustToken returns a new token and its entry.
func mustToken(t testing.TB, name, roles, peer string) (string, token) {
	t.Helper()
	secret, tok, err := newToken(name, roles, peer)
	if err != nil {
		t.Fatal(err)
	}
	return secret, tok
}

func TestBundles(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	partnerPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key := &signing.Key{ID: "k1", Organization: "acme", Key: priv}
	// The producer exports to the token of "partner", the consumer
	// imports from the token of "acme".
	toPartner, toPartnerTok := mustToken(t, "partner-sync", "exchange", "partner")
	unbound, unboundTok := mustToken(t, "ops", "exchange", "")
	producer := newFixture(t, config{Key: key, MaxBundle: 1 << 20, Tokens: tokens{toPartnerTok, unboundTok}})
	if err := producer.db.AddPeer(context.Background(), hashdb.Peer{ID: "partner", Keys: []hashdb.PeerKey{{ID: "p1", Public: partnerPub}}}); err != nil {
		t.Fatal(err)
	}
	consumerDB := openDB(t, "partner")
	err = consumerDB.AddPeer(context.Background(), hashdb.Peer{ID: "acme", Keys: []hashdb.PeerKey{{ID: "k1", Public: pub}},
		Policy: hashdb.Policy{MaxTLP: tlp.AmberStrict}})
	if err != nil {
		t.Fatal(err)
	}
	fromAcme, fromAcmeTok := mustToken(t, "acme-sync", "exchange", "acme")
	fromOther, fromOtherTok := mustToken(t, "other-sync", "exchange", "other")
	consumerTokens := tokens{fromAcmeTok, fromOtherTok, unboundTok}
	consumer := httptest.NewServer(newServer(consumerDB, config{MaxBundle: 64 << 10, Tokens: consumerTokens}).Handler())
	defer consumer.Close()

	get := func(query string) ([]byte, http.Header) {
		t.Helper()
		code, body, h := doAs(t, toPartner, "GET", producer.ts.URL+"/v1/bundles"+query, "", nil)
		if code != 200 || h.Get("Content-Type") != "application/octet-stream" {
			t.Fatalf("GET /v1/bundles%s: %d %s", query, code, body)
		}
		return body, h
	}
	post := func(b []byte) importJSON {
		t.Helper()
		code, body, _ := doAs(t, fromAcme, "POST", consumer.URL+"/v1/bundles", "application/octet-stream", b)
		if code != 200 {
			t.Fatalf("POST /v1/bundles: %d %s", code, body)
		}
		var res importJSON
		if err := json.Unmarshal(body, &res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	full, h := get("")
	if h.Get("Hashshare-Bundle-Kind") != "full" || h.Get("Hashshare-Checkpoint") != "1" {
		t.Errorf("full bundle headers: %v", h)
	}
	// A bundle signed by acme, posted with a token of another peer, is
	// refused before anything is applied.
	code, body, _ := doAs(t, fromOther, "POST", consumer.URL+"/v1/bundles", "", full)
	wantError(t, "another peer's token", code, body, 403, `only "other"`)
	if res := post(full); res.Peer != "acme" || !res.Full || res.Entries != 1 || res.Checkpoint != 1 || res.Unchanged {
		t.Errorf("importing the full bundle: %+v", res)
	}
	if res := post(full); !res.Unchanged {
		t.Errorf("importing it again: %+v", res)
	}
	if _, err := consumerDB.Get(hashdb.Key{Source: "acme", ID: "case/17"}); err != nil {
		t.Fatal(err)
	}
	// A delta from the consumer's checkpoint.
	if err := producer.db.Retract(context.Background(), hashdb.Key{Source: "acme", ID: "case/17"}, "withdrawn"); err != nil {
		t.Fatal(err)
	}
	delta, h := get("?since=1&gzip=true")
	if h.Get("Hashshare-Bundle-Kind") != "delta" || h.Get("Hashshare-Checkpoint") != "2" {
		t.Errorf("delta headers: %v", h)
	}
	if res := post(delta); res.Full || res.Checkpoint != 2 || res.Entries != 1 {
		t.Errorf("importing the delta: %+v", res)
	}
	if it, _ := consumerDB.Get(hashdb.Key{Source: "acme", ID: "case/17"}); !it.Retracted {
		t.Error("the retraction did not arrive")
	}

	small := httptest.NewServer(newServer(consumerDB, config{MaxBundle: int64(len(full) / 2), Tokens: consumerTokens}).Handler())
	defer small.Close()
	code, body, _ = doAs(t, fromAcme, "POST", small.URL+"/v1/bundles", "", full)
	wantError(t, "too large", code, body, 413, "too large")

	tampered := bytes.Clone(full)
	tampered[len(tampered)-10] ^= 1
	stranger := openDB(t, "other")
	strangerTS := httptest.NewServer(newServer(stranger, config{Tokens: consumerTokens}).Handler())
	defer strangerTS.Close()
	open := httptest.NewServer(newServer(stranger, config{}).Handler())
	defer open.Close()
	for _, c := range []struct {
		what, token, url, method, ct string
		body                         []byte
		code                         int
		msg                          string
	}{
		{"replayed", fromAcme, consumer.URL, "POST", "", full, 409, "replay"},
		{"tampered", fromAcme, consumer.URL, "POST", "", tampered, 403, ""},
		{"garbage", fromAcme, consumer.URL, "POST", "", []byte("not a bundle"), 400, ""},
		{"truncated", fromAcme, consumer.URL, "POST", "", full[:len(full)/2], 400, ""},
		{"unknown producer", fromAcme, strangerTS.URL, "POST", "", full, 403, "acme"},
		{"json", fromAcme, consumer.URL, "POST", "application/json", []byte("{}"), 415, "not a bundle"},
		{"import with a token bound to no peer", unbound, consumer.URL, "POST", "", full, 403, "bound to the producing peer"},
		{"import without tokens", "", open.URL, "POST", "", full, 403, "bound to the producing peer"},
		{"bad since", toPartner, producer.ts.URL, "GET", "", nil, 400, "since"},
		{"since beyond the log", toPartner, producer.ts.URL + "?since=99", "GET", "", nil, 400, "99"},
		{"export with a token bound to no peer", unbound, producer.ts.URL, "GET", "", nil, 403, "bound to the receiving peer"},
		{"no key", fromAcme, strangerTS.URL, "GET", "", nil, 501, "-key"},
	} {
		url := c.url + "/v1/bundles"
		if strings.Contains(c.url, "?") {
			url = strings.Replace(c.url, "?", "/v1/bundles?", 1)
		} else if c.what == "bad since" {
			url += "?since=x"
		}
		code, body, _ := doAs(t, c.token, c.method, url, c.ct, c.body)
		wantError(t, c.what, code, body, c.code, c.msg)
	}
}
