package feeds

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hashshare/hashshare/hashdb"
)

// fakes makes each API's fake holding n entries.
var fakes = []struct {
	api  string
	make func(t *testing.T, n int) fakeAPI
}{
	{"stopncii", func(t *testing.T, n int) fakeAPI { return newFakeStopNCII(t, n) }},
	{"tcap", func(t *testing.T, n int) fakeAPI { return newFakeTCAP(t, n) }},
	{"ncmec", func(t *testing.T, n int) fakeAPI { return newFakeNCMEC(t, n) }},
	{"threatexchange", func(t *testing.T, n int) fakeAPI { return newFakeTE(t, n) }},
}

func forEachFake(t *testing.T, n int, test func(t *testing.T, fake fakeAPI)) {
	for _, f := range fakes {
		t.Run(f.api, func(t *testing.T) { test(t, f.make(t, n)) })
	}
}

func fetch(t *testing.T, db *hashdb.DB, f Feed, opts *FetchOptions) Summary {
	t.Helper()
	sum, err := Fetch(context.Background(), db, f, opts)
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	return sum
}

func live(t *testing.T, db *hashdb.DB, k hashdb.Key) bool {
	t.Helper()
	it, err := db.Get(k)
	if err != nil {
		t.Fatalf("get %s: %v", k, err)
	}
	return !it.Retracted
}

func TestFetchFollowsPagesAndDeletes(t *testing.T) {
	forEachFake(t, 7, func(t *testing.T, fake fakeAPI) {
		db := openDB(t)
		sum := fetch(t, db, fake.feed(), nil)
		if sum.Items != 7 || sum.Pages < 3 || !sum.Full {
			t.Fatalf("first fetch: %+v, want 7 items over several pages, full", sum)
		}
		for i := range 7 {
			live(t, db, fake.key(i))
		}
		seq := lastSeq(t, db)
		sum = fetch(t, db, fake.feed(), nil)
		if sum.Full || lastSeq(t, db) != seq {
			t.Fatalf("fetch with nothing new: %+v, seq %d → %d: want no change", sum, seq, lastSeq(t, db))
		}
		fake.add(2)
		fake.tombstone(1)
		sum = fetch(t, db, fake.feed(), nil)
		if sum.Full || sum.Items < 2 {
			t.Fatalf("incremental fetch: %+v", sum)
		}
		if live(t, db, fake.key(1)) {
			t.Errorf("%s is live after the source deleted it", fake.key(1))
		}
		for _, i := range []int{0, 7, 8} {
			if !live(t, db, fake.key(i)) {
				t.Errorf("%s is not live", fake.key(i))
			}
		}
		st, err := db.FeedState(fake.feed().API(), fake.feed().Collab())
		if err != nil || st.Checkpoint == "" || st.Cursor != "" || st.Full {
			t.Errorf("state after fetches: %+v, %v", st, err)
		}
	})
}

