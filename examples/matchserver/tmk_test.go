package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/hashdb/tmk"
	"github.com/hashshare/hashshare/internal/testenv"
)

// testTMK builds a TMK+PDQF hash of pseudo-random frames, the same for
// the same seed: a valid value for tests that need no video.
func testTMK(seed uint64) *tmk.Hash {
	r := rand.New(rand.NewPCG(seed, 1))
	b := tmk.NewBuilder()
	var f [tmk.Dim]float32
	for range 30 {
		for i := range f {
			f[i] = float32(r.NormFloat64())
		}
		b.Add(&f)
	}
	return b.Hash()
}

// refTMK returns the string form of a shared reference hash,
// testdata/tmk/<dir>/<name>.tmk.
func refTMK(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.Dir(t, "tmk/"+dir), name+".tmk"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := tmk.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// sharedVideo returns the bytes of testdata/vpdq/videos/<name>.mp4,
// skipping without ffmpeg (failing under CI).
func sharedVideo(t *testing.T, name string) []byte {
	t.Helper()
	testenv.FFmpeg(t)
	b, err := os.ReadFile(filepath.Join(testenv.Dir(t, "vpdq/videos"), name+".mp4"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameTMK accepts the string want, and says only how long a wrong one is
// (a TMK+PDQF value is 351,125 characters).
func sameTMK(want string) check {
	return func(v any) error {
		if s, _ := v.(string); s != want {
			return fmt.Errorf("a value of %d characters starting %.20q, not the %d-character one wanted", len(s), s, len(want))
		}
		return nil
	}
}

// scoresAtLeast accepts a tmk_pdqf lookup's distance, "level1/level2",
// whose both scores reach min.
func scoresAtLeast(min float64) check {
	return func(v any) error {
		s, _ := v.(string)
		l1, l2, ok := strings.Cut(s, "/")
		a, err1 := strconv.ParseFloat(l1, 64)
		b, err2 := strconv.ParseFloat(l2, 64)
		if !ok || err1 != nil || err2 != nil || len(l1) != len(fmt.Sprintf("%.6f", a)) {
			return fmt.Errorf("distance %v is not level1/level2 as %%.6f/%%.6f", v)
		}
		if a < min || b < min {
			return fmt.Errorf("distance %s: a score under %v", s, min)
		}
		return nil
	}
}

// near accepts a JSON float within 1e-6 of want, written as Python
// writes floats.
func near(want float64) check {
	return func(v any) error {
		n, ok := v.(json.Number)
		f, err := n.Float64()
		if !ok || err != nil || math.Abs(f-want) > 1e-6 || !strings.ContainsAny(n.String(), ".eE") {
			return fmt.Errorf("%v is not a float near %v", v, want)
		}
		return nil
	}
}

// mentions accepts a string holding sub.
func mentions(sub string) check {
	return func(v any) error {
		if s, _ := v.(string); !strings.Contains(s, sub) {
			return fmt.Errorf("%q does not mention %q", v, sub)
		}
		return nil
	}
}

// otherParameters is a TMK+PDQF value whose header is well formed but
// whose periods are not the reference's.
func otherParameters() string {
	h := testTMK(9)
	h.Periods[0]++
	return h.String()
}

// TestTMKValues posts tmk_pdqf values, with no video to decode: banked as
// a signal they match themselves; malformed ones are 400s that say why,
// on every route that takes one.
func TestTMKValues(t *testing.T) {
	_, ts, secret := hmaServer(t, config{})
	a, b := testTMK(1).String(), testTMK(2).String()
	qa := url.QueryEscape(a)
	bad := "TMK1FVECPDQF|AAAA"
	runSteps(t, ts.URL, secret, []hmaStep{
		{name: "create bank", method: "POST", path: "/c/banks", json: `{"name": "VIDEOS"}`, code: 201, want: check(func(any) error { return nil })},
		{name: "bank a tmk_pdqf", method: "POST", path: "/c/bank/VIDEOS/signal", json: fmt.Sprintf(`{"tmk_pdqf": %q, "note": "n"}`, a), code: 200,
			want: map[string]any{"id": capture("a"), "signals": map[string]any{"tmk_pdqf": sameTMK(a)}}},
		{name: "its signals", method: "GET", path: "/c/bank/VIDEOS/content/{a}?include_signals=true", code: 200, want: map[string]any{
			"id": ref("a"), "disable_until_ts": 1, "original_media_uri": nil, "note": "n", "bank": map[string]any{"name": "VIDEOS", "matching_enabled_ratio": 1.0},
			"signals": map[string]any{"tmk_pdqf": sameTMK(a)}}},
		{name: "lookup itself", method: "GET", path: "/m/lookup?signal_type=tmk_pdqf&signal=" + qa, code: 200,
			want: map[string]any{"VIDEOS": []any{map[string]any{"bank_content_id": ref("a"), "distance": scoresAtLeast(0.999)}}}},
		{name: "raw lookup", method: "GET", path: "/m/raw_lookup?signal_type=tmk_pdqf&signal=" + qa, code: 200, want: map[string]any{"matches": []any{ref("a")}}},
		{name: "lookup another", method: "GET", path: "/m/lookup?signal_type=tmk_pdqf&signal=" + url.QueryEscape(b), code: 200, want: map[string]any{}},
		{name: "compare", method: "POST", path: "/m/compare", json: fmt.Sprintf(`{"tmk_pdqf": [%q, %q]}`, a, a), code: 200,
			want: map[string]any{"tmk_pdqf": []any{true, map[string]any{"level1": near(1), "level2": near(1)}}}},

		{name: "lookup bad", method: "GET", path: "/m/lookup?signal_type=tmk_pdqf&signal=" + url.QueryEscape(bad), code: 400,
			want: msg("invalid signal: invalid tmk hash: string of 17 characters, want 351125")},
		{name: "lookup unescaped", method: "GET", path: "/m/lookup?signal_type=tmk_pdqf&signal=" + strings.ReplaceAll(qa, "%2B", "+"), code: 400,
			want: msg(mentions("sent unescaped in a URL"))},
		{name: "raw lookup bad", method: "GET", path: "/m/raw_lookup?signal_type=tmk_pdqf&signal=nope", code: 400,
			want: msg(`invalid signal: invalid tmk hash: string starts "nope", want "TMK1FVECPDQF|"`)},
		{name: "bank bad", method: "POST", path: "/c/bank/VIDEOS/signal", json: `{"tmk_pdqf": "` + bad + `"}`, code: 400,
			want: msg(prefix("Invalid tmk_pdqf signal: invalid tmk hash: "))},
		{name: "bank other parameters", method: "POST", path: "/c/bank/VIDEOS/signal", json: `{"tmk_pdqf": "` + otherParameters() + `"}`, code: 400,
			want: msg(mentions("other periods or Fourier coefficients than the reference's"))},
		{name: "compare bad", method: "POST", path: "/m/compare", json: fmt.Sprintf(`{"tmk_pdqf": [%q, %q]}`, a, bad), code: 400,
			want: msg(prefix("Invalid tmk_pdqf hash: invalid tmk hash: "))},
	}, vars{})

	for _, c := range []struct {
		what, body string
		code       int
		msg        string
	}{
		{"bad", `{"tmk_pdqf": ["` + bad + `"]}`, 400, "tmk_pdqf[0]: invalid tmk hash: string of 17 characters"},
		{"second bad", `{"tmk_pdqf": ["` + a + `", "x"]}`, 400, "tmk_pdqf[1]: invalid tmk hash: "},
		{"other parameters", `{"tmk_pdqf": ["` + otherParameters() + `"]}`, 400, "tmk_pdqf[0]: invalid tmk hash: a TMK+PDQF hash with other periods"},
		{"not a list", `{"tmk_pdqf": "` + a + `"}`, 400, "JSON body"},
		{"bad vpdq", `{"vpdq": ["[\"xyz,100,0.0\"]"]}`, 400, "vpdq[0]: "},
		{"vpdq of no frames", `{"vpdq": ["[]"]}`, 400, "vpdq[0]: "},
		{"tmk threshold over 1", `{"tmk_pdqf": ["` + a + `"], "tmk_thresholds": {"level1": 2}}`, 400, "tmk_thresholds: "},
	} {
		code, got, _ := doAs(t, secret, "POST", ts.URL+"/v1/match", "application/json", []byte(c.body))
		wantError(t, "POST /v1/match "+c.what, code, got, c.code, c.msg)
	}
	code, got, _ := doAs(t, secret, "POST", ts.URL+"/v1/hash?tmk=yes", "video/mp4", []byte("\x00\x00\x00\x18ftypmp42"))
	wantError(t, "POST /v1/hash?tmk=yes", code, got, 400, `tmk="yes": want true or false`)
	code, got, _ = doAs(t, secret, "POST", ts.URL+"/v1/match?tmk=2", "video/mp4", []byte("\x00\x00\x00\x18ftypmp42"))
	wantError(t, "POST /v1/match?tmk=2", code, got, 400, `tmk="2": want true or false`)

	// A posted value matches through /v1 as the CLI prints it, beside
	// signals, one result each, in order.
	var reply struct {
		Results []struct {
			Query      string `json:"query"`
			TMKMatches []struct {
				Signal string   `json:"signal"`
				Level1 *float64 `json:"level1"`
				Level2 *float64 `json:"level2"`
				Items  []struct {
					Source, ID string
				} `json:"items"`
			} `json:"tmk_matches"`
		} `json:"results"`
	}
	body := fmt.Sprintf(`{"signals": ["md5:%s"], "tmk_pdqf": [%q, %q]}`, strings.Repeat("0", 32), a, b)
	code, got, _ = doAs(t, secret, "POST", ts.URL+"/v1/match", "application/json", []byte(body))
	if err := json.Unmarshal(got, &reply); code != 200 || err != nil || len(reply.Results) != 3 {
		t.Fatalf("POST /v1/match of tmk_pdqf values: %d %.500s (%v)", code, got, err)
	}
	r := reply.Results
	if r[0].Query != "md5:"+strings.Repeat("0", 32) || r[1].Query != "tmk_pdqf" || r[2].Query != "tmk_pdqf" || r[2].TMKMatches == nil || len(r[2].TMKMatches) != 0 {
		t.Errorf("POST /v1/match: results %.500s", got)
	}
	if m := r[1].TMKMatches; len(m) != 1 || m[0].Signal != "tmk_pdqf" || m[0].Level1 == nil || *m[0].Level1 < 0.999 || m[0].Level2 == nil || *m[0].Level2 < 0.999 || len(m[0].Items) != 1 || m[0].Items[0].Source != "acme" {
		t.Errorf("POST /v1/match: the banked value's match: %.500s", got)
	}

	// tmk_thresholds apply: at -1 and -1 the other value matches too;
	// a vpdq value matches a banked video, before the tmk_pdqf results.
	v := `["` + strings.Repeat("5a", 32) + `,100,0.0", "` + strings.Repeat("a5", 32) + `,100,1.0"]`
	code, got, _ = doAs(t, secret, "POST", ts.URL+"/c/bank/VIDEOS/signal", "application/json", fmt.Appendf(nil, `{"vpdq": %q}`, v))
	if code != 200 {
		t.Fatalf("banking a vpdq: %d %s", code, got)
	}
	body = fmt.Sprintf(`{"vpdq": [%q], "tmk_pdqf": [%q], "tmk_thresholds": {"level1": -1, "level2": -1}}`, v, b)
	code, got, _ = doAs(t, secret, "POST", ts.URL+"/v1/match", "application/json", []byte(body))
	var both struct {
		Results []struct {
			Query        string            `json:"query"`
			VideoMatches []json.RawMessage `json:"video_matches"`
			TMKMatches   []json.RawMessage `json:"tmk_matches"`
		} `json:"results"`
	}
	if err := json.Unmarshal(got, &both); code != 200 || err != nil || len(both.Results) != 2 {
		t.Fatalf("POST /v1/match of vpdq and tmk_pdqf values: %d %.500s (%v)", code, got, err)
	}
	if r := both.Results; r[0].Query != "vpdq" || len(r[0].VideoMatches) != 1 || r[1].Query != "tmk_pdqf" || len(r[1].TMKMatches) != 1 {
		t.Errorf("POST /v1/match of vpdq and tmk_pdqf at -1/-1: %.700s", got)
	}
}

// TestTMKHMAVideo hashes shared videos through the HMA routes, banks one
// with its tmk_pdqf and finds it again from another encoding of the same
// pattern, by media and by value, with the reference's scores.
func TestTMKHMAVideo(t *testing.T) {
	hd, grey := sharedVideo(t, "pattern-hd-no-bar"), sharedVideo(t, "pattern-sd-grey-bar")
	hdTMK, greyTMK := refTMK(t, "reference-debian", "pattern-hd-no-bar"), refTMK(t, "reference-debian", "pattern-sd-grey-bar")
	longer := refTMK(t, "upstream", "pattern-longer-no-bar")
	chair, sepia := refTMK(t, "reference-debian", "chair-20-sd-bar"), refTMK(t, "upstream", "chair-22-sd-sepia-bar")
	door := refTMK(t, "reference-debian", "doorknob-hd-no-bar")
	_, ts, secret := hmaServer(t, config{})
	lookup := func(v string) string { return "/m/lookup?signal_type=tmk_pdqf&signal=" + url.QueryEscape(v) }
	compare := func(a, b string) string { return fmt.Sprintf(`{"tmk_pdqf": [%q, %q]}`, a, b) }
	bank := map[string]any{"name": "VIDEOS", "matching_enabled_ratio": 1.0}
	hit := func(id string, distance any) map[string]any {
		return map[string]any{"VIDEOS": []any{map[string]any{"bank_content_id": ref(id), "distance": distance}}}
	}
	runSteps(t, ts.URL, secret, []hmaStep{
		{name: "create bank", method: "POST", path: "/c/banks", json: `{"name": "VIDEOS"}`, code: 201, want: bank},
		{name: "hash tmk_pdqf only", method: "POST", path: "/h/hash?types=tmk_pdqf", files: []formFile{{"video", grey}}, code: 200,
			want: map[string]any{"tmk_pdqf": sameTMK(greyTMK)}},
		{name: "hash, default types", method: "POST", path: "/h/hash", files: []formFile{{"video", grey}}, code: 200,
			want: map[string]any{"video_md5": anyString{}, "vpdq": check(isVPDQ)}},
		{name: "bank a video with its tmk_pdqf", method: "POST", path: "/c/bank/VIDEOS/content?types=video_md5,vpdq,tmk_pdqf", files: []formFile{{"video", hd}}, code: 200,
			want: map[string]any{"id": capture("v"), "signals": map[string]any{"video_md5": anyString{}, "vpdq": check(isVPDQ), "tmk_pdqf": sameTMK(hdTMK)}}},
		{name: "its signals", method: "GET", path: "/c/bank/VIDEOS/content/{v}?include_signals=true", code: 200, want: map[string]any{
			"id": ref("v"), "disable_until_ts": 1, "original_media_uri": nil, "bank": bank,
			"signals": map[string]any{"video_md5": anyString{}, "vpdq": check(isVPDQ), "tmk_pdqf": sameTMK(hdTMK)}}},
		{name: "lookup by media", method: "POST", path: "/m/lookup?types=tmk_pdqf", files: []formFile{{"video", grey}}, code: 200,
			want: map[string]any{"tmk_pdqf": hit("v", scoresAtLeast(0.8))}},
		{name: "lookup a longer cut", method: "GET", path: lookup(longer), code: 200, want: hit("v", scoresAtLeast(0.95))},
		{name: "raw lookup, distances", method: "GET", path: "/m/raw_lookup?include_distance=true&signal_type=tmk_pdqf&signal=" + url.QueryEscape(longer), code: 200,
			want: map[string]any{"matches": []any{map[string]any{"bank_content_id": ref("v"), "distance": scoresAtLeast(0.95)}}}},
		{name: "lookup another video", method: "GET", path: lookup(door), code: 200, want: map[string]any{}},

		// A value banked as a signal: the reference's own hash of one
		// video, found from upstream's hash of a sepia re-edit.
		{name: "bank a tmk_pdqf signal", method: "POST", path: "/c/bank/VIDEOS/signal", json: fmt.Sprintf(`{"tmk_pdqf": %q}`, chair), code: 200,
			want: map[string]any{"id": capture("c"), "signals": map[string]any{"tmk_pdqf": sameTMK(chair)}}},
		{name: "lookup the sepia re-edit", method: "GET", path: lookup(sepia), code: 200, want: hit("c", "0.985554/0.988220")},

		{name: "compare", method: "POST", path: "/m/compare", json: compare(chair, sepia), code: 200,
			want: map[string]any{"tmk_pdqf": []any{true, map[string]any{"level1": near(0.985554), "level2": near(0.988220)}}}},
		{name: "compare other videos", method: "POST", path: "/m/compare", json: compare(chair, greyTMK), code: 200,
			want: map[string]any{"tmk_pdqf": []any{false, map[string]any{"level1": near(-0.050602), "level2": 0.0}}}},

		{name: "signal types", method: "GET", path: "/c/signal_type", code: 200, want: []any{
			map[string]any{"name": "pdq", "enabled_ratio": 1.0}, map[string]any{"name": "video_md5", "enabled_ratio": 1.0},
			map[string]any{"name": "vpdq", "enabled_ratio": 1.0}, map[string]any{"name": "tmk_pdqf", "enabled_ratio": 1.0}}},
		{name: "index status", method: "GET", path: "/m/index/status", code: 200, want: map[string]any{
			"pdq":       map[string]any{"present": true, "built_to": anyInt{}, "size": 0},
			"video_md5": map[string]any{"present": true, "built_to": anyInt{}, "size": 1}}},
		{name: "index status of tmk_pdqf", method: "GET", path: "/m/index/status?signal_type=tmk_pdqf", code: 200, want: map[string]any{}},
	}, vars{})
}

// TestTMKV1Video hashes and matches shared videos on /v1: tmk=true gives
// and matches the TMK+PDQF, and a server started with -tmk does so
// unless tmk=false, on /v1 and as an HMA default type.
func TestTMKV1Video(t *testing.T) {
	door, grey := sharedVideo(t, "doorknob-hd-no-bar"), sharedVideo(t, "pattern-sd-grey-bar")
	doorTMK, greyTMK := refTMK(t, "reference-debian", "doorknob-hd-no-bar"), refTMK(t, "reference-debian", "pattern-sd-grey-bar")
	hd, err := tmk.ParseString(refTMK(t, "reference-debian", "pattern-hd-no-bar"))
	if err != nil {
		t.Fatal(err)
	}

	type hashJSON struct {
		VPDQ    string `json:"vpdq"`
		TMKPDQF string `json:"tmk_pdqf"`
	}
	hash := func(t *testing.T, base, secret, query string, video []byte) hashJSON {
		t.Helper()
		code, got, _ := doAs(t, secret, "POST", base+"/v1/hash"+query, "video/mp4", video)
		var h hashJSON
		if err := json.Unmarshal(got, &h); code != 200 || err != nil || isVPDQ(h.VPDQ) != nil {
			t.Fatalf("POST /v1/hash%s: %d %.300s (%v)", query, code, got, err)
		}
		return h
	}

	t.Run("per request", func(t *testing.T) {
		db, ts, secret := hmaServer(t, config{})
		if err := db.Put(t.Context(), hashdb.Item{Key: hashdb.Key{Source: "acme", ID: "pattern"}, TMK: hd, TLP: tlp.Green}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			query string
			want  string
		}{{"?tmk=true", doorTMK}, {"?tmk=1", doorTMK}, {"", ""}} {
			if h := hash(t, ts.URL, secret, c.query, door); h.TMKPDQF != c.want {
				t.Errorf("POST /v1/hash%s: tmk_pdqf of %d characters, want %d", c.query, len(h.TMKPDQF), len(c.want))
			}
		}

		var reply struct {
			Hashes  hashJSON `json:"hashes"`
			Results []struct {
				Query      string          `json:"query"`
				Video      json.RawMessage `json:"video_matches"`
				TMKMatches []struct {
					Level1, Level2 float64
					Items          []struct{ Source, ID string }
				} `json:"tmk_matches"`
			} `json:"results"`
		}
		code, got, _ := doAs(t, secret, "POST", ts.URL+"/v1/match?tmk=true", "video/mp4", grey)
		if err := json.Unmarshal(got, &reply); code != 200 || err != nil || reply.Hashes.TMKPDQF != greyTMK {
			t.Fatalf("POST /v1/match?tmk=true: %d %.500s (%v)", code, got, err)
		}
		var queries []string
		for _, r := range reply.Results {
			queries = append(queries, r.Query)
			if r.Query != "tmk_pdqf" {
				continue
			}
			if len(r.TMKMatches) != 1 || r.TMKMatches[0].Level1 < 0.8 || r.TMKMatches[0].Level2 < 0.8 || r.TMKMatches[0].Items[0].ID != "pattern" {
				t.Errorf("POST /v1/match?tmk=true: tmk_matches %+v", r.TMKMatches)
			}
			t.Logf("pattern-sd-grey-bar against pattern-hd-no-bar: level1 %.6f level2 %.6f", r.TMKMatches[0].Level1, r.TMKMatches[0].Level2)
		}
		if n := len(queries); n < 2 || queries[n-2] != "vpdq" || queries[n-1] != "tmk_pdqf" {
			t.Errorf("POST /v1/match?tmk=true: results for %q, want the vpdq's then the tmk_pdqf's last", queries)
		}
	})

	t.Run("-tmk", func(t *testing.T) {
		_, ts, secret := hmaServer(t, config{TMK: true})
		if h := hash(t, ts.URL, secret, "", door); h.TMKPDQF != doorTMK {
			t.Errorf("-tmk: POST /v1/hash: tmk_pdqf of %d characters, want the reference's", len(h.TMKPDQF))
		}
		if h := hash(t, ts.URL, secret, "?tmk=false", door); h.TMKPDQF != "" {
			t.Errorf("-tmk: POST /v1/hash?tmk=false gave a tmk_pdqf")
		}
		runSteps(t, ts.URL, secret, []hmaStep{
			{name: "-tmk: hash, default types", method: "POST", path: "/h/hash", files: []formFile{{"video", door}}, code: 200,
				want: map[string]any{"video_md5": anyString{}, "vpdq": check(isVPDQ), "tmk_pdqf": sameTMK(doorTMK)}},
			{name: "-tmk: hash vpdq only", method: "POST", path: "/h/hash?types=vpdq", files: []formFile{{"video", door}}, code: 200,
				want: map[string]any{"vpdq": check(isVPDQ)}},
		}, vars{})
	})
}
