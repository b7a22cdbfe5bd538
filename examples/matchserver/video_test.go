package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hashshare/hashshare/hashdb/vpdq"
	"github.com/hashshare/hashshare/internal/testenv"
)

// videoClips makes a short clip and a re-encode of it (smaller, lossier,
// another container) with ffmpeg, and returns their bytes.
func videoClips(t *testing.T) (orig, reenc []byte) {
	t.Helper()
	ffmpeg, _ := testenv.FFmpeg(t)
	dir := t.TempDir()
	o, r := filepath.Join(dir, "orig.mp4"), filepath.Join(dir, "reenc.mkv")
	for _, args := range [][]string{
		{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=6", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", o},
		{"-i", o, "-vf", "scale=256:192", "-c:v", "libx264", "-crf", "35", "-preset", "ultrafast", r},
	} {
		if out, err := exec.Command(ffmpeg, append([]string{"-nostdin", "-loglevel", "error", "-y"}, args...)...).CombinedOutput(); err != nil {
			t.Skipf("ffmpeg cannot make the clips (%v): %s", err, out)
		}
	}
	var err error
	if orig, err = os.ReadFile(o); err != nil {
		t.Fatal(err)
	}
	if reenc, err = os.ReadFile(r); err != nil {
		t.Fatal(err)
	}
	return orig, reenc
}

// hmaPercents matches a vpdq lookup's distance, pytx's pretty_str.
var hmaPercents = regexp.MustCompile(`^(\d+)%\[(\d+)%\]$`)

// matchingDistance accepts a vpdq distance whose both percentages reach
// 80: a re-encode keeps nearly every frame.
func matchingDistance(v any) error {
	s, _ := v.(string)
	m := hmaPercents.FindStringSubmatch(s)
	if m == nil {
		return fmt.Errorf("distance %v is not pytx's %%.0f%%%%[%%.0f%%%%] form", v)
	}
	for _, p := range m[1:] {
		if n, _ := strconv.Atoi(p); n < 80 {
			return fmt.Errorf("distance %s: a percentage under 80", s)
		}
	}
	return nil
}

// isVPDQ accepts pytx's vpdq string form of a hash with frames.
func isVPDQ(v any) error {
	s, _ := v.(string)
	h, err := vpdq.ParsePyTX(s)
	if err != nil {
		return err
	}
	if len(h.Features) == 0 || h.PyTX() != s {
		return fmt.Errorf("%q: %d frames, or not written as pytx writes it", s, len(h.Features))
	}
	return nil
}

// atLeast80 accepts a JSON number from 80 to 100.
func atLeast80(v any) error {
	n, ok := v.(json.Number)
	f, err := n.Float64()
	if !ok || err != nil || f < 80 || f > 100 {
		return fmt.Errorf("%v is not a percentage from 80 to 100", v)
	}
	return nil
}

