package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashshare/hashshare/hashdb"
)

// teGroups is a ThreatExchange (formats.md §3) of several privacy
// groups, each with its own indicators, two to a page; failAt, if set,
// fails the page of a group's threat_updates that starts there.
type teGroups struct {
	mu     sync.Mutex
	groups map[string][]teGroupInd
	failAt map[string]int
	srv    *httptest.Server
}

type teGroupInd struct {
	id, hash string
	gone     bool
}

func newTEGroups(t *testing.T, groups map[string]int) *teGroups {
	f := &teGroups{groups: map[string][]teGroupInd{}, failAt: map[string]int{}}
	n := 0
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		for range groups[g] {
			n++
			f.groups[g] = append(f.groups[g], teGroupInd{id: strconv.Itoa(2000 + n), hash: fmt.Sprintf("%064x", 0xabc000+n)})
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v21.0/{group}/threat_updates", f.list)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *teGroups) list(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("access_token") != "1|"+secret {
		http.Error(w, "token", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	g := r.PathValue("group")
	var listed []teGroupInd
	for _, ind := range f.groups[g] {
		if !ind.gone {
			listed = append(listed, ind)
		}
	}
	at, _ := strconv.Atoi(r.URL.Query().Get("after"))
	if fail, ok := f.failAt[g]; ok && fail == at {
		http.Error(w, "injected failure", http.StatusBadRequest)
		return
	}
	end := min(at+2, len(listed))
	var recs []string
	for _, ind := range listed[at:end] {
		recs = append(recs, fmt.Sprintf(`{"id": "%s", "indicator": "%s", "type": "HASH_PDQ", "last_updated": 1700000000, "should_delete": false, "descriptors": {"data": [{"id": "d%[1]s", "owner": {"id": "77"}, "status": "MALICIOUS", "tags": []}]}}`, ind.id, ind.hash))
	}
	paging := "{}"
	if end < len(listed) {
		paging = fmt.Sprintf(`{"next": "http://%s/v21.0/%s/threat_updates?after=%d&access_token=1%%7C%s"}`, r.Host, g, end, secret)
	}
	fmt.Fprintf(w, `{"data": [%s], "paging": %s}`, strings.Join(recs, ","), paging)
}

func (f *teGroups) drop(group string, i int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups[group][i].gone = true
}

func (f *teGroups) fail(group string, at int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if at < 0 {
		delete(f.failAt, group)
		return
	}
	f.failAt[group] = at
}

// ids lists the ids of group's indicators is.
func (f *teGroups) ids(group string, is ...int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, i := range is {
		out = append(out, f.groups[group][i].id)
	}
	return out
}

// liveIDs lists the ids of the live items dumped under source.
func liveIDs(t *testing.T, dir, source string) []string {
	t.Helper()
	var out []string
	for _, it := range jsonLines[dumpLine](t, cli(t, dir, "", "dump", "--db", "f.db", "--source", source).want(t, 0).stdout) {
		if !it.Retracted {
			out = append(out, it.ID)
		}
	}
	slices.Sort(out)
	return out
}

// ageFeeds makes every stored checkpoint as old as 100 days, so that the
// next fetch of a ThreatExchange group is stale: a full refetch.
func ageFeeds(t *testing.T, dir string) {
	t.Helper()
	opts := hashdb.DefaultOptions()
	opts.Now = func() time.Time { return time.Now().Add(-100 * 24 * time.Hour) }
	db, err := hashdb.Open(filepath.Join(dir, "f.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	states, err := db.FeedStates()
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range states {
		if _, err := db.Apply(context.Background(), &hashdb.Batch{Origin: st.Origin, Feed: &st}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFetchTwoGroupsUnderOneSource follows two ThreatExchange privacy
// groups, both filed under the default source "threatexchange" with a
// list ingested under it: first fetches and stale refetches (full) keep
// each other's items and the list's, and retract what their own group
// stopped listing, also after a refetch interrupted and resumed.
func TestFetchTwoGroupsUnderOneSource(t *testing.T) {
	dir := t.TempDir()
	f := newTEGroups(t, map[string]int{"555": 5, "556": 3})
	creds := writeFile(t, dir, "te.json", `{"access_token": "1|`+secret+`"}`)
	fetchArgs := func(group string) []string {
		return []string{"fetch", "--db", "f.db", "--api", "threatexchange", "--credentials", creds, "--collab", group, "--base-url", f.srv.URL + "/v21.0"}
	}
	list := writeFile(t, dir, "list.txt", "pdq f00df00df00df00df00df00df00df00df00df00df00df00df00df00df00df00d\n")
	cli(t, dir, "", "ingest", "--db", "f.db", "--format", "pytx", "--source", "threatexchange", list).want(t, 0)
	listed := liveIDs(t, dir, "threatexchange")
	if len(listed) != 1 {
		t.Fatalf("the list ingested %q", listed)
	}
	want := func(a, b []string) []string {
		out := slices.Concat(listed, a, b)
		slices.Sort(out)
		return out
	}

	for group, n := range map[string]int{"555": 5, "556": 3} {
		if got := fetchJSONOf(t, dir, fetchArgs(group)...); !got.Full || got.Unseen != 0 || got.Items != n {
			t.Fatalf("first fetch of %s: %+v", group, got)
		}
	}
	if got, w := liveIDs(t, dir, "threatexchange"), want(f.ids("555", 0, 1, 2, 3, 4), f.ids("556", 0, 1, 2)); !slices.Equal(got, w) {
		t.Fatalf("after both first fetches: %q, want %q", got, w)
	}

	f.drop("555", 4)
	f.drop("556", 1)
	ageFeeds(t, dir)
	// 555's refetch fails on its second page, then goes on.
	f.fail("555", 2)
	cli(t, dir, "", fetchArgs("555")...).want(t, 2)
	var st []statusLine
	for _, line := range strings.Split(strings.TrimSpace(cli(t, dir, "", "fetch", "--db", "f.db", "--status", "--json").want(t, 0).stdout), "\n") {
		var s statusLine
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatal(err)
		}
		st = append(st, s)
	}
	if len(st) != 2 || st[0].Collab != "555" || !st[0].Full || st[1].Full {
		t.Fatalf("status after the interrupted refetch: %+v", st)
	}
	if got, w := liveIDs(t, dir, "threatexchange"), want(f.ids("555", 0, 1, 2, 3, 4), f.ids("556", 0, 1, 2)); !slices.Equal(got, w) {
		t.Fatalf("after the interrupted refetch: %q, want %q", got, w)
	}
	f.fail("555", -1)
	for _, group := range []string{"555", "556"} {
		if got := fetchJSONOf(t, dir, fetchArgs(group)...); !got.Full || got.Unseen != 1 {
			t.Fatalf("refetch of %s: %+v, want full, retracting 1", group, got)
		}
	}
	if got, w := liveIDs(t, dir, "threatexchange"), want(f.ids("555", 0, 1, 2, 3), f.ids("556", 0, 2)); !slices.Equal(got, w) {
		t.Fatalf("after the refetches: %q, want %q", got, w)
	}
}
