package main

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashshare/hashshare/hashdb"
)

// This file is an HMA 2.0 client written from HMA's documented request
// and answer shapes (../shared/specs/formats.md §2, from HMA's blueprints
// and tests), not from this server's types: each step is a request and
// the status and JSON shape, key by key, that HMA answers it with.

// A formFile is one file part of a multipart body.
type formFile struct {
	field string
	data  []byte
}

// An hmaStep is one request of the client and what HMA answers.
type hmaStep struct {
	name         string
	method, path string     // the path may name remembered ids: {c1}
	json         string     // a JSON body, or
	files        []formFile // a multipart body's files,
	fields       [][2]string
	code         int
	want         any    // the JSON answer's shape, or
	text         string // a text answer
}

// flipBits returns the hex hash h with its first n bits flipped.
func flipBits(h string, n int) string {
	b, err := hex.DecodeString(h)
	if err != nil {
		panic(err)
	}
	for i := range n {
		b[i/8] ^= 1 << (i % 8)
	}
	return hex.EncodeToString(b)
}

// multipartOf builds a multipart/form-data body.
func multipartOf(t testing.TB, files []formFile, fields [][2]string) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		fw, err := mw.CreateFormFile(f.field, "upload.bin")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(f.data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), b.Bytes()
}

// runSteps sends each step to base with the bearer token secret and
// checks the answers.
func runSteps(t *testing.T, base, secret string, steps []hmaStep, vs vars) {
	t.Helper()
	subst := func(s string) string {
		for k, v := range vs {
			s = strings.ReplaceAll(s, "{"+k+"}", fmt.Sprint(v))
		}
		return s
	}
	for _, st := range steps {
		var body []byte
		ct := ""
		switch {
		case st.files != nil || st.fields != nil:
			ct, body = multipartOf(t, st.files, st.fields)
		case st.json != "":
			ct, body = "application/json", []byte(subst(st.json))
		}
		code, got, h := doAs(t, secret, st.method, base+subst(st.path), ct, body)
		if code != st.code {
			t.Errorf("%s: %s %s: status %d, want %d (%s)", st.name, st.method, st.path, code, st.code, got)
			continue
		}
		if st.want == nil && st.text != "" {
			if string(got) != st.text {
				t.Errorf("%s: body %q, want %q", st.name, got, st.text)
			}
			continue
		}
		if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Errorf("%s: Content-Type %q, want JSON (%s)", st.name, h.Get("Content-Type"), got)
			continue
		}
		v, err := decodeJSON(got)
		if err != nil {
			t.Errorf("%s: %v: %s", st.name, err, got)
			continue
		}
		if err := matchShape("answer", v, st.want, vs); err != nil {
			t.Errorf("%s: %s %s: %v\n%s", st.name, st.method, st.path, err, got)
		}
	}
}

// msg is HMA's error shape.
func msg(m any) map[string]any { return map[string]any{"message": m} }

// hmaServer serves a fresh database of organisation "acme" over a
// loopback listener, with one token holding every role.
func hmaServer(t *testing.T, cfg config) (*hashdb.DB, *httptest.Server, string) {
	t.Helper()
	db := openDB(t, "acme")
	secret, tok := mustToken(t, "curator", "hash,match,curate,exchange", "")
	cfg.Tokens = append(cfg.Tokens, tok)
	ts := httptest.NewServer(newServer(db, cfg).Handler())
	t.Cleanup(ts.Close)
	return db, ts, secret
}