// TestHMAVideo banks a video by media and finds a re-encode of it through
// every HMA route that takes vpdq, over a loopback listener. The server's
// MaxBody is below the clip's size: only -max-video-body lets it in.
func TestHMAVideo(t *testing.T) {
	orig, reenc := videoClips(t)
	_, ts, secret := hmaServer(t, config{MaxBody: int64(len(orig) / 4), MaxVideoBody: 4 * int64(len(orig)+len(reenc))})

	// The re-encode's vpdq, as /h/hash gives it, for the GET lookups.
	ct, body := multipartOf(t, []formFile{{"video", reenc}}, nil)
	code, got, _ := doAs(t, secret, "POST", ts.URL+"/h/hash", ct, body)
	var hashed map[string]string
	if err := json.Unmarshal(got, &hashed); code != 200 || err != nil {
		t.Fatalf("POST /h/hash of the re-encode: %d %s (%v)", code, got, err)
	}
	query := hashed["vpdq"]
	if err := isVPDQ(query); err != nil || len(hashed) != 2 || len(hashed["video_md5"]) != 32 {
		t.Fatalf("POST /h/hash of a video: %s (%v)", got, err)
	}
	q := url.QueryEscape(query)
	hit := map[string]any{"bank_content_id": ref("v"), "distance": check(matchingDistance)}

	steps := []hmaStep{
		{name: "create bank", method: "POST", path: "/c/banks", json: `{"name": "VIDEOS"}`, code: 201, want: map[string]any{"name": "VIDEOS", "matching_enabled_ratio": 1.0}},
		{name: "bank a video", method: "POST", path: "/c/bank/VIDEOS/content", files: []formFile{{"video", orig}}, fields: [][2]string{{"note", "clip"}}, code: 200,
			want: map[string]any{"id": capture("v"), "signals": map[string]any{"video_md5": anyString{}, "vpdq": check(isVPDQ)}}},
		{name: "its signals", method: "GET", path: "/c/bank/VIDEOS/content/{v}?include_signals=true", code: 200, want: map[string]any{
			"id": ref("v"), "disable_until_ts": 1, "original_media_uri": nil, "note": "clip", "bank": map[string]any{"name": "VIDEOS", "matching_enabled_ratio": 1.0},
			"signals": map[string]any{"video_md5": anyString{}, "vpdq": check(isVPDQ)}}},
		{name: "hash vpdq only", method: "POST", path: "/h/hash?types=vpdq", files: []formFile{{"video", reenc}}, code: 200, want: map[string]any{"vpdq": query}},
		{name: "lookup the re-encode", method: "POST", path: "/m/lookup", files: []formFile{{"video", reenc}}, code: 200, want: map[string]any{
			"video_md5": map[string]any{}, "vpdq": map[string]any{"VIDEOS": []any{hit}}}},
		{name: "lookup by vpdq", method: "GET", path: "/m/lookup?signal_type=vpdq&signal=" + q, code: 200, want: map[string]any{"VIDEOS": []any{hit}}},
		{name: "lookup other banks", method: "GET", path: "/m/lookup?signal_type=vpdq&banks=NONE&signal=" + q, code: 200, want: map[string]any{}},
		{name: "raw lookup", method: "GET", path: "/m/raw_lookup?signal_type=vpdq&signal=" + q, code: 200, want: map[string]any{"matches": []any{ref("v")}}},
		{name: "raw lookup, distances", method: "GET", path: "/m/raw_lookup?include_distance=true&signal_type=vpdq&signal=" + q, code: 200,
			want: map[string]any{"matches": []any{hit}}},
		{name: "lookup bad vpdq", method: "GET", path: "/m/lookup?signal_type=vpdq&signal=" + url.QueryEscape(`["c0de,100,0.0"]`), code: 400, want: msg(prefix("invalid signal: "))},
		{name: "lookup empty vpdq", method: "GET", path: "/m/lookup?signal_type=vpdq&signal=%5B%5D", code: 400, want: msg(prefix("invalid signal: "))},

		// Disabled content is out of lookups, not raw lookups.
		{name: "disable", method: "PUT", path: "/c/bank/VIDEOS/content/{v}", json: `{"disable_until_ts": 0}`, code: 200, want: check(func(any) error { return nil })},
		{name: "disabled: no lookup", method: "GET", path: "/m/lookup?signal_type=vpdq&signal=" + q, code: 200, want: map[string]any{}},
		{name: "disabled: raw lookup", method: "GET", path: "/m/raw_lookup?signal_type=vpdq&signal=" + q, code: 200, want: map[string]any{"matches": []any{ref("v")}}},

		// A vpdq banked as a signal is an item's video.
		{name: "bank a vpdq signal", method: "POST", path: "/c/bank/VIDEOS/signal", json: fmt.Sprintf(`{"vpdq": %q}`, query), code: 200,
			want: map[string]any{"id": capture("s"), "signals": map[string]any{"vpdq": query}}},
		{name: "its vpdq", method: "GET", path: "/c/bank/VIDEOS/content/{s}?include_signals=true", code: 200, want: map[string]any{
			"id": ref("s"), "disable_until_ts": 1, "original_media_uri": nil, "bank": map[string]any{"name": "VIDEOS", "matching_enabled_ratio": 1.0},
			"signals": map[string]any{"vpdq": query}}},
		{name: "found by itself", method: "GET", path: "/m/lookup?signal_type=vpdq&signal=" + q, code: 200, want: map[string]any{
			"VIDEOS": []any{map[string]any{"bank_content_id": ref("s"), "distance": "100%[100%]"}}}},
		{name: "bank a bad vpdq", method: "POST", path: "/c/bank/VIDEOS/signal", json: `{"vpdq": "[1]"}`, code: 400, want: msg(prefix("Invalid vpdq signal: "))},

		{name: "compare bad", method: "POST", path: "/m/compare", json: `{"vpdq": ["[]", "[]"]}`, code: 400, want: msg(prefix("Invalid vpdq hash: "))},
		{name: "signal types", method: "GET", path: "/c/signal_type", code: 200, want: setOf{map[string]any{"name": "vpdq", "enabled_ratio": 1.0},
			map[string]any{"name": "pdq", "enabled_ratio": 1.0}, map[string]any{"name": "video_md5", "enabled_ratio": 1.0},
			map[string]any{"name": "tmk_pdqf", "enabled_ratio": 1.0}}},
	}
	runSteps(t, ts.URL, secret, steps, vars{})

	// /m/compare: the re-encode against the original, as pytx's
	// compare_hash answers.
	ct, body = multipartOf(t, []formFile{{"video", orig}}, nil)
	_, got, _ = doAs(t, secret, "POST", ts.URL+"/h/hash?types=vpdq", ct, body)
	var stored map[string]string
	if err := json.Unmarshal(got, &stored); err != nil {
		t.Fatalf("%v: %s", err, got)
	}
	cmp, _ := json.Marshal(map[string][]string{"vpdq": {query, stored["vpdq"]}})
	other, _ := json.Marshal(map[string][]string{"vpdq": {query, `["` + strings.Repeat("0", 64) + `,100,0.0"]`}})
	truncated := orig[:len(orig)/3]
	runSteps(t, ts.URL, secret, []hmaStep{
		{name: "compare", method: "POST", path: "/m/compare", json: string(cmp), code: 200, want: map[string]any{
			"vpdq": []any{true, map[string]any{"query_match_percent": check(atLeast80), "compared_match_percent": check(atLeast80)}}}},
		{name: "compare another", method: "POST", path: "/m/compare", json: string(other), code: 200, want: map[string]any{
			"vpdq": []any{false, map[string]any{"query_match_percent": 0.0, "compared_match_percent": 0.0}}}},
		// A video that does not decode keeps its video_md5, unless vpdq
		// is asked for by name.
		{name: "hash a truncated video", method: "POST", path: "/h/hash", files: []formFile{{"video", truncated}}, code: 200,
			want: map[string]any{"video_md5": anyString{}}},
		{name: "its vpdq", method: "POST", path: "/h/hash?types=vpdq", files: []formFile{{"video", truncated}}, code: 400,
			want: msg(prefix("media: video does not decode: "))},
	}, vars{})
}

