package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

// stalledRequest starts a POST whose body sends head and then waits until
// the returned function is called (or the test ends), and returns a
// channel that receives the response status (or 0 on a transport error).
func stalledRequest(t *testing.T, url, contentType string, head []byte, length int64) (status <-chan int, finish func()) {
	t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequest("POST", url, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.ContentLength = length
	done := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	go pw.Write(head)
	stop := func() { pw.CloseWithError(errors.New("client gave up")) }
	t.Cleanup(stop)
	return done, stop
}

// waitFor polls cond until it holds, for up to 30 s: a busy machine under
// the race detector can be slow, and a passing test waits no longer than
// it must.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestHashingGate replays the finding of issue #18 that the server hashed
// any number of requests at once: with one worker and one place in the
// queue, a third request is answered 503 with Retry-After at once.
func TestHashingGate(t *testing.T) {
	f := newFixture(t, config{MaxBody: 1 << 20, HashWorkers: 1, HashQueue: 1})
	head := f.known[:len(f.known)/2]
	n := int64(len(f.known))
	first, finish1 := stalledRequest(t, f.ts.URL+"/v1/hash", "image/png", head, n)
	waitFor(t, "the first request to hash", func() bool { return len(f.srv.hashGate.slots) == 1 })
	_, finish2 := stalledRequest(t, f.ts.URL+"/v1/match", "image/png", head, n)
	waitFor(t, "the second request to queue", func() bool { return len(f.srv.hashGate.tickets) == 2 })
	code, body, hdr := do(t, "POST", f.ts.URL+"/v1/hash", "image/png", f.known)
	if code != http.StatusServiceUnavailable || hdr.Get("Retry-After") == "" {
		t.Fatalf("a third hash while one runs and one waits: %d %s (Retry-After %q)", code, body, hdr.Get("Retry-After"))
	}
	finish1()
	finish2()
	<-first
	waitFor(t, "the gate to empty", func() bool { return len(f.srv.hashGate.tickets) == 0 })
	if code, body, _ := do(t, "POST", f.ts.URL+"/v1/hash", "image/png", f.known); code != http.StatusOK {
		t.Errorf("hashing once the gate is free: %d %s", code, body)
	}
}

// TestBodyDeadline replays the finding that a five-minute read timeout
// let a slow client hold a connection: a body's deadline follows its
// declared length.
func TestBodyDeadline(t *testing.T) {
	f := newFixture(t, config{MaxBody: 1 << 20, BodyGrace: 200 * time.Millisecond, MinBodyRate: 1 << 20})
	start := time.Now()
	status, _ := stalledRequest(t, f.ts.URL+"/v1/hash", "image/png", f.known[:100], int64(len(f.known)))
	select {
	case <-status:
	case <-time.After(10 * time.Second):
		t.Fatal("a stalled body still held its connection after 10 s")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("a stalled 1 kB body was cut after %v", took)
	}
}

func TestBodyDeadlineRule(t *testing.T) {
	now := time.Unix(0, 0)
	tests := []struct {
		length, largest int64
		want            time.Duration
	}{
		{0, 1 << 20, time.Second},
		{1 << 20, 64 << 20, 2 * time.Second},
		{-1, 4 << 20, 5 * time.Second},      // undeclared: the largest the route takes
		{1 << 40, 4 << 20, 5 * time.Second}, // declared beyond it: the same
	}
	for _, tc := range tests {
		r := &http.Request{ContentLength: tc.length}
		if got := bodyDeadline(now, r, tc.largest, time.Second, 1<<20).Sub(now); got != tc.want {
			t.Errorf("length %d, largest %d: %v, want %v", tc.length, tc.largest, got, tc.want)
		}
	}
}

func TestGate(t *testing.T) {
	g := newGate("testing", 1, 1, time.Second)
	leave1, err := g.enter(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	waited := make(chan error, 1)
	go func() {
		leave, err := g.enter(ctx)
		if err == nil {
			leave()
		}
		waited <- err
	}()
	waitFor(t, "the second to queue", func() bool { return len(g.tickets) == 2 })
	var be *busyError
	if _, err := g.enter(context.Background()); !errors.As(err, &be) {
		t.Errorf("a third: %v, want busy", err)
	}
	cancel()
	if err := <-waited; !errors.Is(err, context.Canceled) {
		t.Errorf("a waiter whose context ends: %v", err)
	}
	leave1()
	if len(g.tickets) != 0 || len(g.slots) != 0 {
		t.Errorf("tickets %d, slots %d after all left", len(g.tickets), len(g.slots))
	}
}

// TestStats checks /v1/stats reads the database the server holds, in the
// form "hashdb stats --json" prints.
func TestStats(t *testing.T) {
	f := newFixture(t, config{})
	code, body, _ := do(t, "GET", f.ts.URL+"/v1/stats", "", nil)
	var st struct {
		Items   int            `json:"items"`
		Signals map[string]int `json:"signals"`
		TLP     map[string]int `json:"tlp"`
	}
	if err := json.Unmarshal(body, &st); code != http.StatusOK || err != nil || st.Items != 1 || st.Signals["pdq"] != 1 || st.TLP["GREEN"] != 1 {
		t.Errorf("/v1/stats: %d %s (%v)", code, body, err)
	}
}

func TestCapBody(t *testing.T) {
	for _, c := range []struct {
		n, limit int
		over     bool
	}{{0, 0, false}, {5, 5, false}, {6, 5, true}, {4, 5, false}, {1 << 16, 100, true}, {1, 0, true}} {
		got, err := io.ReadAll(capBody(bytes.NewReader(make([]byte, c.n)), int64(c.limit)))
		var mbe *http.MaxBytesError
		if over := errors.As(err, &mbe); over != c.over || err != nil && !over || len(got) > c.limit {
			t.Errorf("%d bytes, limit %d: read %d, %v; want over %v", c.n, c.limit, len(got), err, c.over)
		}
		if !c.over && len(got) != c.n {
			t.Errorf("%d bytes, limit %d: read %d", c.n, c.limit, len(got))
		}
	}
}
