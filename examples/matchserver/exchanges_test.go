package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/feeds"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// fakeStopNCII speaks StopNCII's FetchHashes as formats.md §6 gives it:
// the two key headers, records modified after startTimestamp, one page,
// nextSetTimestamp the latest of them.
type fakeStopNCII struct {
	functionKey, subscriptionKey string
	// pageSize, if set, pages the answer by nextPageToken, and delay
	// slows each answer.
	pageSize int
	delay    time.Duration

	mu      sync.Mutex
	records []fakeNCIIRecord
	starts  []int64 // each request's startTimestamp
}

type fakeNCIIRecord struct {
	ts             int64
	typ, hash, now string // signalType, hashValue, hashStatus
}

func (f *fakeStopNCII) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/FetchHashes" {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("x-functions-key") != f.functionKey || r.Header.Get("Ocp-Apim-Subscription-Key") != f.subscriptionKey {
		http.Error(w, `{"message": "invalid keys"}`, http.StatusUnauthorized)
		return
	}
	start, err := strconv.ParseInt(r.URL.Query().Get("startTimestamp"), 10, 64)
	if err != nil {
		http.Error(w, "bad startTimestamp", http.StatusBadRequest)
		return
	}
	time.Sleep(f.delay)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts = append(f.starts, start)
	next := start
	recs := []map[string]any{}
	for _, rec := range f.records {
		if rec.ts <= start {
			continue
		}
		next = max(next, rec.ts)
		recs = append(recs, map[string]any{"lastModtimestamp": rec.ts, "signalType": rec.typ, "hashValue": rec.hash,
			"hashStatus": rec.now, "caseNumbers": map[string]string{"00000000-0000-4000-8000-000000000001": rec.now}})
	}
	var token any
	if f.pageSize > 0 {
		off, _ := strconv.Atoi(r.URL.Query().Get("nextPageToken"))
		recs = recs[min(off, len(recs)):min(off+f.pageSize, len(recs))]
		if off+f.pageSize < len(f.records) {
			token = strconv.Itoa(off + f.pageSize)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"count": len(recs), "nextPageToken": token, "nextSetTimestamp": next,
		"hasMoreRecords": token != nil, "hashRecords": recs})
}

func (f *fakeStopNCII) add(rec fakeNCIIRecord) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.records = append(f.records, rec)
}

func (f *fakeStopNCII) requests() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int64(nil), f.starts...)
}

// exchangeServer serves db over loopback with one token of every role and
// runs its exchanges' schedule until the test ends or stop is called.
func exchangeServer(t *testing.T, db *hashdb.DB, cfg config) (base, secret string, stop func()) {
	t.Helper()
	secret, tok := mustToken(t, "ops", "hash,match,curate,exchange", "")
	cfg.Tokens = tokens{tok}
	srv := newServer(db, cfg)
	if srv.exchanges.broken != nil {
		t.Fatal(srv.exchanges.broken)
	}
	ts := httptest.NewServer(srv.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); srv.exchanges.run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
			ts.Close()
		})
	}
	t.Cleanup(stop)
	return ts.URL, secret, stop
}

// getJSON GETs path and decodes its JSON answer into v.
func getJSON(t *testing.T, base, secret, path string, v any) int {
	t.Helper()
	code, body, _ := doAs(t, secret, "GET", base+path, "", nil)
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %d %q: %v", path, code, body, err)
	}
	return code
}

func statusOfExchange(t *testing.T, base, secret, name string) fetchStatusJSON {
	t.Helper()
	var st fetchStatusJSON
	if code := getJSON(t, base, secret, "/c/exchange/"+name+"/status", &st); code != http.StatusOK {
		t.Fatalf("status of %s: %d", name, code)
	}
	return st
}