// TestFetchResumes interrupts a fetch in every way a page can fail and
// checks that the database holds exactly the pages before, and that the
// next fetch ends where an uninterrupted one does, logging no change
// twice.
func TestFetchResumes(t *testing.T) {
	cases := []struct {
		name  string
		fault func(fake fakeAPI, cancel context.CancelFunc) func(http.ResponseWriter, *http.Request)
		want  error
	}{
		{"500 beyond retries", func(fakeAPI, context.CancelFunc) func(http.ResponseWriter, *http.Request) {
			return status(http.StatusBadGateway, "")
		}, ErrStatus},
		{"429 beyond retries", func(fakeAPI, context.CancelFunc) func(http.ResponseWriter, *http.Request) {
			return status(http.StatusTooManyRequests, "0")
		}, ErrRateLimited},
		{"truncated body", func(fakeAPI, context.CancelFunc) func(http.ResponseWriter, *http.Request) { return truncated }, ErrNetwork},
		{"hang", func(fakeAPI, context.CancelFunc) func(http.ResponseWriter, *http.Request) { return hang }, ErrNetwork},
		{"page broken mid-way", func(fake fakeAPI, _ context.CancelFunc) func(http.ResponseWriter, *http.Request) {
			return fake.corrupt
		}, ErrProtocol},
		{"huge body", func(fakeAPI, context.CancelFunc) func(http.ResponseWriter, *http.Request) { return huge(1 << 20) }, ErrTooLarge},
		{"killed", func(_ fakeAPI, cancel context.CancelFunc) func(http.ResponseWriter, *http.Request) {
			return func(w http.ResponseWriter, r *http.Request) { cancel(); <-r.Context().Done() }
		}, context.Canceled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			forEachFake(t, 9, func(t *testing.T, fake fakeAPI) {
				clean := openDB(t)
				fetch(t, clean, fake.feed(), nil)
				want, wantSeq := snapshot(t, clean), lastSeq(t, clean)

				db := openDB(t)
				f := fake.feed()
				setTransport(f, func(tr *Transport) { tr.Timeout = 200 * time.Millisecond; tr.MaxBody = 64 << 10 })
				var pages []string
				opts := &FetchOptions{Progress: func(Summary) { pages = append(pages, snapshot(t, db)) }}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				// The third page fails, however often it is asked for.
				fake.faults().reset()
				fault := c.fault(fake, cancel)
				fake.faults().set(3, fault)
				for n := 4; n < 10; n++ {
					fake.faults().set(n, fault)
				}
				sum, err := Fetch(ctx, db, f, opts)
				if !errors.Is(err, c.want) {
					t.Fatalf("interrupted fetch: %v, want %v", err, c.want)
				}
				if sum.Pages != 2 || len(pages) != 2 {
					t.Fatalf("interrupted fetch stored %d pages, want 2", sum.Pages)
				}
				if got := snapshot(t, db); got != pages[1] {
					t.Fatalf("after the failure the database is not as the last page left it:\n%s\nwant\n%s", got, pages[1])
				}
				st, err := db.FeedState(f.API(), f.Collab())
				if err != nil || st.Pages != 2 {
					t.Fatalf("state after the failure: %+v, %v", st, err)
				}
				fake.faults().reset()
				fetch(t, db, fake.feed(), nil)
				if got := snapshot(t, db); got != want {
					t.Errorf("resumed:\n%s\nwant\n%s", got, want)
				}
				if got := lastSeq(t, db); got != wantSeq {
					t.Errorf("resumed fetch logged %d changes, an uninterrupted one %d", got, wantSeq)
				}
			})
		})
	}
}

func setTransport(f Feed, edit func(*Transport)) {
	switch f := f.(type) {
	case *StopNCII:
		edit(&f.Transport)
	case *TCAP:
		edit(&f.Transport)
	case *NCMEC:
		edit(&f.Transport)
	case *ThreatExchange:
		edit(&f.Transport)
	}
}

func TestFetchRetriesTransientFailures(t *testing.T) {
	faults := map[string]func(http.ResponseWriter, *http.Request){
		"503":       status(http.StatusServiceUnavailable, ""),
		"429":       status(http.StatusTooManyRequests, "1"),
		"429 date":  status(http.StatusTooManyRequests, time.Now().Add(time.Second).UTC().Format(http.TimeFormat)),
		"truncated": truncated,
	}
	for name, fault := range faults {
		t.Run(name, func(t *testing.T) {
			forEachFake(t, 5, func(t *testing.T, fake fakeAPI) {
				db := openDB(t)
				fake.faults().set(2, fault)
				fake.faults().set(3, fault)
				sum := fetch(t, db, fake.feed(), nil)
				if sum.Items != 5 {
					t.Errorf("fetch through failures: %+v", sum)
				}
			})
		})
	}
}

func TestFullFetchRetractsWhatTheSourceNoLongerLists(t *testing.T) {
	forEachFake(t, 6, func(t *testing.T, fake fakeAPI) {
		db := openDB(t)
		fetch(t, db, fake.feed(), nil)
		fake.drop(2)
		later := time.Now().Add(90 * 24 * time.Hour)
		sum := fetch(t, db, fake.feed(), &FetchOptions{Now: func() time.Time { return later }})
		f := fake.feed()
		if f.stale(&hashdb.FeedState{Checkpoint: "1", Advanced: time.Now()}, later) {
			if !sum.Full || sum.Unseen != 1 {
				t.Fatalf("stale fetch: %+v, want a full fetch retracting 1", sum)
			}
			if live(t, db, fake.key(2)) {
				t.Errorf("%s is live, though the full fetch did not list it", fake.key(2))
			}
		} else if sum.Full {
			t.Fatalf("%s has no staleness rule, yet the fetch was full", f.API())
		}
		for _, i := range []int{0, 1, 3, 4, 5} {
			if !live(t, db, fake.key(i)) {
				t.Errorf("%s is not live", fake.key(i))
			}
		}
	})
}

