package feeds

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/lists"
)

// asCollab follows its Feed's exchange as the collaboration collab, and
// with refetch set fetches it from the start every time, as staleness
// does: a second collaboration of the same API, on a fake of its own.
type asCollab struct {
	Feed
	collab  string
	refetch bool
}

func (c *asCollab) Collab() string { return c.collab }

func (c *asCollab) stale(st *hashdb.FeedState, now time.Time) bool {
	return c.refetch || c.Feed.stale(st, now)
}

// liveKeys lists the live items filed under source.
func liveKeys(t *testing.T, db *hashdb.DB, source string) []string {
	t.Helper()
	var out []string
	for it, err := range db.Items(context.Background(), hashdb.Filter{Source: source}) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, it.Key.String())
	}
	slices.Sort(out)
	return out
}

// keysOf lists the keys of entries is of fake.
func keysOf(fake fakeAPI, is ...int) []string {
	var out []string
	for _, i := range is {
		out = append(out, fake.key(i).String())
	}
	return out
}

func membersOf(t *testing.T, db *hashdb.DB, f Feed) []hashdb.Key {
	t.Helper()
	keys, err := db.FeedMembers(f.API(), f.Collab())
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func keyStrings(keys []hashdb.Key) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k.String())
	}
	slices.Sort(out)
	return out
}

func sorted(sets ...[]string) []string {
	out := slices.Concat(sets...)
	slices.Sort(out)
	return out
}