func TestHMAClient(t *testing.T) {
	db, ts, secret := hmaServer(t, config{MaxBody: 4 << 20})
	p1 := "c0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0de"
	p1near, p1far := flipBits(p1, 7), flipBits(p1, 200)
	m1 := "f00df00df00df00df00df00df00df00d"
	photo := encodePNG(t, scene(256, 192, 7))
	video := []byte("\x00\x00\x00\x18ftypmp42 not really a video, but bytes with a digest")
	vmd5 := md5.Sum(video)
	bank := map[string]any{"name": "EXAMPLE_BANK", "matching_enabled_ratio": 1.0}
	steps := []hmaStep{
		{name: "live", method: "GET", path: "/status/live", code: 200, text: "I-AM-ALIVE"},
		{name: "status", method: "GET", path: "/status", code: 200, text: "I-AM-ALIVE"},
		{name: "no banks", method: "GET", path: "/c/banks", code: 200, want: []any{}},
		{name: "create", method: "POST", path: "/c/banks", json: `{"name": "EXAMPLE_BANK"}`, code: 201, want: bank},
		{name: "create again", method: "POST", path: "/c/banks", json: `{"name": "EXAMPLE_BANK"}`, code: 403, want: msg("Bank already exists")},
		{name: "bad name", method: "POST", path: "/c/banks", json: `{"name": "example-bank"}`, code: 400, want: msg("Bank names must be UPPER_WITH_UNDERSCORE")},
		{name: "create off", method: "POST", path: "/c/banks", json: `{"name": "OFF_BANK", "enabled": false}`, code: 201,
			want: map[string]any{"name": "OFF_BANK", "matching_enabled_ratio": 0.0}},
		{name: "create by ratio", method: "POST", path: "/c/banks", json: `{"name": "HALF_BANK", "enabled_ratio": 0.5}`, code: 201,
			want: map[string]any{"name": "HALF_BANK", "matching_enabled_ratio": 0.5}},
		{name: "get bank", method: "GET", path: "/c/bank/EXAMPLE_BANK", code: 200, want: bank},
		{name: "missing bank", method: "GET", path: "/c/bank/NOPE", code: 404, want: msg("bank 'NOPE' not found")},

		{name: "add pdq", method: "POST", path: "/c/bank/EXAMPLE_BANK/signal", json: `{"pdq": "` + p1 + `", "note": "example note"}`, code: 200,
			want: map[string]any{"id": capture("c1"), "signals": map[string]any{"pdq": p1}}},
		{name: "add md5, normalised", method: "POST", path: "/c/bank/EXAMPLE_BANK/signal", json: `{"video_md5": " ` + strings.ToUpper(m1) + `"}`, code: 200,
			want: map[string]any{"id": capture("c2"), "signals": map[string]any{"video_md5": m1}}},
		{name: "upper-case pdq", method: "POST", path: "/c/bank/EXAMPLE_BANK/signal", json: `{"pdq": "` + strings.ToUpper(p1) + `"}`, code: 400, want: msg(prefix("Invalid pdq signal: "))},
		{name: "unknown type", method: "POST", path: "/c/bank/EXAMPLE_BANK/signal", json: `{"nope": "x"}`, code: 400, want: msg("No such signal type nope")},
		{name: "no signals", method: "POST", path: "/c/bank/EXAMPLE_BANK/signal", json: `{}`, code: 400, want: msg("No signals given")},
		{name: "signal to a missing bank", method: "POST", path: "/c/bank/NOPE/signal", json: `{"pdq": "` + p1 + `"}`, code: 404, want: msg("bank 'NOPE' not found")},
		{name: "add to the off bank", method: "POST", path: "/c/bank/OFF_BANK/signal", json: `{"pdq": "` + p1 + `"}`, code: 200,
			want: map[string]any{"id": capture("c3"), "signals": map[string]any{"pdq": p1}}},

		{name: "lookup near", method: "GET", path: "/m/lookup?signal_type=pdq&signal=" + p1near, code: 200,
			want: map[string]any{"EXAMPLE_BANK": []any{map[string]any{"bank_content_id": ref("c1"), "distance": "7"}}}},
		{name: "lookup md5", method: "GET", path: "/m/lookup?signal_type=video_md5&signal=" + m1, code: 200,
			want: map[string]any{"EXAMPLE_BANK": []any{map[string]any{"bank_content_id": ref("c2"), "distance": "-"}}}},
		{name: "lookup far", method: "GET", path: "/m/lookup?signal_type=pdq&signal=" + p1far, code: 200, want: map[string]any{}},
		{name: "lookup nothing", method: "GET", path: "/m/lookup", code: 400, want: msg("Either url or both signal and signal_type are required")},
		{name: "lookup unknown type", method: "GET", path: "/m/lookup?signal_type=nope&signal=x", code: 400, want: msg("No such SignalType 'nope'")},
		{name: "lookup bad signal", method: "GET", path: "/m/lookup?signal_type=pdq&signal=zz", code: 400, want: msg(prefix("invalid signal: "))},
		{name: "lookup other banks", method: "GET", path: "/m/lookup?signal_type=pdq&signal=" + p1 + "&banks=OFF_BANK,HALF_BANK", code: 200, want: map[string]any{}},
		{name: "lookup by url, fetching off", method: "GET", path: "/m/lookup?url=http://example.invalid/x.jpg", code: 400, want: msg("Invalid or unsafe URL provided")},

		{name: "raw lookup", method: "GET", path: "/m/raw_lookup?signal_type=pdq&signal=" + p1, code: 200,
			want: map[string]any{"matches": setOf{ref("c1"), ref("c3")}}},
		{name: "raw lookup, one bank, distances", method: "GET", path: "/m/raw_lookup?signal_type=pdq&signal=" + p1near + "&banks=EXAMPLE_BANK&include_distance=true", code: 200,
			want: map[string]any{"matches": []any{map[string]any{"bank_content_id": ref("c1"), "distance": "7"}}}},
		{name: "raw lookup without signal", method: "GET", path: "/m/raw_lookup?signal_type=pdq", code: 422,
			want: []any{map[string]any{"type": "missing", "loc": []any{"query", "signal"}, "msg": anyString{}}}},
		{name: "raw lookup, bad bool", method: "GET", path: "/m/raw_lookup?signal_type=pdq&signal=" + p1 + "&include_distance=maybe", code: 422,
			want: []any{map[string]any{"type": anyString{}, "loc": []any{"query", "include_distance"}, "msg": anyString{}}}},
		{name: "raw lookup, bad signal", method: "GET", path: "/m/raw_lookup?signal_type=pdq&signal=zz", code: 400, want: msg(prefix("invalid signal: "))},

		{name: "compare", method: "POST", path: "/m/compare", json: `{"pdq": ["` + p1 + `", "` + p1near + `"]}`, code: 200,
			want: map[string]any{"pdq": []any{true, map[string]any{"distance": 7}}}},
		{name: "compare far", method: "POST", path: "/m/compare", json: `{"pdq": ["` + p1 + `", "` + p1far + `"]}`, code: 200,
			want: map[string]any{"pdq": []any{false, map[string]any{"distance": 200}}}},
		{name: "compare not a dict", method: "POST", path: "/m/compare", json: `[]`, code: 400, want: msg("Request input was not a dict")},
		{name: "compare not a list", method: "POST", path: "/m/compare", json: `{"pdq": "x"}`, code: 400, want: msg("Comparison hashes for pdq was not a list")},
		{name: "compare one", method: "POST", path: "/m/compare", json: `{"pdq": ["` + p1 + `"]}`, code: 400, want: msg("Comparison hash list length must be exactly 2")},
		{name: "compare bad", method: "POST", path: "/m/compare", json: `{"pdq": ["zz", "zz"]}`, code: 400, want: msg(prefix("Invalid pdq hash: "))},

		{name: "index status", method: "GET", path: "/m/index/status", code: 200, want: map[string]any{
			"pdq":       map[string]any{"present": true, "built_to": anyInt{}, "size": 2},
			"video_md5": map[string]any{"present": true, "built_to": anyInt{}, "size": 1}}},
		{name: "index status of one", method: "GET", path: "/m/index/status?signal_type=video_md5", code: 200, want: map[string]any{
			"video_md5": map[string]any{"present": true, "built_to": anyInt{}, "size": 1}}},
		{name: "index status of none", method: "GET", path: "/m/index/status?signal_type=nope", code: 400, want: msg("No such signal type 'nope'")},

		{name: "get content", method: "GET", path: "/c/bank/EXAMPLE_BANK/content/{c1}?include_signals=true", code: 200, want: map[string]any{
			"id": ref("c1"), "disable_until_ts": 1, "original_media_uri": nil, "bank": bank,
			"signals": map[string]any{"pdq": p1}, "note": "example note"}},
		{name: "get content, defaults", method: "GET", path: "/c/bank/EXAMPLE_BANK/content/{c2}", code: 200, want: map[string]any{
			"id": ref("c2"), "disable_until_ts": 1, "original_media_uri": nil, "bank": bank}},
		{name: "content of another bank", method: "GET", path: "/c/bank/EXAMPLE_BANK/content/{c3}", code: 404, want: msg(prefix("content '"))},
		{name: "missing content", method: "GET", path: "/c/bank/EXAMPLE_BANK/content/999999", code: 404, want: msg("content '999999' not found")},
		{name: "content of a missing bank", method: "GET", path: "/c/bank/NOPE/content/{c1}", code: 404, want: msg("bank 'NOPE' not found")},
		{name: "disable", method: "PUT", path: "/c/bank/EXAMPLE_BANK/content/{c1}", json: `{"disable_until_ts": 0}`, code: 200, want: map[string]any{
			"id": ref("c1"), "disable_until_ts": 0, "original_media_uri": nil, "bank": bank, "note": "example note"}},
		{name: "disabled: no lookup", method: "GET", path: "/m/lookup?signal_type=pdq&signal=" + p1, code: 200, want: map[string]any{}},
		{name: "disabled: raw lookup", method: "GET", path: "/m/raw_lookup?signal_type=pdq&signal=" + p1 + "&banks=EXAMPLE_BANK", code: 200,
			want: map[string]any{"matches": []any{ref("c1")}}},
		{name: "disable until", method: "PUT", path: "/c/bank/EXAMPLE_BANK/content/{c1}", json: `{"disable_until_ts": 4102444800}`, code: 400, want: msg(anyString{})},
		{name: "disable before 1970", method: "PUT", path: "/c/bank/EXAMPLE_BANK/content/{c1}", json: `{"disable_until_ts": -1}`, code: 400, want: msg(anyString{})},
		{name: "enable, new note", method: "PUT", path: "/c/bank/EXAMPLE_BANK/content/{c1}", json: `{"disable_until_ts": 1, "note": "checked"}`, code: 200, want: map[string]any{
			"id": ref("c1"), "disable_until_ts": 1, "original_media_uri": nil, "bank": bank, "note": "checked"}},
		{name: "enabled: lookup", method: "GET", path: "/m/lookup?signal_type=pdq&signal=" + p1, code: 200,
			want: map[string]any{"EXAMPLE_BANK": []any{map[string]any{"bank_content_id": ref("c1"), "distance": "0"}}}},

		{name: "hash photo", method: "POST", path: "/h/hash", files: []formFile{{"photo", photo}}, code: 200, want: map[string]any{"pdq": anyString{}}},
		{name: "hash video", method: "POST", path: "/h/hash", files: []formFile{{"video", video}}, code: 200, want: map[string]any{"video_md5": hex.EncodeToString(vmd5[:])}},
		{name: "hash no file", method: "POST", path: "/h/hash", fields: [][2]string{{"photo", "x"}}, code: 400, want: msg("Missing multipart/form-data file upload")},
		{name: "hash not multipart", method: "POST", path: "/h/hash", json: `{}`, code: 400, want: msg("Missing multipart/form-data file upload")},
		{name: "hash two files", method: "POST", path: "/h/hash", files: []formFile{{"photo", photo}, {"photo", photo}}, code: 400, want: msg("Only one file allowed per request")},
		{name: "hash audio", method: "POST", path: "/h/hash", files: []formFile{{"audio", video}}, code: 400, want: msg("no such content_type: 'audio'")},
		{name: "hash types", method: "POST", path: "/h/hash?types=nope", files: []formFile{{"photo", photo}}, code: 400, want: msg("signal type 'nope' doesn't exist or is disabled")},
		{name: "hash by url, fetching off", method: "GET", path: "/h/hash?url=http://example.invalid/x.jpg", code: 400, want: msg("Invalid or unsafe URL provided")},
		{name: "hash by url, no url", method: "GET", path: "/h/hash", code: 422, want: []any{map[string]any{"type": "missing", "loc": []any{"query", "url"}, "msg": anyString{}}}},

		{name: "bank a photo", method: "POST", path: "/c/bank/EXAMPLE_BANK/content", files: []formFile{{"photo", photo}},
			fields: [][2]string{{"metadata", `{"content_id": "example-1", "content_uri": "https://example.invalid/item/example-1", "json": {"queue": "example-queue"}, "collab": {"x": []}}`}},
			code:   200, want: map[string]any{"id": capture("c4"), "signals": map[string]any{"pdq": anyString{}}}},
		{name: "bank a video", method: "POST", path: "/c/bank/EXAMPLE_BANK/content", files: []formFile{{"video", video}}, code: 200,
			want: map[string]any{"id": capture("c5"), "signals": map[string]any{"video_md5": hex.EncodeToString(vmd5[:])}}},
		{name: "bank with bad metadata", method: "POST", path: "/c/bank/EXAMPLE_BANK/content", files: []formFile{{"photo", photo}},
			fields: [][2]string{{"metadata", `{"content_id": "x", "extra": 1}`}}, code: 400, want: msg(prefix("Invalid metadata"))},
		{name: "bank with metadata not an object", method: "POST", path: "/c/bank/EXAMPLE_BANK/content", files: []formFile{{"photo", photo}},
			fields: [][2]string{{"metadata", `[1]`}}, code: 400, want: msg("metadata should be a json object")},
		{name: "bank with a long note", method: "POST", path: "/c/bank/EXAMPLE_BANK/content", files: []formFile{{"photo", photo}},
			fields: [][2]string{{"note", strings.Repeat("n", 256)}}, code: 400, want: msg("note must be at most 255 characters")},
		{name: "bank nothing", method: "POST", path: "/c/bank/EXAMPLE_BANK/content", json: `{}`, code: 400, want: msg("Neither `url` nor multipart file upload was received")},
		{name: "photo metadata", method: "GET", path: "/c/bank/EXAMPLE_BANK/content/{c4}", code: 200, want: map[string]any{
			"id": ref("c4"), "disable_until_ts": 1, "original_media_uri": nil, "bank": bank,
			"metadata": map[string]any{"content_id": "example-1", "content_uri": "https://example.invalid/item/example-1",
				"json": map[string]any{"queue": "example-queue"}, "collab": nil}}},
		{name: "photo without metadata", method: "GET", path: "/c/bank/EXAMPLE_BANK/content/{c4}?include_metadata=false", code: 200, want: map[string]any{
			"id": ref("c4"), "disable_until_ts": 1, "original_media_uri": nil, "bank": bank}},
		{name: "lookup a photo", method: "POST", path: "/m/lookup", files: []formFile{{"photo", photo}}, code: 200,
			want: map[string]any{"pdq": map[string]any{"EXAMPLE_BANK": []any{map[string]any{"bank_content_id": ref("c4"), "distance": "0"}}}}},
		{name: "lookup a video", method: "POST", path: "/m/lookup", files: []formFile{{"video", video}}, code: 200,
			want: map[string]any{"video_md5": map[string]any{"EXAMPLE_BANK": []any{map[string]any{"bank_content_id": ref("c5"), "distance": "-"}}}}},
		{name: "lookup an unknown photo", method: "POST", path: "/m/lookup", files: []formFile{{"photo", encodePNG(t, scene(256, 192, 99))}}, code: 200,
			want: map[string]any{"pdq": map[string]any{}}},

		{name: "rename to a taken name", method: "PUT", path: "/c/bank/EXAMPLE_BANK", json: `{"name": "OFF_BANK"}`, code: 403, want: msg("Bank name already exists")},
		{name: "rename badly", method: "PUT", path: "/c/bank/EXAMPLE_BANK", json: `{"name": "lower"}`, code: 400, want: msg("Bank names must be UPPER_WITH_UNDERSCORE")},
		{name: "update a missing bank", method: "PUT", path: "/c/bank/NOPE", json: `{"enabled": true}`, code: 404, want: msg("Bank not found")},
		{name: "rename", method: "PUT", path: "/c/bank/EXAMPLE_BANK", json: `{"name": "RENAMED_BANK"}`, code: 200, want: map[string]any{"name": "RENAMED_BANK", "matching_enabled_ratio": 1.0}},
		{name: "renamed: lookup", method: "GET", path: "/m/lookup?signal_type=video_md5&signal=" + m1, code: 200,
			want: map[string]any{"RENAMED_BANK": []any{map[string]any{"bank_content_id": ref("c2"), "distance": "-"}}}},
		{name: "delete content", method: "DELETE", path: "/c/bank/RENAMED_BANK/content/{c2}", code: 200, want: map[string]any{"deleted": 1}},
		{name: "delete it again", method: "DELETE", path: "/c/bank/RENAMED_BANK/content/{c2}", code: 200, want: map[string]any{"deleted": 0}},
		{name: "delete in a missing bank", method: "DELETE", path: "/c/bank/NOPE/content/{c2}", code: 404, want: msg("bank 'NOPE' not found")},
		{name: "deleted: no lookup", method: "GET", path: "/m/lookup?signal_type=video_md5&signal=" + m1, code: 200, want: map[string]any{}},
		{name: "delete a bank", method: "DELETE", path: "/c/bank/OFF_BANK", code: 200, want: msg("Done")},
		{name: "delete a missing bank", method: "DELETE", path: "/c/bank/NOPE", code: 200, want: msg("Done")},
		{name: "banks", method: "GET", path: "/c/banks", code: 200, want: []any{
			map[string]any{"name": "HALF_BANK", "matching_enabled_ratio": 0.5},
			map[string]any{"name": "RENAMED_BANK", "matching_enabled_ratio": 1.0}}},
		{name: "signal types", method: "GET", path: "/c/signal_type", code: 200, want: []any{
			map[string]any{"name": "pdq", "enabled_ratio": 1.0}, map[string]any{"name": "video_md5", "enabled_ratio": 1.0},
			map[string]any{"name": "vpdq", "enabled_ratio": 1.0}, map[string]any{"name": "tmk_pdqf", "enabled_ratio": 1.0}}},
		{name: "content types", method: "GET", path: "/c/content_type", code: 200, want: []any{
			map[string]any{"name": "photo", "enabled": true}, map[string]any{"name": "video", "enabled": true}}},
		{name: "exchanges", method: "GET", path: "/c/exchanges", code: 200, want: []any{}},
		{name: "site map", method: "GET", path: "/site-map", code: 200, want: check(func(v any) error {
			l, ok := v.([]any)
			if !ok || len(l) < 10 {
				return fmt.Errorf("not a list of routes: %v", v)
			}
			for i, want := range []string{"/c/bank/<bank_name>/content/<int:content_id>", "/h/hash", "/m/lookup", "/status"} {
				found := false
				for _, r := range l {
					found = found || r == want
				}
				if !found {
					return fmt.Errorf("entry %d: no %q in %v", i, want, l)
				}
			}
			return nil
		})},
		{name: "no route", method: "GET", path: "/c/nope", code: 404, want: msg(anyString{})},
	}
	vs := vars{}
	runSteps(t, ts.URL, secret, steps, vs)

	// The changes are the token's: its name is the actor in the change log.
	it, err := db.GetNumber(vs["c1"])
	if err != nil {
		t.Fatal(err)
	}
	hist, err := db.History(it.Key)
	if err != nil || len(hist) == 0 {
		t.Fatalf("history: %v %v", hist, err)
	}
	for _, c := range hist {
		if c.Actor != "curator" {
			t.Errorf("change %d of content %d: actor %q, want the token's name", c.Seq, vs["c1"], c.Actor)
		}
	}
	// Deleting a bank retracted its content.
	if it, err := db.GetNumber(vs["c3"]); err != nil || !it.Retracted {
		t.Errorf("content of the deleted bank: %+v %v", it, err)
	}
}