func TestCredentialsNeverInErrors(t *testing.T) {
	forEachFake(t, 3, func(t *testing.T, fake fakeAPI) {
		db := openDB(t)
		// The server echoes what it got: headers, query and body.
		fake.faults().always(func(w http.ResponseWriter, r *http.Request) {
			var b strings.Builder
			r.Header.Write(&b)
			b.WriteString(r.URL.String())
			http.Error(w, b.String(), http.StatusBadRequest)
		})
		_, err := Fetch(context.Background(), db, fake.feed(), nil)
		if err == nil {
			t.Fatal("fetch from a refusing server succeeded")
		}
		msgs := []string{err.Error()}
		for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
			msgs = append(msgs, e.Error())
		}
		// And a server that is gone.
		f := fake.feed()
		setTransport(f, func(tr *Transport) { tr.Retries = -1 })
		switch f := f.(type) {
		case *StopNCII:
			f.BaseURL = "http://127.0.0.1:1"
		case *TCAP:
			f.BaseURL = "http://127.0.0.1:1"
		case *NCMEC:
			f.BaseURL = "http://127.0.0.1:1"
		case *ThreatExchange:
			f.BaseURL = "http://127.0.0.1:1"
		}
		if _, err := Fetch(context.Background(), openDB(t), f, nil); err == nil {
			t.Fatal("fetch from no server succeeded")
		} else {
			msgs = append(msgs, err.Error())
		}
		for _, m := range msgs {
			for _, s := range fake.secrets() {
				if strings.Contains(m, s) {
					t.Errorf("error %q holds the secret %q", m, s)
				}
			}
		}
	})
}

func TestReportSendsEachOpinionOnce(t *testing.T) {
	forEachFake(t, 4, func(t *testing.T, fake fakeAPI) {
		db := openDB(t)
		f := fake.feed()
		fetch(t, db, f, nil)
		ctx := context.Background()
		for i, v := range []hashdb.Verdict{hashdb.Confirmed, hashdb.FalsePositive, hashdb.Disputed} {
			if err := db.SetOpinion(ctx, hashdb.Opinion{Key: fake.key(i), Verdict: v}); err != nil {
				t.Fatal(err)
			}
		}
		// The second opinion fails to go: the first stays sent, and the
		// next report sends the other two only.
		flaky := &flakyFeed{Feed: f, failAt: 2}
		sum, err := Report(ctx, db, flaky, nil)
		if errors.Is(err, ErrNoFeedback) {
			return
		}
		if err == nil || sum.Sent != 1 || len(fake.sent()) == 0 {
			t.Fatalf("report failing on the second opinion: %+v, %v; sent %q", sum, err, fake.sent())
		}
		first := len(fake.sent())
		sum, err = Report(ctx, db, f, nil)
		if err != nil || sum.Sent != 2 {
			t.Fatalf("report after the failure: %+v, %v", sum, err)
		}
		if len(fake.sent()) != 3*first {
			t.Fatalf("sent %q: want each opinion once", fake.sent())
		}
		got := fake.sent()
		sum, err = Report(ctx, db, f, nil)
		if err != nil || sum.Sent != 0 || len(fake.sent()) != len(got) {
			t.Fatalf("second report: %+v, %v; sent %q, want nothing more", sum, err, fake.sent())
		}
		// A changed opinion is sent again, once.
		if err := db.SetOpinion(ctx, hashdb.Opinion{Key: fake.key(0), Verdict: hashdb.Disputed}); err != nil {
			t.Fatal(err)
		}
		if sum, err := Report(ctx, db, f, nil); err != nil || sum.Sent != 1 {
			t.Fatalf("report of a changed opinion: %+v, %v", sum, err)
		}
	})
}