// TestExchangeSchedule drives an exchange end to end over loopback: it is
// created, fails without credentials, fetches once they are set, its
// items match under its bank, new records arrive on the schedule, it is
// disabled, survives a restart with its config, credentials and
// checkpoint, and is deleted.
func TestExchangeSchedule(t *testing.T) {
	fake := &fakeStopNCII{functionKey: "fn-key-secret-1", subscriptionKey: "sub-key-secret-2"}
	pdq1 := "c0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0de"
	pdq2 := flipBits(pdq1, 128)
	md5w := "f00df00df00df00df00df00df00df00d"
	fake.add(fakeNCIIRecord{1700000000, "ImagePDQ", pdq1, "Active"})
	fake.add(fakeNCIIRecord{1700000100, "VideoMD5", md5w, "Withdrawn"})
	api := httptest.NewServer(fake)
	defer api.Close()

	dir := t.TempDir()
	dbPath := filepath.Join(dir, "hashes.db")
	credPath := filepath.Join(dir, "hashes.db.credentials")
	opts := hashdb.DefaultOptions()
	opts.Organization = "acme"
	db, err := hashdb.Open(dbPath, opts)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cfg := config{Log: slog.New(slog.NewTextHandler(logs, nil)), Exchanges: exchangeOptions{
		Interval: 50 * time.Millisecond, Credentials: credPath,
		Transport: feeds.Transport{Retries: -1, Timeout: 5 * time.Second},
	}}
	base, secret, stop := exchangeServer(t, db, cfg)

	steps := []hmaStep{
		{name: "create", method: "POST", path: "/c/exchanges", json: `{"bank": "NCII", "api": "stop_ncii", "api_json": {}}`,
			code: 201, want: msg("Created successfully")},
		{name: "list", method: "GET", path: "/c/exchanges", code: 200, want: []any{"NCII"}},
		{name: "its bank", method: "GET", path: "/c/bank/NCII", code: 200, want: map[string]any{"name": "NCII", "matching_enabled_ratio": 1.0}},
		{name: "no credentials", method: "GET", path: "/c/exchanges/api/stop_ncii", code: 200,
			want: map[string]any{"supports_authentification": true, "has_set_authentification": false}},
	}
	runSteps(t, base, secret, steps, vars{})
	waitFor(t, "the fetch without credentials to fail", func() bool {
		st := statusOfExchange(t, base, secret, "NCII")
		return st.LastFetchSucceeded != nil && !*st.LastFetchSucceeded && !st.UpToDate
	})

	cred := `{"credential_json": {"fetch_function_key": "` + fake.functionKey + `", "subscription_key": "` + fake.subscriptionKey +
		`", "base_url_override": "` + api.URL + `/v1"}}`
	code, body, _ := doAs(t, secret, "POST", base+"/c/exchanges/api/stop_ncii", "application/json", []byte(cred))
	if code != 200 || string(body) != `{"has_set_authentification":true,"supports_authentification":true}`+"\n" {
		t.Fatalf("setting credentials: %d %s", code, body)
	}
	if fi, err := os.Stat(credPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v, %v; want mode 0600", fi, err)
	}
	waitFor(t, "a successful fetch", func() bool {
		st := statusOfExchange(t, base, secret, "NCII")
		return st.LastFetchSucceeded != nil && *st.LastFetchSucceeded && st.UpToDate && st.FetchedItems == 2
	})
	st := statusOfExchange(t, base, secret, "NCII")
	if st.CheckpointTS == nil || *st.CheckpointTS != 1700000100 || st.LastFetchCompleteTS == nil {
		t.Errorf("status after the fetch: %+v, want checkpoint 1700000100 and a completion time", st)
	}

	match := func(sig string) map[string]any {
		return map[string]any{"NCII": []any{map[string]any{"bank_content_id": anyInt{}, "distance": sig}}}
	}
	runSteps(t, base, secret, []hmaStep{
		{name: "fetched pdq matches in the bank", method: "GET", path: "/m/lookup?signal_type=pdq&signal=" + pdq1, code: 200, want: match("0")},
		{name: "and with banks=NCII", method: "GET", path: "/m/lookup?signal_type=pdq&signal=" + pdq1 + "&banks=NCII", code: 200, want: match("0")},
		{name: "not in another bank", method: "GET", path: "/m/lookup?signal_type=pdq&signal=" + pdq1 + "&banks=OTHER", code: 200, want: map[string]any{}},
		{name: "withdrawn: no match", method: "GET", path: "/m/lookup?signal_type=video_md5&signal=" + md5w, code: 200, want: map[string]any{}},
		{name: "not yet listed", method: "GET", path: "/m/lookup?signal_type=pdq&signal=" + pdq2, code: 200, want: map[string]any{}},
	}, vars{})

	// A record published later arrives with a later round.
	fake.add(fakeNCIIRecord{1700000200, "ImagePDQ", pdq2, "Active"})
	waitFor(t, "the new record", func() bool {
		st := statusOfExchange(t, base, secret, "NCII")
		return st.CheckpointTS != nil && *st.CheckpointTS == 1700000200 && st.FetchedItems == 3
	})
	runSteps(t, base, secret, []hmaStep{
		{name: "new record matches", method: "GET", path: "/m/lookup?signal_type=pdq&signal=" + pdq2, code: 200, want: match("0")},
		{name: "disable", method: "PUT", path: "/c/exchange/NCII", json: `{"enabled": false}`, code: 200,
			want: map[string]any{"name": "NCII", "api": "stop_ncii", "enabled": false}},
	}, vars{})
	// Let a round that was under way end; then no more requests.
	time.Sleep(200 * time.Millisecond)
	n := len(fake.requests())
	time.Sleep(300 * time.Millisecond)
	if m := len(fake.requests()); m != n {
		t.Errorf("%d requests to the exchange after it was disabled", m-n)
	}
	if st := statusOfExchange(t, base, secret, "NCII"); st.RunningFetchStartTS != nil {
		t.Errorf("a disabled exchange's status says a fetch is running: %+v", st)
	}

	// Restart: a new server on the same files.
	stop()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = hashdb.Open(dbPath, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	base, secret, _ = exchangeServer(t, db, cfg)
	runSteps(t, base, secret, []hmaStep{
		{name: "kept", method: "GET", path: "/c/exchanges", code: 200, want: []any{"NCII"}},
		{name: "still disabled", method: "GET", path: "/c/exchange/NCII", code: 200,
			want: map[string]any{"name": "NCII", "api": "stop_ncii", "enabled": false}},
		{name: "credentials kept", method: "GET", path: "/c/exchanges/api/stop_ncii", code: 200,
			want: map[string]any{"supports_authentification": true, "has_set_authentification": true}},
		{name: "items kept", method: "GET", path: "/m/lookup?signal_type=pdq&signal=" + pdq2, code: 200, want: match("0")},
	}, vars{})
	if st := statusOfExchange(t, base, secret, "NCII"); st.CheckpointTS == nil || *st.CheckpointTS != 1700000200 ||
		st.LastFetchSucceeded == nil || !*st.LastFetchSucceeded {
		t.Errorf("status after the restart: %+v, want checkpoint 1700000200 and the last fetch's success", st)
	}
	n = len(fake.requests())
	runSteps(t, base, secret, []hmaStep{{name: "enable", method: "PUT", path: "/c/exchange/NCII", json: `{"enabled": true}`, code: 200,
		want: map[string]any{"name": "NCII", "api": "stop_ncii", "enabled": true}}}, vars{})
	waitFor(t, "a fetch after the restart", func() bool { return len(fake.requests()) > n })
	if starts := fake.requests(); starts[n] != 1700000200 {
		t.Errorf("after the restart the fetch started at %d, want the checkpoint 1700000200", starts[n])
	}

	// Wrong keys: the error is recorded, named, and the keys are not logged.
	bad := `{"credential_json": {"fetch_function_key": "wrong-secret-3", "subscription_key": "wrong-secret-4", "base_url_override": "` + api.URL + `"}}`
	if code, body, _ := doAs(t, secret, "POST", base+"/c/exchanges/api/stop_ncii", "application/json", []byte(bad)); code != 200 {
		t.Fatalf("setting wrong credentials: %d %s", code, body)
	}
	waitFor(t, "the fetch with wrong keys to fail", func() bool {
		st := statusOfExchange(t, base, secret, "NCII")
		return st.LastFetchSucceeded != nil && !*st.LastFetchSucceeded
	})
	waitFor(t, "the failure in the log", func() bool { return strings.Contains(logs.String(), "401") })
	for _, s := range []string{fake.functionKey, fake.subscriptionKey, "wrong-secret-3", "wrong-secret-4"} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the log holds the credential %q", s)
		}
	}

	runSteps(t, base, secret, []hmaStep{
		{name: "clear credentials", method: "POST", path: "/c/exchanges/api/stop_ncii", json: `{"credential_json": {}}`, code: 200,
			want: map[string]any{"supports_authentification": true, "has_set_authentification": false}},
		{name: "delete", method: "DELETE", path: "/c/exchange/NCII", code: 200, want: msg("Exchange deleted")},
		{name: "gone", method: "GET", path: "/c/exchange/NCII", code: 404, want: msg("Exchange 'NCII' not found")},
		{name: "no status", method: "GET", path: "/c/exchange/NCII/status", code: 404, want: msg("Exchange 'NCII' not found")},
		{name: "bank gone", method: "GET", path: "/c/banks", code: 200, want: []any{}},
		{name: "no more matches", method: "GET", path: "/m/lookup?signal_type=pdq&signal=" + pdq1, code: 200, want: map[string]any{}},
		{name: "none left", method: "GET", path: "/c/exchanges", code: 200, want: []any{}},
	}, vars{})
	if _, err := db.FeedState("stopncii", ""); err == nil {
		t.Error("the deleted exchange's checkpoint is still stored")
	}
	if b, err := os.ReadFile(credPath); err != nil || strings.Contains(string(b), "secret") {
		t.Errorf("credentials file after clearing: %q, %v", b, err)
	}
}