// TestHMACoinflip checks the coinflip: a bank whose ratio loses the draw
// is left out of GET lookups, always drawn, and of POST lookups unless
// bypass_coinflip=true; a seed draws what Python's random.Random(seed)
// does, as in HMA.
func TestHMACoinflip(t *testing.T) {
	_, ts, secret := hmaServer(t, config{})
	photo := encodePNG(t, scene(256, 192, 3))
	vs := vars{}
	runSteps(t, ts.URL, secret, []hmaStep{
		{name: "off bank", method: "POST", path: "/c/banks", json: `{"name": "OFF", "enabled_ratio": 0}`, code: 201, want: map[string]any{"name": "OFF", "matching_enabled_ratio": 0.0}},
		{name: "half bank", method: "POST", path: "/c/banks", json: `{"name": "HALF", "enabled_ratio": 0.5}`, code: 201, want: map[string]any{"name": "HALF", "matching_enabled_ratio": 0.5}},
		{name: "bank in off", method: "POST", path: "/c/bank/OFF/content", files: []formFile{{"photo", photo}}, code: 200, want: map[string]any{"id": capture("off"), "signals": map[string]any{"pdq": anyString{}}}},
		{name: "bank in half", method: "POST", path: "/c/bank/HALF/content", files: []formFile{{"photo", photo}}, code: 200, want: map[string]any{"id": capture("half"), "signals": map[string]any{"pdq": anyString{}}}},
	}, vs)
	_, pdq, _ := doAs(t, secret, "GET", ts.URL+"/c/bank/OFF/content/"+fmt.Sprint(vs["off"])+"?include_signals=true", "", nil)
	v, err := decodeJSON(pdq)
	if err != nil {
		t.Fatal(err)
	}
	sig := v.(map[string]any)["signals"].(map[string]any)["pdq"].(string)

	// Seeds that draw below and above one half in Python, and so in HMA:
	// random.Random("a").random() is 0.272…, "content-42" 0.947…, and ""
	// (a seed, not none) 0.960….
	low, high := "a", "content-42"
	hit := func(id string) map[string]any {
		return map[string]any{"bank_content_id": ref(id), "distance": "0"}
	}
	runSteps(t, ts.URL, secret, []hmaStep{
		{name: "low draw", method: "GET", path: "/m/lookup?signal_type=pdq&signal=" + sig + "&seed=" + low, code: 200, want: map[string]any{"HALF": []any{hit("half")}}},
		{name: "high draw", method: "GET", path: "/m/lookup?signal_type=pdq&signal=" + sig + "&seed=" + high, code: 200, want: map[string]any{}},
		{name: "empty seed draws high", method: "GET", path: "/m/lookup?signal_type=pdq&signal=" + sig + "&seed=", code: 200, want: map[string]any{}},
		{name: "GET ignores bypass", method: "GET", path: "/m/lookup?signal_type=pdq&signal=" + sig + "&seed=" + high + "&bypass_coinflip=true", code: 200, want: map[string]any{}},
		{name: "POST high draw", method: "POST", path: "/m/lookup?seed=" + high, files: []formFile{{"photo", photo}}, code: 200, want: map[string]any{"pdq": map[string]any{}}},
		{name: "POST bypass", method: "POST", path: "/m/lookup?seed=" + high + "&bypass_coinflip=true", files: []formFile{{"photo", photo}}, code: 200,
			want: map[string]any{"pdq": map[string]any{"HALF": []any{hit("half")}, "OFF": []any{hit("off")}}}},
		{name: "POST bypass, only the literal true", method: "POST", path: "/m/lookup?seed=" + high + "&bypass_coinflip=1", files: []formFile{{"photo", photo}}, code: 200, want: map[string]any{"pdq": map[string]any{}}},
		{name: "raw lookup: no coinflip", method: "GET", path: "/m/raw_lookup?signal_type=pdq&signal=" + sig, code: 200, want: map[string]any{"matches": setOf{ref("half"), ref("off")}}},
	}, vs)
}