// TestVideoBodyLimits: a video may be as large as MaxVideoBody, anything
// else only MaxBody, on the HMA routes and on /v1.
func TestVideoBodyLimits(t *testing.T) {
	orig, _ := videoClips(t)
	n := int64(len(orig))
	_, ts, secret := hmaServer(t, config{MaxBody: n / 4, MaxVideoBody: n / 2})
	ct, body := multipartOf(t, []formFile{{"video", orig}}, nil)
	for _, c := range []struct{ path, ct string }{{"/h/hash", ct}, {"/v1/hash", "video/mp4"}} {
		b := body
		if c.path == "/v1/hash" {
			b = orig
		}
		if code, got, _ := doAs(t, secret, "POST", ts.URL+c.path, c.ct, b); code != 413 {
			t.Errorf("POST %s of a video over MaxVideoBody: %d %s, want 413", c.path, code, got)
		}
	}
	_, ts, secret = hmaServer(t, config{MaxBody: n / 4, MaxVideoBody: 2 * n})
	png := make([]byte, n/2)
	copy(png, "\x89PNG\r\n\x1a\n")
	if code, got, _ := doAs(t, secret, "POST", ts.URL+"/v1/hash", "image/png", png); code != 413 {
		t.Errorf("POST /v1/hash of an image over MaxBody: %d %s, want 413", code, got)
	}
	ct, body = multipartOf(t, []formFile{{"photo", png}}, nil)
	if code, got, _ := doAs(t, secret, "POST", ts.URL+"/h/hash", ct, body); code != 413 {
		t.Errorf("POST /h/hash of a photo over MaxBody: %d %s, want 413", code, got)
	}
	if code, got, _ := doAs(t, secret, "POST", ts.URL+"/v1/hash", "video/mp4", orig); code != 200 {
		t.Errorf("POST /v1/hash of a video over MaxBody, under MaxVideoBody: %d %s, want 200", code, got)
	}
}