// TestExchangeRoutes checks the exchange routes' answers and errors as
// HMA gives them, shape by shape, and the config's bytes as pytx writes
// them.
func TestExchangeRoutes(t *testing.T) {
	db, ts, secret := hmaServer(t, config{})
	field := func(name, typ string, req bool) map[string]any {
		return map[string]any{"name": name, "type": typ, "required": req, "default": anything, "help": anyString{}, "choices": anything}
	}
	steps := []hmaStep{
		{name: "apis", method: "GET", path: "/c/exchanges/apis", code: 200, want: []any{"fb_threatexchange", "ncmec", "stop_ncii", "tat"}},
		{name: "none", method: "GET", path: "/c/exchanges", code: 200, want: []any{}},
		{name: "schema", method: "GET", path: "/c/exchanges/api/fb_threatexchange/schema", code: 200, want: map[string]any{
			"config_schema":      map[string]any{"fields": []any{field("privacy_group", "number", true)}},
			"credentials_schema": map[string]any{"fields": []any{field("api_token", "string", true)}}}},
		{name: "schema of no fields", method: "GET", path: "/c/exchanges/api/tat/schema", code: 200, want: map[string]any{
			"config_schema":      map[string]any{"fields": []any{}},
			"credentials_schema": map[string]any{"fields": []any{field("username", "string", true), field("password", "string", true)}}}},
		{name: "schema of no api", method: "GET", path: "/c/exchanges/api/nope/schema", code: 404, want: msg("Exchange API 'nope' not found")},
		{name: "no such api", method: "GET", path: "/c/exchanges/api/nope", code: 400, want: msg("no such Exchange API 'nope'")},
		{name: "credentials not an object", method: "POST", path: "/c/exchanges/api/ncmec", json: `[1]`, code: 400,
			want: msg("this endpoint expects a json object payload")},
		{name: "credentials missing a field", method: "POST", path: "/c/exchanges/api/ncmec", json: `{"credential_json": {"user": "u-secret"}}`, code: 400,
			want: msg(`Failed to parse ` + "`credential_json`" + ` - missing value for field "password"`)},
		{name: "no bank", method: "POST", path: "/c/exchanges", json: `{"api": "tat"}`, code: 400, want: msg("bank is required")},
		{name: "bad bank", method: "POST", path: "/c/exchanges", json: `{"bank": "te-bank", "api": "tat"}`, code: 400,
			want: msg("Field `bank` must match /^[A-Z0-9_]+$/")},
		{name: "api_json not an object", method: "POST", path: "/c/exchanges", json: `{"bank": "TE", "api": "fb_threatexchange", "api_json": 3}`, code: 400,
			want: msg("Field `api_json` must be object")},
		{name: "no api", method: "POST", path: "/c/exchanges", json: `{"bank": "TE"}`, code: 400, want: msg("Field `api_type` is required")},
		{name: "no such api", method: "POST", path: "/c/exchanges", json: `{"bank": "TE", "api": "gifct"}`, code: 400, want: msg("No such exchange type 'gifct'")},
		{name: "config missing a field", method: "POST", path: "/c/exchanges", json: `{"bank": "TE", "api": "fb_threatexchange", "api_json": {}}`, code: 400,
			want: msg("Failed to parse `api_json` - missing value for field \"privacy_group\"")},
		{name: "config of the wrong type", method: "POST", path: "/c/exchanges", json: `{"bank": "TE", "api": "fb_threatexchange", "api_json": {"privacy_group": "x"}}`,
			code: 400, want: msg(prefix("Failed to parse `api_json` - wrong value type for field \"privacy_group\""))},
		{name: "no such environment", method: "POST", path: "/c/exchanges", json: `{"bank": "NC", "api": "ncmec", "api_json": {"environment": "https://example.invalid"}}`,
			code: 400, want: msg(prefix("Failed to parse `api_json` - \"https://example.invalid\" is not a valid NCMECEnvironment"))},
		{name: "a bank name HMA's banks refuse", method: "POST", path: "/c/exchanges", json: `{"bank": "1TE", "api": "tat"}`, code: 400,
			want: msg("Bank names must be UPPER_WITH_UNDERSCORE")},
		{name: "create", method: "POST", path: "/c/exchanges", json: `{"bank": "TE", "api": "fb_threatexchange", "api_json": {"privacy_group": 12345}}`,
			code: 201, want: msg("Created successfully")},
		{name: "create again", method: "POST", path: "/c/exchanges", json: `{"bank": "TE", "api": "tat"}`, code: 403, want: msg("Bank already exists")},
		{name: "same feed", method: "POST", path: "/c/exchanges", json: `{"bank": "TE2", "api": "fb_threatexchange", "api_json": {"privacy_group": 12345}}`,
			code: 400, want: msg(prefix("exchange 'TE' already follows fb_threatexchange 12345"))},
		{name: "an existing bank", method: "POST", path: "/c/banks", json: `{"name": "LOCAL"}`, code: 201, want: anything},
		{name: "create over a bank", method: "POST", path: "/c/exchanges", json: `{"bank": "LOCAL", "api": "tat"}`, code: 403, want: msg("Bank already exists")},
		{name: "ncmec", method: "POST", path: "/c/exchanges", json: `{"bank": "NC", "api": "ncmec", "api_json": {"environment": "https://hashsharing.ncmec.org/npo", "only_esp_ids": []}}`,
			code: 201, want: msg("Created successfully")},
		{name: "list", method: "GET", path: "/c/exchanges", code: 200, want: []any{"NC", "TE"}},
		{name: "status before a fetch", method: "GET", path: "/c/exchange/TE/status", code: 200, want: map[string]any{
			"checkpoint_ts": nil, "running_fetch_start_ts": nil, "last_fetch_complete_ts": nil, "last_fetch_succeeded": nil,
			"up_to_date": false, "fetched_items": 0}},
		{name: "missing", method: "GET", path: "/c/exchange/NOPE", code: 404, want: msg("Exchange 'NOPE' not found")},
		{name: "put missing", method: "PUT", path: "/c/exchange/NOPE", json: `{"enabled": false}`, code: 404, want: msg("Exchange 'NOPE' not found")},
		{name: "put not a bool", method: "PUT", path: "/c/exchange/TE", json: `{"enabled": 3}`, code: 400, want: msg("enabled must be a boolean")},
		{name: "rename its bank", method: "PUT", path: "/c/bank/TE", json: `{"name": "TE_RENAMED"}`, code: 400, want: msg(prefix("bank 'TE' is the exchange"))},
		{name: "delete missing", method: "DELETE", path: "/c/exchange/NOPE", code: 200, want: msg("Exchange deleted")},
	}
	runSteps(t, ts.URL, secret, steps, vars{})

	for _, tc := range []struct{ name, want string }{
		{"TE", "{\n  \"privacy_group\": 12345,\n  \"name\": \"TE\",\n  \"api\": \"fb_threatexchange\",\n  \"enabled\": true\n}"},
		{"NC", "{\n  \"environment\": \"https://hashsharing.ncmec.org/npo\",\n  \"name\": \"NC\",\n  \"api\": \"ncmec\",\n  \"enabled\": true,\n  \"only_esp_ids\": []\n}"},
	} {
		code, body, h := doAs(t, secret, "GET", ts.URL+"/c/exchange/"+tc.name, "", nil)
		if code != 200 || string(body) != tc.want || h.Get("Content-Type") != "application/json" {
			t.Errorf("GET /c/exchange/%s: %d %s %q, want pytx's dataclass_dumps %q", tc.name, code, h.Get("Content-Type"), body, tc.want)
		}
	}
	// Two sources for two feeds of one API: a full fetch of one retracts
	// what its source no longer lists, which must not be the other's.
	x := loadedExchanges(t, db)
	if x["TE"].Source != "threatexchange" || x["NC"].Source != "ncmec" {
		t.Errorf("sources %q, %q; want the APIs' names", x["TE"].Source, x["NC"].Source)
	}
}