// TestHMAContentIDsSurviveRestart checks that a content id names the same
// content after the database is closed and opened again.
func TestHMAContentIDsSurviveRestart(t *testing.T) {
	path := t.TempDir() + "/restart.db"
	secret, tok := mustToken(t, "curator", "match,curate", "")
	open := func() (*hashdb.DB, *httptest.Server) {
		opts := hashdb.DefaultOptions()
		opts.Organization = "acme"
		db, err := hashdb.Open(path, opts)
		if err != nil {
			t.Fatal(err)
		}
		return db, httptest.NewServer(newServer(db, config{Tokens: tokens{tok}}).Handler())
	}
	p := "c0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0de"
	vs := vars{}
	db, ts := open()
	runSteps(t, ts.URL, secret, []hmaStep{
		{name: "bank", method: "POST", path: "/c/banks", json: `{"name": "B"}`, code: 201, want: map[string]any{"name": "B", "matching_enabled_ratio": 1.0}},
		{name: "first", method: "POST", path: "/c/bank/B/signal", json: `{"pdq": "` + flipBits(p, 100) + `"}`, code: 200, want: map[string]any{"id": capture("a"), "signals": map[string]any{"pdq": anyString{}}}},
		{name: "second", method: "POST", path: "/c/bank/B/signal", json: `{"pdq": "` + p + `"}`, code: 200, want: map[string]any{"id": capture("b"), "signals": map[string]any{"pdq": p}}},
		{name: "disable", method: "PUT", path: "/c/bank/B/content/{b}", json: `{"disable_until_ts": 0}`, code: 200, want: check(func(any) error { return nil })},
	}, vs)
	ts.Close()
	db.Close()
	db, ts = open()
	defer db.Close()
	defer ts.Close()
	runSteps(t, ts.URL, secret, []hmaStep{
		{name: "after restart", method: "GET", path: "/c/bank/B/content/{b}?include_signals=true", code: 200, want: map[string]any{
			"id": ref("b"), "disable_until_ts": 0, "original_media_uri": nil, "bank": map[string]any{"name": "B", "matching_enabled_ratio": 1.0},
			"signals": map[string]any{"pdq": p}}},
		{name: "raw lookup after restart", method: "GET", path: "/m/raw_lookup?signal_type=pdq&signal=" + p, code: 200, want: map[string]any{"matches": []any{ref("b")}}},
	}, vs)
	if vs["a"] == vs["b"] {
		t.Errorf("two contents share id %d", vs["a"])
	}
}

