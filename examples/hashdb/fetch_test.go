package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fetchLine is "fetch --json" as a client reads it.
type fetchLine struct {
	ingestLine
	Checkpoint string `json:"checkpoint"`
	Pages      int    `json:"pages"`
	Full       bool   `json:"full"`
	Unseen     int    `json:"unseen"`
}

// statusLine is a line of "fetch --status --json".
type statusLine struct {
	API        string `json:"api"`
	Collab     string `json:"collab"`
	Source     string `json:"source"`
	Checkpoint string `json:"checkpoint"`
	Advanced   string `json:"advanced"`
	InProgress bool   `json:"in_progress"`
	Full       bool   `json:"full"`
	Pages      int64  `json:"pages"`
	Items      int64  `json:"items"`
	Retracted  int64  `json:"retracted"`
	Opinions   int64  `json:"opinions"`
}

// exchangeFake answers two pages of one API in its documented shapes
// (../shared/specs/formats.md §3–§6): the first item on the first page,
// the second on the second; failSecond makes the second page fail.
type exchangeFake struct {
	api, creds, collab string
	srv                *httptest.Server
	base               string
	failSecond         atomic.Bool
	mu                 sync.Mutex
	feedback           []string
}

const secret = "cli-secret-value"

func newExchangeFake(t *testing.T, api string) *exchangeFake {
	f := &exchangeFake{api: api}
	mux := http.NewServeMux()
	second := func(w http.ResponseWriter) bool {
		if f.failSecond.Load() {
			http.Error(w, "injected failure", http.StatusBadRequest)
			return true
		}
		return false
	}
	switch api {
	case "stopncii":
		f.creds = `{"subscription_key": "` + secret + `", "fetch_function_key": "fn"}`
		mux.HandleFunc("GET /v1/FetchHashes", func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Ocp-Apim-Subscription-Key") != secret || r.Header.Get("x-functions-key") != "fn" {
				http.Error(w, "keys", http.StatusUnauthorized)
				return
			}
			rec := `{"lastModtimestamp": %d, "signalType": "ImagePDQ", "hashValue": "%s", "hashStatus": "Active"}`
			if r.URL.Query().Get("nextPageToken") == "" {
				fmt.Fprintf(w, `{"count": 1, "nextPageToken": "p2", "nextSetTimestamp": 0, "hasMoreRecords": true, "hashRecords": [`+rec+`]}`, 1700000000, listPDQ)
			} else if !second(w) {
				fmt.Fprintf(w, `{"count": 1, "nextPageToken": null, "nextSetTimestamp": 1700000200, "hasMoreRecords": false, "hashRecords": [`+rec+`]}`, 1700000100, listPDQ2)
			}
		})
		mux.HandleFunc("POST /v1/SubmitFeedback", func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			f.mu.Lock()
			f.feedback = append(f.feedback, string(b))
			f.mu.Unlock()
			w.Write([]byte(`{}`))
		})
	case "tcap":
		f.creds = `{"username": "u", "password": "` + secret + `"}`
		mux.HandleFunc("POST /token-auth/tcap/", func(w http.ResponseWriter, r *http.Request) {
			if r.FormValue("password") != secret {
				http.Error(w, "login", http.StatusBadRequest)
				return
			}
			w.Write([]byte(`{"token": "jwt.e30.sig", "user": {}}`))
		})
		mux.HandleFunc("GET /api/hash-list/v2/all", func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer jwt.e30.sig" {
				http.Error(w, "token", http.StatusUnauthorized)
				return
			}
			ent := `{"hash_digest": "%s", "algorithm": "PDQ", "ideology": "far-right", "file_type": "jpg", "deleted": false, "updated_on": %d, "id": %d}`
			if r.URL.Query().Get("offset") == "" {
				fmt.Fprintf(w, `{"count": 2, "next": "http://%s/api/hash-list/v2/all?order=asc&offset=1", "previous": null, "checkpoint": "1700000000,1", "results": [`+ent+`]}`, r.Host, listPDQ, 1700000000, 1)
			} else if !second(w) {
				fmt.Fprintf(w, `{"count": 2, "next": null, "previous": null, "checkpoint": "1700000100,2", "results": [`+ent+`]}`, listPDQ2, 1700000100, 2)
			}
		})
	case "ncmec":
		f.creds = `{"username": "u", "password": "` + secret + `", "environment": "ngo"}`
		mux.HandleFunc("GET /npo/v2/entries", func(w http.ResponseWriter, r *http.Request) {
			if _, p, _ := r.BasicAuth(); p != secret {
				http.Error(w, "auth", http.StatusUnauthorized)
				return
			}
			ent := `<images count="1" maxTimestamp="%[1]s"><image><member id="9990">ESP</member><timestamp>%[1]s</timestamp><id>e%[2]d</id><classification>A1</classification><fingerprints><pdq>%[3]s</pdq></fingerprints></image></images><videos count="0"/>`
			if r.URL.Query().Get("start") == "" {
				fmt.Fprintf(w, `<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">`+ent+`<paging><next>/v2/entries?from=%s&amp;to=%s&amp;start=2&amp;size=1&amp;max=2</next></paging></queryResult>`,
					"2023-11-14T22:13:20Z", 1, listPDQ, r.URL.Query().Get("from"), r.URL.Query().Get("to"))
			} else if !second(w) {
				fmt.Fprintf(w, `<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">`+ent+`</queryResult>`, "2023-11-14T22:15:00Z", 2, listPDQ2)
			}
		})
	case "threatexchange":
		f.creds = `{"access_token": "1|` + secret + `"}`
		f.collab = "555"
		mux.HandleFunc("GET /v21.0/555/threat_updates", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("access_token") != "1|"+secret {
				http.Error(w, "token", http.StatusBadRequest)
				return
			}
			rec := `{"id": "%[1]d", "indicator": "%[2]s", "type": "HASH_PDQ", "last_updated": %[3]d, "should_delete": false, "descriptors": {"data": [{"id": "d%[1]d", "owner": {"id": "77"}, "status": "MALICIOUS", "tags": ["example tag"]}]}}`
			if r.URL.Query().Get("after") == "" {
				fmt.Fprintf(w, `{"data": [`+rec+`], "paging": {"next": "http://%[4]s/v21.0/555/threat_updates?after=2&access_token=1%%7C%[5]s"}}`, 1, listPDQ, 1700000000, r.Host, secret)
			} else if !second(w) {
				fmt.Fprintf(w, `{"data": [`+rec+`], "paging": {}}`, 2, listPDQ2, 1700000100)
			}
		})
		mux.HandleFunc("GET /v21.0/{id}", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"id": "%s", "descriptors": {"data": [{"id": "d%[1]s", "owner": {"id": "77"}}]}}`, r.PathValue("id"))
		})
		mux.HandleFunc("POST /v21.0/{id}", func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			f.feedback = append(f.feedback, r.PathValue("id")+" "+r.FormValue("reactions"))
			f.mu.Unlock()
			w.Write([]byte(`{"success": true}`))
		})
	}
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.base = f.srv.URL
	switch api {
	case "ncmec":
		f.base += "/npo"
	case "threatexchange":
		f.base += "/v21.0"
	}
	return f
}

func (f *exchangeFake) args(t *testing.T, dir string, verb string) []string {
	a := []string{verb, "--db", "f.db", "--api", f.api, "--credentials", writeFile(t, dir, f.api+".json", f.creds), "--base-url", f.base}
	if f.collab != "" {
		a = append(a, "--collab", f.collab)
	}
	return a
}

func fetchJSONOf(t *testing.T, dir string, args ...string) fetchLine {
	t.Helper()
	r := cli(t, dir, "", append(args, "--json")...).want(t, 0)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	got := jsonLines[fetchLine](t, lines[len(lines)-1])
	if len(got) != 1 {
		t.Fatalf("fetch --json printed %q", r.stdout)
	}
	return got[0]
}

func TestFetchEachAPI(t *testing.T) {
	for _, api := range []string{"threatexchange", "tcap", "ncmec", "stopncii"} {
		t.Run(api, func(t *testing.T) {
			dir := t.TempDir()
			f := newExchangeFake(t, api)
			// Interrupted on the second page: the first is kept.
			f.failSecond.Store(true)
			r := cli(t, dir, "", f.args(t, dir, "fetch")...).want(t, 2)
			if !strings.Contains(r.stderr, "before the error") || strings.Contains(r.stderr, secret) {
				t.Errorf("interrupted fetch's stderr: %q", r.stderr)
			}
			st := jsonLines[statusLine](t, cli(t, dir, "", "fetch", "--db", "f.db", "--status", "--json").want(t, 0).stdout)
			if len(st) != 1 || st[0].API != api || st[0].Pages != 1 || st[0].Source != api || !st[0].Full {
				t.Fatalf("status after the interruption: %+v", st)
			}
			f.failSecond.Store(false)
			got := fetchJSONOf(t, dir, f.args(t, dir, "fetch")...)
			if got.Items != 1 || got.Pages != 1 || got.Checkpoint == "" || got.Format != api {
				t.Errorf("resumed fetch: %+v", got)
			}
			dump := cli(t, dir, "", "dump", "--db", "f.db", "--source", api).want(t, 0).stdout
			items := jsonLines[dumpLine](t, dump)
			if len(items) != 2 {
				t.Fatalf("dump after the fetches: %s", dump)
			}
			text := cli(t, dir, "", "fetch", "--db", "f.db", "--status").want(t, 0).stdout
			if !strings.HasPrefix(text, api+"\t") || !strings.Contains(text, "2 pages") {
				t.Errorf("status: %q", text)
			}
		})
	}
}

func TestFetchSourceAndUsage(t *testing.T) {
	dir := t.TempDir()
	f := newExchangeFake(t, "tcap")
	got := fetchJSONOf(t, dir, append(f.args(t, dir, "fetch"), "--source", "tat")...)
	if got.Items != 2 || got.Pages != 2 || !got.Full {
		t.Errorf("fetch: %+v", got)
	}
	items := jsonLines[dumpLine](t, cli(t, dir, "", "dump", "--db", "f.db", "--source", "tat").want(t, 0).stdout)
	if len(items) != 2 {
		t.Errorf("items under --source tat: %+v", items)
	}
	bad := writeFile(t, dir, "bad.json", `{"username": "u", "pasword": "`+secret+`"}`)
	for _, args := range [][]string{
		{"fetch", "--db", "f.db", "--api", "tcap"},
		{"fetch", "--db", "f.db", "--api", "gifct", "--credentials", bad},
		{"fetch", "--db", "f.db", "--api", "tcap", "--credentials", bad},
		{"fetch", "--db", "f.db", "--api", "threatexchange", "--credentials", bad},
		{"fetch", "--db", "f.db", "--api", "stopncii", "--credentials", bad, "--since", "yesterday"},
	} {
		r := cli(t, dir, "", args...).want(t, 2)
		if strings.Contains(r.stderr, secret) {
			t.Errorf("%q: stderr shows the secret: %q", args, r.stderr)
		}
	}
}

func TestReportSendsOpinionsOnce(t *testing.T) {
	dir := t.TempDir()
	f := newExchangeFake(t, "stopncii")
	fetchJSONOf(t, dir, append(f.args(t, dir, "fetch"), "--source", "sn")...)
	cli(t, dir, "", "opinion", "--db", "f.db", "--org", "local", "--source", "sn", "--id", "pdq:"+listPDQ, "--verdict", "false-positive").want(t, 0)
	r := cli(t, dir, "", f.args(t, dir, "report")...).want(t, 0)
	if !strings.Contains(r.stderr, "sent 1 opinions") || len(f.feedback) != 1 {
		t.Fatalf("report: %q; fake got %q", r.stderr, f.feedback)
	}
	var sub struct {
		Count         int `json:"count"`
		HashFeedbacks []struct {
			HashValue, FeedbackValue string
		} `json:"hashFeedbacks"`
	}
	if err := json.Unmarshal([]byte(f.feedback[0]), &sub); err != nil || sub.Count != 1 || sub.HashFeedbacks[0].HashValue != listPDQ || sub.HashFeedbacks[0].FeedbackValue != "NotBlocked" {
		t.Errorf("feedback %s (%v)", f.feedback[0], err)
	}
	r = cli(t, dir, "", f.args(t, dir, "report")...).want(t, 0)
	if !strings.Contains(r.stderr, "sent 0 opinions") || len(f.feedback) != 1 {
		t.Errorf("second report: %q; fake got %q", r.stderr, f.feedback)
	}
}

func TestReportReactsOnThreatExchange(t *testing.T) {
	dir := t.TempDir()
	f := newExchangeFake(t, "threatexchange")
	fetchJSONOf(t, dir, f.args(t, dir, "fetch")...)
	cli(t, dir, "", "opinion", "--db", "f.db", "--org", "local", "--source", "threatexchange", "--id", "2", "--verdict", "confirmed").want(t, 0)
	// The form the issue gives: no --collab.
	args := []string{"report", "--db", "f.db", "--api", "threatexchange", "--credentials", writeFile(t, dir, "te.json", f.creds), "--base-url", f.base}
	cli(t, dir, "", args...).want(t, 0)
	f.mu.Lock()
	defer f.mu.Unlock()
	if strings.Join(f.feedback, ";") != "d2 HELPFUL" {
		t.Errorf("reactions %q, want d2 HELPFUL", f.feedback)
	}
}
