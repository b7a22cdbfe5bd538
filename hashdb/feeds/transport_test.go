package feeds

import (
	"crypto/tls"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		h    string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"0", time.Millisecond},
		{"-5", time.Millisecond},
		{now.Add(7 * time.Second).Format(http.TimeFormat), 7 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), time.Millisecond},
		{"soon", 0},
	}
	for _, c := range cases {
		if got := retryAfter(c.h, now); got != c.want {
			t.Errorf("retryAfter(%q) = %v, want %v", c.h, got, c.want)
		}
	}
}

func TestTLSIsVerified(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	srv.StartTLS()
	defer srv.Close()
	req := &request{method: http.MethodGet, url: srv.URL}
	tr := Transport{Retries: -1}
	if _, err := tr.do(t.Context(), req); err == nil {
		t.Fatal("a server with an unknown CA was trusted")
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	c, err := NewClient(caPEM)
	if err != nil {
		t.Fatal(err)
	}
	tr.Client = c
	if body, err := tr.do(t.Context(), req); err != nil || string(body) != "ok" {
		t.Fatalf("with the server's CA added: %q, %v", body, err)
	}
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	tr.Client = insecure
	if _, err := tr.do(t.Context(), req); !errors.Is(err, ErrInsecure) {
		t.Fatalf("a client skipping verification: %v, want ErrInsecure", err)
	}
	if _, err := NewClient([]byte("not pem")); !errors.Is(err, ErrInsecure) {
		t.Fatalf("NewClient of no certificate: %v", err)
	}
}

func TestErrorsNameTheURLWithoutItsQuery(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "you sent "+r.URL.RawQuery, http.StatusForbidden)
	}))
	defer srv.Close()
	tr := Transport{}
	_, err := tr.do(t.Context(), &request{method: http.MethodGet, url: srv.URL + "/x?access_token=s3cr%7Ct&y=1", secrets: []string{"s3cr|t"}})
	if !errors.Is(err, ErrAuth) || !errors.Is(err, ErrStatus) {
		t.Fatalf("403: %v, want ErrAuth and ErrStatus", err)
	}
	if msg := err.Error(); strings.Contains(msg, "s3cr") || !strings.Contains(msg, srv.URL+"/x") {
		t.Errorf("error %q: want the URL's path and no secret", msg)
	}
}

func TestSameHost(t *testing.T) {
	base := "https://api.example/npo"
	cases := []struct {
		next, want string
	}{
		{"/v2/entries?start=3", "https://api.example/npo/v2/entries?start=3"},
		{"v2/entries", "https://api.example/npo/v2/entries"},
		{"https://api.example/other", "https://api.example/other"},
		{"http://api.example/npo/v2", ""},
		{"https://evil.example/npo/v2", ""},
		{"https://user:pw@api.example/npo", ""},
		{"//evil.example/x", ""},
	}
	for _, c := range cases {
		got, err := sameHost(base, c.next)
		if (err != nil) != (c.want == "") || got != c.want {
			t.Errorf("sameHost(%q) = %q, %v; want %q", c.next, got, err, c.want)
		}
	}
}

func TestRedirectsStayOnTheHost(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the request was sent on to another host, with %v", r.Header)
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/here" {
			http.Redirect(w, r, "/there", http.StatusFound)
			return
		}
		if r.URL.Path == "/there" {
			w.Write([]byte("ok"))
			return
		}
		http.Redirect(w, r, other.URL+"/steal", http.StatusFound)
	}))
	defer srv.Close()
	tr := Transport{}
	if body, err := tr.do(t.Context(), &request{method: http.MethodGet, url: srv.URL + "/here"}); err != nil || string(body) != "ok" {
		t.Fatalf("a redirect on the same host: %q, %v", body, err)
	}
	h := http.Header{"X-Functions-Key": {"k"}}
	if _, err := tr.do(t.Context(), &request{method: http.MethodGet, url: srv.URL + "/away", header: h}); !errors.Is(err, ErrProtocol) {
		t.Fatalf("a redirect to another host: %v, want ErrProtocol", err)
	}
}

func TestTooManyRequestsWaitsAsRetryAfterSays(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := n.Add(1); m == 1 || m > 100 {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	tr := Transport{Backoff: time.Millisecond, MaxBackoff: 10 * time.Second}
	t0 := time.Now()
	body, err := tr.do(t.Context(), &request{method: http.MethodGet, url: srv.URL})
	if err != nil || string(body) != "ok" {
		t.Fatalf("after a 429: %q, %v", body, err)
	}
	if waited := time.Since(t0); waited < time.Second {
		t.Errorf("retried after %v; Retry-After asked for 1s", waited)
	}
	// Beyond the retries, the error says what happened.
	n.Store(100)
	tr.Retries, tr.MaxBackoff = 1, time.Millisecond
	if _, err := tr.do(t.Context(), &request{method: http.MethodGet, url: srv.URL}); !errors.Is(err, ErrRateLimited) || !strings.Contains(err.Error(), "after 2 tries") {
		t.Errorf("429s beyond the retries: %v", err)
	}
}