// TestHMABytes checks answers byte for byte as Flask writes them: keys
// sorted, no spaces, floats with a point, a newline at the end.
func TestHMABytes(t *testing.T) {
	_, ts, secret := hmaServer(t, config{})
	p := "c0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0de"
	for _, c := range []struct{ method, path, body, want string }{
		{"POST", "/c/banks", `{"name": "B"}`, `{"matching_enabled_ratio":1.0,"name":"B"}` + "\n"},
		{"POST", "/c/bank/B/signal", `{"pdq": "` + p + `", "note": "n"}`, `{"id":1,"signals":{"pdq":"` + p + `"}}` + "\n"},
		{"GET", "/c/bank/B/content/1?include_signals=true", "",
			`{"bank":{"matching_enabled_ratio":1.0,"name":"B"},"disable_until_ts":1,"id":1,"note":"n","original_media_uri":null,"signals":{"pdq":"` + p + `"}}` + "\n"},
		{"GET", "/m/lookup?signal_type=pdq&signal=" + p, "", `{"B":[{"bank_content_id":1,"distance":"0"}]}` + "\n"},
		{"GET", "/c/signal_type", "", `[{"enabled_ratio":1.0,"name":"pdq"},{"enabled_ratio":1.0,"name":"video_md5"},{"enabled_ratio":1.0,"name":"vpdq"},{"enabled_ratio":1.0,"name":"tmk_pdqf"}]` + "\n"},
		{"GET", "/m/raw_lookup?signal_type=pdq&signal=" + p, "", `{"matches":[1]}` + "\n"},
		{"GET", "/c/bank/NOPE", "", `{"message":"bank 'NOPE' not found"}` + "\n"},
		{"GET", "/status/live", "", "I-AM-ALIVE"},
	} {
		ct := ""
		if c.body != "" {
			ct = "application/json"
		}
		_, got, _ := doAs(t, secret, c.method, ts.URL+c.path, ct, []byte(c.body))
		if string(got) != c.want {
			t.Errorf("%s %s:\n got %q\nwant %q", c.method, c.path, got, c.want)
		}
	}
}