// TestV1Video hashes and matches video bodies on /v1: raw, labelled as
// curl labels --data-binary, and multipart.
func TestV1Video(t *testing.T) {
	orig, reenc := videoClips(t)
	db, ts, secret := hmaServer(t, config{})
	ct, body := multipartOf(t, []formFile{{"video", orig}}, nil)
	if code, got, _ := doAs(t, secret, "POST", ts.URL+"/c/bank/VIDEOS/content", ct, body); code != 404 {
		t.Fatalf("banking into no bank: %d %s", code, got)
	}
	runSteps(t, ts.URL, secret, []hmaStep{
		{name: "create bank", method: "POST", path: "/c/banks", json: `{"name": "VIDEOS"}`, code: 201, want: check(func(any) error { return nil })},
		{name: "bank a video", method: "POST", path: "/c/bank/VIDEOS/content", files: []formFile{{"video", orig}}, code: 200, want: check(func(any) error { return nil })},
	}, vars{})

	// POST /v1/hash: media.JSON with the vpdq and what was decoded.
	ct, body = multipartBody(t, "file", reenc)
	code, got, _ := doAs(t, secret, "POST", ts.URL+"/v1/hash", ct, body)
	var h struct {
		VPDQ  string `json:"vpdq"`
		MD5   string `json:"md5"`
		Video *struct {
			Frames int     `json:"frames"`
			FPS    float64 `json:"fps"`
			Width  int     `json:"width"`
		} `json:"video"`
	}
	if err := json.Unmarshal(got, &h); code != 200 || err != nil || isVPDQ(h.VPDQ) != nil || h.MD5 == "" || h.Video == nil || h.Video.Frames == 0 || h.Video.FPS != 25 || h.Video.Width != 256 {
		t.Fatalf("POST /v1/hash of a video: %d %s (%v)", code, got, err)
	}

	type videoMatch struct {
		QueryPercent    float64 `json:"query_match_percent"`
		ComparedPercent float64 `json:"compared_match_percent"`
		Items           []struct {
			Source string   `json:"source"`
			Labels []string `json:"labels"`
		} `json:"items"`
	}
	var reply struct {
		Hashes *struct {
			VPDQ string `json:"vpdq"`
		} `json:"hashes"`
		Results []struct {
			Query        string       `json:"query"`
			VideoMatches []videoMatch `json:"video_matches"`
		} `json:"results"`
	}
	mpCT, mp := multipartBody(t, "file", reenc)
	for _, c := range []struct {
		what, ct string
		body     []byte
	}{
		{"raw", "video/x-matroska", reenc},
		{"curl --data-binary", "application/x-www-form-urlencoded", reenc},
		{"multipart", mpCT, mp},
	} {
		code, got, _ := doAs(t, secret, "POST", ts.URL+"/v1/match", c.ct, c.body)
		reply.Hashes, reply.Results = nil, nil
		if err := json.Unmarshal(got, &reply); code != 200 || err != nil || reply.Hashes == nil || reply.Hashes.VPDQ != h.VPDQ {
			t.Errorf("%s: POST /v1/match: %d %s (%v)", c.what, code, got, err)
			continue
		}
		var found *videoMatch
		for _, r := range reply.Results {
			if r.Query == "vpdq" && len(r.VideoMatches) == 1 {
				found = &r.VideoMatches[0]
			}
		}
		if found == nil || found.QueryPercent < 80 || found.ComparedPercent < 80 || found.Items[0].Source != db.Organization() {
			t.Errorf("%s: POST /v1/match: no video match of the re-encode: %s", c.what, got)
		}
	}
}