// flakyFeed fails its failAt-th report.
type flakyFeed struct {
	Feed
	failAt, n int
}

func (f *flakyFeed) report(ctx context.Context, it *hashdb.Item, op *hashdb.Opinion) error {
	if f.n++; f.n == f.failAt {
		return fmt.Errorf("%w: injected", ErrNetwork)
	}
	return f.Feed.report(ctx, it, op)
}

func TestCursorsStayOnTheBaseURL(t *testing.T) {
	forEachFake(t, 7, func(t *testing.T, fake fakeAPI) {
		db := openDB(t)
		f := fake.feed()
		fake.faults().set(3, status(http.StatusBadRequest, ""))
		if _, err := Fetch(t.Context(), db, f, nil); err == nil {
			t.Fatal("fetch through a failing page succeeded")
		}
		st, err := db.FeedState(f.API(), f.Collab())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(st.Cursor, "://") {
			return // a token or a relative URL: nothing to move
		}
		// The stored cursor now names another host than the base URL.
		other := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t.Errorf("a stored cursor sent the client to another host: %s %v", r.URL, r.Header)
		}))
		u, _ := url.Parse(st.Cursor)
		st.Cursor = strings.Replace(st.Cursor, u.Host, strings.TrimPrefix(other.URL, "http://"), 1)
		if _, err := db.Apply(t.Context(), &hashdb.Batch{Feed: &st}); err != nil {
			t.Fatal(err)
		}
		fake.faults().reset()
		if sum := fetch(t, db, fake.feed(), nil); sum.Pages == 0 {
			t.Fatalf("fetch after the base moved: %+v", sum)
		}
		for i := range 7 {
			if !live(t, db, fake.key(i)) {
				t.Errorf("%s is not live", fake.key(i))
			}
		}
	})
}

// TestAnswersThatGoNowhere checks that a page whose next page is itself
// ends the fetch instead of looping forever.
func TestAnswersThatGoNowhere(t *testing.T) {
	self := map[string]func(w http.ResponseWriter, r *http.Request){
		"stopncii": func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"count": 0, "nextPageToken": "again", "nextSetTimestamp": 0, "hasMoreRecords": true, "hashRecords": []}`))
		},
		"tcap": func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"count": 0, "next": "http://%s%s", "checkpoint": null, "results": []}`, r.Host, r.URL.RequestURI())
		},
		"ncmec": func(w http.ResponseWriter, r *http.Request) {
			var b strings.Builder
			xml.EscapeText(&b, []byte(strings.TrimPrefix(r.URL.RequestURI(), "/npo")))
			fmt.Fprintf(w, `<queryResult><images count="0"/><paging><next>%s</next></paging></queryResult>`, b.String())
		},
		"threatexchange": func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"data": [], "paging": {"next": "http://%s%s"}}`, r.Host, r.URL.RequestURI())
		},
	}
	forEachFake(t, 1, func(t *testing.T, fake fakeAPI) {
		f := fake.feed()
		fake.faults().always(self[f.API()])
		_, err := Fetch(t.Context(), openDB(t), f, nil)
		if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), "the page itself") {
			t.Fatalf("fetch of a page that is its own next: %v", err)
		}
	})
}

// TestFetchUntil checks a fetch bounded by Until stores one page past it,
// pauses with more to fetch, and goes on from there: a slow exchange
// still makes progress in every bounded round.
func TestFetchUntil(t *testing.T) {
	forEachFake(t, 7, func(t *testing.T, fake fakeAPI) {
		db := openDB(t)
		var pages []int
		for range 20 {
			sum := fetch(t, db, fake.feed(), &FetchOptions{Until: time.Unix(1, 0)}) // long past
			pages = append(pages, sum.Pages)
			if !sum.Paused {
				break
			}
			if sum.Pages != 1 {
				t.Fatalf("a paused fetch stored %d pages, want 1", sum.Pages)
			}
		}
		if len(pages) < 3 || pages[len(pages)-1] > 1 {
			t.Fatalf("pages per bounded fetch: %v, want one each, several times", pages)
		}
		for i := range 7 {
			if !live(t, db, fake.key(i)) {
				t.Errorf("%s is not live after the bounded fetches", fake.key(i))
			}
		}
	})
}
