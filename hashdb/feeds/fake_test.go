package feeds

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashshare/hashshare/hashdb"
)

// faults injects failures into a fake's list route: plan[n] handles the
// n-th request (1-based) instead of the fake.
type faults struct {
	mu   sync.Mutex
	n    int
	plan map[int]func(w http.ResponseWriter, r *http.Request)
	all  func(w http.ResponseWriter, r *http.Request) // every request, if set
}

// inject reports whether it handled the request.
func (f *faults) inject(w http.ResponseWriter, r *http.Request) bool {
	f.mu.Lock()
	f.n++
	h := f.plan[f.n]
	if h == nil {
		h = f.all
	}
	f.mu.Unlock()
	if h == nil {
		return false
	}
	h(w, r)
	return true
}

func (f *faults) set(n int, h func(w http.ResponseWriter, r *http.Request)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.plan == nil {
		f.plan = map[int]func(http.ResponseWriter, *http.Request){}
	}
	f.plan[n] = h
}

// always has h answer every request.
func (f *faults) always(h func(w http.ResponseWriter, r *http.Request)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.all = h
}

func (f *faults) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n, f.plan, f.all = 0, nil, nil
}

func status(code int, retryAfter string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		http.Error(w, "injected failure", code)
	}
}

// truncated answers with a body cut short of its Content-Length.
func truncated(w http.ResponseWriter, r *http.Request) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{\"data\": [")
	buf.Flush()
}

// hang answers nothing until the client gives up.
func hang(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// huge answers a valid-looking body of n bytes.
func huge(n int) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		bw := bufio.NewWriter(w)
		bw.WriteString(`{"data": "`)
		for i := 0; i < n; i++ {
			bw.WriteByte('x')
		}
		bw.WriteString(`"}`)
		bw.Flush()
	}
}

// fastTransport retries quickly, for tests.
func fastTransport(c *http.Client) Transport {
	return Transport{Client: c, Timeout: 2 * time.Second, Retries: 3, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
}

// A fakeAPI is a loopback exchange the shared tests drive.
type fakeAPI interface {
	// feed returns a new client of the fake.
	feed() Feed
	// add adds n entries, later than every other.
	add(n int)
	// tombstone has the source delete entry i.
	tombstone(i int)
	// drop has entry i vanish without a delete.
	drop(i int)
	// key is the item key of entry i.
	key(i int) hashdb.Key
	faults() *faults
	// sent lists the feedback the fake received.
	sent() []string
	// secrets are the credentials the client holds.
	secrets() []string
	// corrupt is a page that breaks off mid-way.
	corrupt(w http.ResponseWriter, r *http.Request)
}

func openDB(t *testing.T) *hashdb.DB {
	t.Helper()
	opts := hashdb.DefaultOptions()
	opts.Organization = "local"
	db, err := hashdb.Open(filepath.Join(t.TempDir(), "test.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// snapshot describes every item and opinion in db, for comparing two
// databases.
func snapshot(t *testing.T, db *hashdb.DB) string {
	t.Helper()
	var lines []string
	for it, err := range db.Items(context.Background(), hashdb.Filter{Retracted: true}) {
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fmt.Sprintf("%s %v retracted=%v %q labels=%v", it.Key, it.Signals, it.Retracted, it.RetractReason, it.Labels))
		ops, err := db.Opinions(it.Key)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range ops {
			lines = append(lines, fmt.Sprintf("  %s %s %q", op.Org, op.Verdict, op.Reason))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func lastSeq(t *testing.T, db *hashdb.DB) uint64 {
	t.Helper()
	s, err := db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	return s.LastSeq
}

func newServer(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