func loadedExchanges(t *testing.T, db *hashdb.DB) map[string]*exchange {
	t.Helper()
	x, err := loadExchanges(db)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestExchangeSources checks that a second exchange of one API files its
// items under a source of its own.
func TestExchangeSources(t *testing.T) {
	db := openDB(t, "acme")
	x := newExchanges(db, exchangeOptions{}, slog.New(slog.DiscardHandler), time.Now)
	ctx := context.Background()
	for i, e := range []*exchange{
		{Name: "TE_ONE", API: "fb_threatexchange", PrivacyGroup: 1},
		{Name: "TE_TWO", API: "fb_threatexchange", PrivacyGroup: 2},
	} {
		if err := x.create(ctx, e); err != nil {
			t.Fatalf("exchange %d: %v", i, err)
		}
	}
	got := loadedExchanges(t, db)
	if got["TE_ONE"].Source != "threatexchange" || got["TE_TWO"].Source != "threatexchange-te_two" {
		t.Errorf("sources %q, %q", got["TE_ONE"].Source, got["TE_TWO"].Source)
	}
	if b, ok := x.bankOfSource("threatexchange-te_two"); !ok || b != "TE_TWO" {
		t.Errorf("bankOfSource = %q, %v", b, ok)
	}
}

// TestCredentialsFileMode checks that a credentials file others may read
// is refused, naming the fix.
func TestCredentialsFileMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "creds")
	if err := os.WriteFile(p, []byte(`{"tat": {"username": "u", "password": "p"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := openCredentials(p); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a 0644 credentials file: %v, want a refusal", err)
	}
	os.Chmod(p, 0o600)
	c, err := openCredentials(p)
	if err != nil || c.get("tat")["username"] != "u" {
		t.Fatalf("a 0600 credentials file: %v, %v", c, err)
	}
	if err := os.WriteFile(p, []byte(`{"tat": "secret-text"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := openCredentials(p); err == nil || strings.Contains(err.Error(), "secret-text") {
		t.Fatalf("a malformed credentials file: %v, want an error without its text", err)
	}
}

func TestCheckpointTime(t *testing.T) {
	for _, tc := range []struct {
		cp   string
		want string
	}{
		{"", "<nil>"}, {"1700000000", "1700000000"}, {"1700000000,42", "1700000000"},
		{"2023-11-14T22:13:20Z", "1700000000"}, {"not a time", "<nil>"},
	} {
		got := "<nil>"
		if p := checkpointTime(tc.cp); p != nil {
			got = fmt.Sprint(*p)
		}
		if got != tc.want {
			t.Errorf("checkpointTime(%q) = %s, want %s", tc.cp, got, tc.want)
		}
	}
}

// anything accepts any JSON value.
var anything = check(func(any) error { return nil })

// TestExchangeBankMembership checks who is matched under an exchange's
// bank: its own source's items labelled with it, not another source's
// that carries the label, nor its items under another bank's label.
func TestExchangeBankMembership(t *testing.T) {
	db, ts, secret := hmaServer(t, config{})
	ctx := context.Background()
	runSteps(t, ts.URL, secret, []hmaStep{
		{name: "create", method: "POST", path: "/c/exchanges", json: `{"bank": "TCAP_BANK", "api": "tat"}`, code: 201, want: msg("Created successfully")},
		{name: "another bank", method: "POST", path: "/c/banks", json: `{"name": "OTHER"}`, code: 201, want: anything},
	}, vars{})
	sig := func(h string) signal.Signal {
		s, err := signal.ParseHex(signal.PDQ, h)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	own, spoof, other := strings.Repeat("c0de", 16), strings.Repeat("f00d", 16), strings.Repeat("beef", 16)
	items := []hashdb.Item{
		{Key: hashdb.Key{Source: "tcap", ID: "a"}, Signals: []signal.Signal{sig(own)}, Labels: []string{"bank:tcap_bank"}, TLP: tlp.Amber},
		{Key: hashdb.Key{Source: "partner", ID: "b"}, Signals: []signal.Signal{sig(spoof)}, Labels: []string{"bank:tcap_bank"}, TLP: tlp.Amber},
		{Key: hashdb.Key{Source: "tcap", ID: "c"}, Signals: []signal.Signal{sig(other)}, Labels: []string{"bank:other"}, TLP: tlp.Amber},
	}
	if err := db.PutForeign(ctx, "test", items...); err != nil {
		t.Fatal(err)
	}
	runSteps(t, ts.URL, secret, []hmaStep{
		{name: "the exchange's item", method: "GET", path: "/m/lookup?signal_type=pdq&signal=" + own, code: 200,
			want: map[string]any{"TCAP_BANK": []any{map[string]any{"bank_content_id": anyInt{}, "distance": "0"}}}},
		{name: "another source's, labelled", method: "GET", path: "/m/lookup?signal_type=pdq&signal=" + spoof, code: 200, want: map[string]any{}},
		{name: "the exchange's, labelled for another bank", method: "GET", path: "/m/lookup?signal_type=pdq&signal=" + other, code: 200, want: map[string]any{}},
	}, vars{})
}

// TestExchangeShutdown checks that the status shows a fetch in progress
// and that ending the schedule's context stops that fetch promptly.
func TestExchangeShutdown(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(entered) })
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer api.Close()
	defer close(release)
	db := openDB(t, "acme")
	cfg := config{Exchanges: exchangeOptions{Interval: time.Hour, BaseURLs: map[string]string{"tat": api.URL},
		Transport: feeds.Transport{Retries: -1}}}
	base, secret, stop := exchangeServer(t, db, cfg)
	runSteps(t, base, secret, []hmaStep{
		{name: "create", method: "POST", path: "/c/exchanges", json: `{"bank": "TCAP_BANK", "api": "tat"}`, code: 201, want: msg("Created successfully")},
		{name: "credentials", method: "POST", path: "/c/exchanges/api/tat", json: `{"credential_json": {"username": "u", "password": "p"}}`, code: 200, want: anything},
	}, vars{})
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the exchange was not fetched when created")
	}
	if st := statusOfExchange(t, base, secret, "TCAP_BANK"); st.RunningFetchStartTS == nil {
		t.Errorf("status during a fetch: %+v, want running_fetch_start_ts", st)
	}
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("the schedule did not stop with its context")
	}
}

