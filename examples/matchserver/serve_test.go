package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestServeGracefulShutdown runs the real serve function on a loopback
// port, cancels it while a request is in flight, and checks that the
// request completes and the server then stops accepting.
func TestServeGracefulShutdown(t *testing.T) {
	f := newFixture(t, config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	// started closes when the server is handling the hash request.
	started := make(chan struct{})
	inner := f.srv.Handler()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/hash" {
			close(started)
		}
		inner.ServeHTTP(w, r)
	})
	go func() {
		done <- serve(ctx, ln, h, timeouts{ReadHeader: 5 * time.Second, Read: time.Minute, Write: time.Minute, Idle: time.Minute, Shutdown: 30 * time.Second}, slog.New(slog.DiscardHandler))
	}()

	resp, err := http.Get(addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}

	// A request whose body arrives in two halves, with the shutdown in
	// between.
	pr, pw := io.Pipe()
	type reply struct {
		code int
		body string
		err  error
	}
	replies := make(chan reply, 1)
	go func() {
		resp, err := http.Post(addr+"/v1/hash", "image/png", pr)
		if err != nil {
			replies <- reply{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		replies <- reply{resp.StatusCode, string(b), err}
	}()
	half := len(f.known) / 2
	if _, err := pw.Write(f.known[:half]); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case r := <-replies:
		t.Fatalf("the request ended before the server handled it: %+v", r)
	case <-time.After(10 * time.Second):
		t.Fatal("the server never handled the request")
	}
	cancel()
	// Shutdown closes the listener first: wait until a new connection is
	// refused, so the in-flight request really spans the shutdown.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener is still open after cancelling")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("serve returned %v with a request in flight", err)
	default:
	}
	if _, err := io.Copy(pw, bytes.NewReader(f.known[half:])); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	r := <-replies
	if r.err != nil || r.code != 200 || !strings.Contains(r.body, `"pdq"`) {
		t.Fatalf("in-flight request: %+v", r)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return after shutdown")
	}
}

// TestRun checks the wiring of flags, database and listener: run serves
// until its context ends, and rejects bad flags.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	var log bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(dir, "x.db")}, &log) }()
	time.Sleep(200 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "serving") || !strings.Contains(log.String(), "shutting down") {
		t.Errorf("log: %s", log.String())
	}
	for _, args := range [][]string{
		{"-bogus"},
		{"extra"},
		{"-addr", "127.0.0.1:0", "-db", dir}, // a directory is not a database
		{"-addr", "127.0.0.1:0", "-db", filepath.Join(dir, "y.db"), "-key", filepath.Join(dir, "missing.key")},
		{"-addr", "256.0.0.1:0", "-db", filepath.Join(dir, "z.db")},
	} {
		if err := run(context.Background(), args, io.Discard); err == nil {
			t.Errorf("run %q: no error", args)
		}
	}
}

// TestRunAccess checks that run refuses to serve beyond loopback without
// tokens, saying why, and that with tokens the access log names the
// token's holder and never the token.
func TestRunAccess(t *testing.T) {
	dir := t.TempDir()
	err := run(context.Background(), []string{"-addr", "0.0.0.0:0", "-db", filepath.Join(dir, "a.db")}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "without -tokens") || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("serving all interfaces without tokens: %v", err)
	}

	secret, tok := mustToken(t, "alice", "match", "")
	tokPath := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokPath, []byte("# tokens\n"+tok.line()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	var log syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", addr, "-db", filepath.Join(dir, "b.db"), "-tokens", tokPath, "-metrics-addr", metricsAddr}, &log)
	}()
	get := func(url, secret string) int {
		for range 50 {
			req, _ := http.NewRequest("GET", url, nil)
			if secret != "" {
				req.Header.Set("Authorization", "Bearer "+secret)
			}
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				return resp.StatusCode
			}
			time.Sleep(50 * time.Millisecond)
		}
		return 0
	}
	code := get("http://"+addr+"/c/signal_type", secret)
	if c := get("http://"+metricsAddr+"/metrics", ""); c != 200 {
		t.Errorf("GET /metrics on -metrics-addr: %d", c)
	}
	if c := get("http://"+addr+"/metrics", secret); c != 404 {
		t.Errorf("GET /metrics on the API with -metrics-addr: %d, want 404", c)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	if code != 200 {
		t.Fatalf("GET /c/signal_type with a token: %d\n%s", code, log.String())
	}
	if !strings.Contains(log.String(), "actor=alice") || strings.Contains(log.String(), secret) {
		t.Errorf("access log:\n%s", log.String())
	}
	if err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(dir, "c.db"), "-tokens", filepath.Join(dir, "none")}, io.Discard); err == nil {
		t.Errorf("a missing token file: no error")
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// freeAddr returns a loopback address no one listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