// ingestList ingests a one-hash list filed under source, as "hashdb
// ingest --source" does, and returns its item's key.
func ingestList(t *testing.T, db *hashdb.DB, source string) []string {
	t.Helper()
	before := liveKeys(t, db, source)
	const list = "pdq f00df00df00df00df00df00df00df00df00df00df00df00df00df00df00df00d\n"
	r, err := lists.NewReader(strings.NewReader(list), lists.PyTX, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lists.Ingest(context.Background(), db, r, &lists.IngestOptions{Source: source}); err != nil {
		t.Fatal(err)
	}
	var added []string
	for _, k := range liveKeys(t, db, source) {
		if !slices.Contains(before, k) {
			added = append(added, k)
		}
	}
	if len(added) != 1 {
		t.Fatalf("the list added %q", added)
	}
	return added
}

// TestFullFetchesOfTwoCollabsKeepEachOthersItems follows two
// collaborations of each API, filed under the API's source with an item
// ingested from a list: every fetch is full, and each retracts only what
// its own collaboration stopped listing.
func TestFullFetchesOfTwoCollabsKeepEachOthersItems(t *testing.T) {
	for _, f := range fakes {
		t.Run(f.api, func(t *testing.T) {
			// A lists entries 0–3; B, on a fake of its own, entries 4–7.
			fa, fb := f.make(t, 4), f.make(t, 8)
			for i := range 4 {
				fb.drop(i)
			}
			a := &asCollab{Feed: fa.feed(), collab: "a", refetch: true}
			b := &asCollab{Feed: fb.feed(), collab: "b", refetch: true}
			db := openDB(t)
			source := f.api
			list := ingestList(t, db, source)
			for _, feed := range []Feed{a, b} {
				if sum := fetch(t, db, feed, nil); !sum.Full || sum.Unseen != 0 {
					t.Fatalf("first fetch of %s: %+v, want full, retracting nothing", feed.Collab(), sum)
				}
			}
			want := sorted(list, keysOf(fa, 0, 1, 2, 3), keysOf(fb, 4, 5, 6, 7))
			if got := liveKeys(t, db, source); !slices.Equal(got, want) {
				t.Fatalf("after both first fetches:\n%q\nwant\n%q", got, want)
			}
			// Each stops listing one entry; each refetch retracts its own.
			fa.drop(1)
			fb.drop(6)
			for _, feed := range []Feed{a, b} {
				if sum := fetch(t, db, feed, nil); !sum.Full || sum.Unseen != 1 {
					t.Fatalf("full refetch of %s: %+v, want 1 retracted", feed.Collab(), sum)
				}
			}
			want = sorted(list, keysOf(fa, 0, 2, 3), keysOf(fb, 4, 5, 7))
			if got := liveKeys(t, db, source); !slices.Equal(got, want) {
				t.Fatalf("after the refetches:\n%q\nwant\n%q", got, want)
			}
			for _, c := range []struct {
				feed Feed
				want []string
			}{{a, keysOf(fa, 0, 2, 3)}, {b, keysOf(fb, 4, 5, 7)}} {
				if got := keyStrings(membersOf(t, db, c.feed)); !slices.Equal(got, sorted(c.want)) {
					t.Errorf("members of %s: %q, want %q", c.feed.Collab(), got, c.want)
				}
			}
		})
	}
}

// TestInterruptedFullRefetchKeepsTheMembership interrupts a full
// refetch on its third page in each way a page can fail: the database,
// the membership with it, is as the second page left it, and the fetch
// resumed retracts what an uninterrupted one does and nothing of the
// other collaboration's.
func TestInterruptedFullRefetchKeepsTheMembership(t *testing.T) {
	faultsOf := map[string]func(fake fakeAPI, cancel context.CancelFunc) func(http.ResponseWriter, *http.Request){
		"500": func(fakeAPI, context.CancelFunc) func(http.ResponseWriter, *http.Request) {
			return status(http.StatusBadGateway, "")
		},
		"page broken mid-way": func(fake fakeAPI, _ context.CancelFunc) func(http.ResponseWriter, *http.Request) {
			return fake.corrupt
		},
		"killed": func(_ fakeAPI, cancel context.CancelFunc) func(http.ResponseWriter, *http.Request) {
			return func(w http.ResponseWriter, r *http.Request) { cancel(); <-r.Context().Done() }
		},
	}
	for name, makeFault := range faultsOf {
		t.Run(name, func(t *testing.T) {
			for _, f := range fakes {
				t.Run(f.api, func(t *testing.T) {
					fa, fb := f.make(t, 9), f.make(t, 11)
					for i := range 9 {
						fb.drop(i)
					}
					db := openDB(t)
					a := &asCollab{Feed: fa.feed(), collab: "a", refetch: true}
					b := &asCollab{Feed: fb.feed(), collab: "b"}
					fetch(t, db, a, nil)
					fetch(t, db, b, nil)
					fa.drop(8) // last: after the pages the refetch stores

					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					fa.faults().reset()
					fault := makeFault(fa, cancel)
					for n := 3; n < 10; n++ {
						fa.faults().set(n, fault)
					}
					a = &asCollab{Feed: fa.feed(), collab: "a", refetch: true}
					setTransport(a.Feed, func(tr *Transport) { tr.Timeout = 200 * time.Millisecond })
					var pages []string
					var members [][]hashdb.Key
					opts := &FetchOptions{Progress: func(Summary) {
						pages = append(pages, snapshot(t, db))
						members = append(members, membersOf(t, db, a))
					}}
					sum, err := Fetch(ctx, db, a, opts)
					if err == nil || sum.Pages != 2 {
						t.Fatalf("interrupted refetch: %+v, %v; want 2 pages and an error", sum, err)
					}
					if got := snapshot(t, db); got != pages[1] {
						t.Fatalf("after the failure the database is not as the last page left it")
					}
					if got := membersOf(t, db, a); !slices.Equal(got, members[1]) {
						t.Fatalf("members after the interruption %v, want %v", got, members[1])
					}
					fa.faults().reset()
					// Resumed: the same full fetch goes on, not a new one.
					a.refetch = false
					sum = fetch(t, db, a, nil)
					if !sum.Full || sum.Unseen != 1 {
						t.Fatalf("resumed refetch: %+v, want it full, retracting 1", sum)
					}
					want := sorted(keysOf(fa, 0, 1, 2, 3, 4, 5, 6, 7), keysOf(fb, 9, 10))
					if got := liveKeys(t, db, f.api); !slices.Equal(got, want) {
						t.Errorf("after the resumed refetch:\n%q\nwant\n%q", got, want)
					}
					if st, err := db.FeedState(a.API(), a.Collab()); err != nil || st.Full {
						t.Errorf("state after the refetch: %+v, %v", st, err)
					}
					if got, want := membersOf(t, db, b), sorted(keysOf(fb, 9, 10)); !slices.Equal(keyStrings(got), want) {
						t.Errorf("members of b %v, want %v", got, want)
					}
				})
			}
		})
	}
}