// TestRunExchangeFlags checks the exchange flags' refusals at start-up.
func TestRunExchangeFlags(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "x.db")
	if err := os.WriteFile(db+".credentials", []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-exchange-base-url", "gifct=https://example.invalid"}, "-exchange-base-url"},
		{[]string{"-exchange-base-url", "tat"}, "-exchange-base-url"},
		{[]string{"-exchange-ca", db + ".credentials"}, "no PEM certificate"},
		{nil, "chmod 600"},
	} {
		args := append([]string{"-addr", "127.0.0.1:0", "-db", db}, tc.args...)
		if err := run(context.Background(), args, io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run %q: %v, want an error about %s", tc.args, err, tc.want)
		}
	}
}

// TestExchangeFetchTime checks that a fetch cut short by its time goes on
// in the next round at once, not an interval later, until it is done.
func TestExchangeFetchTime(t *testing.T) {
	fake := &fakeStopNCII{functionKey: "fk", subscriptionKey: "sk", pageSize: 1, delay: 40 * time.Millisecond}
	for i := range 8 {
		fake.add(fakeNCIIRecord{1700000000 + int64(i), "ImagePDQ", flipBits(strings.Repeat("c0de", 16), i+1), "Active"})
	}
	api := httptest.NewServer(fake)
	defer api.Close()
	db := openDB(t, "acme")
	cfg := config{Exchanges: exchangeOptions{Interval: time.Hour, FetchTime: 100 * time.Millisecond, Transport: feeds.Transport{Retries: -1}}}
	base, secret, _ := exchangeServer(t, db, cfg)
	runSteps(t, base, secret, []hmaStep{
		{name: "create", method: "POST", path: "/c/exchanges", json: `{"bank": "NCII", "api": "stop_ncii"}`, code: 201, want: msg("Created successfully")},
		{name: "credentials", method: "POST", path: "/c/exchanges/api/stop_ncii", code: 200, want: anything,
			json: `{"credential_json": {"fetch_function_key": "fk", "subscription_key": "sk", "base_url_override": "` + api.URL + `"}}`},
	}, vars{})
	waitFor(t, "every page, over several rounds", func() bool {
		st := statusOfExchange(t, base, secret, "NCII")
		return st.FetchedItems == 8 && st.UpToDate
	})
	if n := len(fake.requests()); n < 8 {
		t.Errorf("%d requests for 8 pages", n)
	}
}
