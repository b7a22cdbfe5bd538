package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// TestLoad runs 12 clients looking up signals while 4 others write bank
// content, over a loopback listener, for a bounded time. Each writer
// looks up what it just wrote (and, every fourth time, what it just
// deleted): a write must be visible to the very next lookup. It reports
// the latencies' p50 and p99; it asserts none, the machine being shared.
func TestLoad(t *testing.T) {
	const readers, writers, preload = 12, 4, 5000
	dur := 3 * time.Second
	if testing.Short() {
		dur = 500 * time.Millisecond
	}
	db := openDB(t, "acme")
	secret, tok := mustToken(t, "load", "match,curate", "")
	ts := newLoopbackServer(t, newServer(db, config{Tokens: tokens{tok}}))
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	randPDQ := func(r *rand.Rand) string {
		var b [32]byte
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return hex.EncodeToString(b[:])
	}
	if err := db.CreateBank(ctx, hashdb.Bank{Name: "LOAD", MatchRatio: 1}); err != nil {
		t.Fatal(err)
	}
	known := make([]string, preload)
	items := make([]hashdb.Item, preload)
	for i := range known {
		known[i] = randPDQ(rng)
		s, _ := signal.ParseHex(signal.PDQ, known[i])
		items[i] = hashdb.Item{Key: hashdb.Key{ID: fmt.Sprint("load-", i)}, Signals: []signal.Signal{s},
			Labels: []string{hashdb.Bank{Name: "LOAD"}.Label()}, TLP: tlp.Amber}
	}
	if err := db.Put(ctx, items...); err != nil {
		t.Fatal(err)
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: readers + writers}}
	call := func(method, path, body string) (int, []byte, error) {
		req, err := http.NewRequest(method, ts+path, stringsReader(body))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+secret)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		var b []byte
		b, err = readAll(resp)
		return resp.StatusCode, b, err
	}
	// lookup returns the content ids bank bank answers for signal.
	lookup := func(sig, bank string) ([]uint64, error) {
		code, b, err := call("GET", "/m/lookup?signal_type=pdq&signal="+sig, "")
		if err != nil || code != 200 {
			return nil, fmt.Errorf("lookup: %d %s %v", code, b, err)
		}
		var res map[string][]struct {
			ID uint64 `json:"bank_content_id"`
		}
		if err := json.Unmarshal(b, &res); err != nil {
			return nil, err
		}
		var ids []uint64
		for _, m := range res[bank] {
			ids = append(ids, m.ID)
		}
		return ids, nil
	}

	var mu sync.Mutex
	var lookups, writes []time.Duration
	var failures []string
	fail := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 10 {
			failures = append(failures, fmt.Sprintf(format, a...))
		}
	}
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	for r := range readers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 7))
			var mine []time.Duration
			for time.Now().Before(deadline) {
				sig := known[rng.IntN(len(known))]
				start := time.Now()
				ids, err := lookup(sig, "LOAD")
				mine = append(mine, time.Since(start))
				if err != nil || len(ids) == 0 {
					fail("reader %d: %s: %v %v", r, sig, ids, err)
				}
			}
			mu.Lock()
			lookups = append(lookups, mine...)
			mu.Unlock()
		})
	}
	written := make([]int, writers)
	for wr := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(wr), 9))
			bank := fmt.Sprint("WRITER_", wr)
			if code, b, err := call("POST", "/c/banks", `{"name": "`+bank+`"}`); code != 201 {
				fail("writer %d: creating its bank: %d %s %v", wr, code, b, err)
				return
			}
			var mine []time.Duration
			for i := 0; time.Now().Before(deadline); i++ {
				sig := randPDQ(rng)
				start := time.Now()
				code, b, err := call("POST", "/c/bank/"+bank+"/signal", `{"pdq": "`+sig+`"}`)
				mine = append(mine, time.Since(start))
				var added struct{ ID uint64 }
				if err != nil || code != 200 || json.Unmarshal(b, &added) != nil {
					fail("writer %d: add: %d %s %v", wr, code, b, err)
					continue
				}
				written[wr]++
				if ids, err := lookup(sig, bank); err != nil || !slices.Contains(ids, added.ID) {
					fail("writer %d: content %d is not in the next lookup: %v %v", wr, added.ID, ids, err)
				}
				if i%4 != 3 {
					continue
				}
				start = time.Now()
				code, b, err = call("DELETE", fmt.Sprintf("/c/bank/%s/content/%d", bank, added.ID), "")
				mine = append(mine, time.Since(start))
				if err != nil || code != 200 {
					fail("writer %d: delete: %d %s %v", wr, code, b, err)
					continue
				}
				if ids, err := lookup(sig, bank); err != nil || slices.Contains(ids, added.ID) {
					fail("writer %d: deleted content %d is still in the next lookup: %v %v", wr, added.ID, ids, err)
				}
			}
			mu.Lock()
			writes = append(writes, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	total := 0
	for _, n := range written {
		total += n
	}
	if len(lookups) == 0 || total == 0 {
		t.Fatalf("%d lookups, %d writes: nothing ran", len(lookups), total)
	}
	t.Logf("%d clients for %v over %d items: %d lookups p50 %v p99 %v; %d writes (adds and deletes) p50 %v p99 %v; every add seen by the next lookup, every delete gone from it",
		readers+writers, dur, preload, len(lookups), percentile(lookups, 50), percentile(lookups, 99),
		len(writes), percentile(writes, 50), percentile(writes, 99))
}

// percentile returns the p-th percentile of ds.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[i].Round(time.Microsecond)
}
