package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// videoMatchLine is a line of "match --json" for a video hash.
type videoMatchLine struct {
	Query   string           `json:"query"`
	Matches []matchHit       `json:"matches"`
	Video   []videoMatchJSON `json:"video_matches"`
	Error   string           `json:"error"`
}

type videoMatchJSON struct {
	Signal          string  `json:"signal"`
	QueryPercent    float64 `json:"query_match_percent"`
	ComparedPercent float64 `json:"compared_match_percent"`
	QueryFrames     int     `json:"query_frames"`
	ComparedFrames  int     `json:"compared_frames"`
	Items           []struct {
		Source string   `json:"source"`
		ID     string   `json:"id"`
		Labels []string `json:"labels"`
		TLP    string   `json:"tlp"`
	} `json:"items"`
	Segments []struct {
		QueryStart    float64 `json:"query_start"`
		QueryEnd      float64 `json:"query_end"`
		ComparedStart float64 `json:"compared_start"`
		ComparedEnd   float64 `json:"compared_end"`
		Pairs         int     `json:"pairs"`
	} `json:"segments"`
	Pairs []struct {
		QuerySeconds    float64 `json:"query_seconds"`
		ComparedSeconds float64 `json:"compared_seconds"`
		QueryFrame      uint32  `json:"query_frame"`
		ComparedFrame   uint32  `json:"compared_frame"`
		Distance        int     `json:"distance"`
	} `json:"pairs"`
}

// frameHex returns a 64-digit hash: byte b repeated, its n lowest bits
// flipped.
func frameHex(b byte, n int) string {
	var h [32]byte
	for i := range h {
		h[i] = b
	}
	for i := 0; i < n; i++ {
		h[31-i/8] ^= 1 << (i % 8)
	}
	return fmt.Sprintf("%x", h)
}

func TestVideoAddMatch(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return name
	}
	// The stored video: 4 frames at 1 s. The query, in pytx's form: the
	// first two frames exactly, a third at distance 31 (which pytx counts
	// and the C++ rule does not) and one unrelated frame.
	var stored strings.Builder
	for i, b := range []byte{0x00, 0x33, 0x55, 0x0f} {
		fmt.Fprintf(&stored, "%d,100,%s,%d.000\n", 30*i, frameHex(b, 0), i)
	}
	write("stored.txt", stored.String())
	write("query.json", fmt.Sprintf(`vpdq:["%s,100,0.0", "%s,100,1.0", "%s,100,2.0", "%s,100,3.0"]`,
		frameHex(0x00, 0), frameHex(0x33, 0), frameHex(0x55, 31), frameHex(0xf0, 0)))
	write("other.txt", "0,100,"+frameHex(0xf0, 0)+",0.000\n")
	write("bad.txt", "0,101,"+frameHex(0xf0, 0)+",0.000\n")

	cli(t, dir, "", "add", "--db", "v.db", "--source", "acme", "--label", "entity:example", "--vpdq", "stored.txt").want(t, 2) // no --id
	r := cli(t, dir, "", "add", "--db", "v.db", "--source", "acme", "--label", "entity:example", "--id", "clip-1", "--vpdq", "stored.txt").want(t, 0)
	if r.stdout != "clip-1\tstored.txt\n" {
		t.Errorf("add printed %q", r.stdout)
	}
	cli(t, dir, "", "add", "--db", "v.db", "--source", "acme", "--id", "x", "--vpdq", "bad.txt").want(t, 2)

	// pytx's rule: 3 of 4 query frames (75 %) match, under the default
	// 80 %, so nothing; at 75 % it matches, all 4 stored frames but one
	// (the 0x0f frame is 256 bits from 0xf0) matched: 75 %.
	cli(t, dir, "", "match", "--db", "v.db", "--json", "--vpdq", "query.json").want(t, 1)
	r = cli(t, dir, "", "match", "--db", "v.db", "--json", "--query-percent", "75", "--vpdq", "query.json").want(t, 0)
	got := jsonLines[videoMatchLine](t, r.stdout)
	if len(got) != 1 || len(got[0].Video) != 1 {
		t.Fatalf("match: %s", r.stdout)
	}
	v := got[0].Video[0]
	if v.QueryPercent != 75 || v.ComparedPercent != 75 || v.Items[0].ID != "clip-1" || v.Items[0].Source != "acme" ||
		len(v.Pairs) != 3 || v.Pairs[2].Distance != 31 || v.Pairs[2].ComparedFrame != 60 || len(v.Segments) != 1 || v.Segments[0].QueryEnd != 2 {
		t.Errorf("video match %+v", v)
	}
	// The C++ rule counts distance < 31: 2 of 4.
	r = cli(t, dir, "", "match", "--db", "v.db", "--json", "--vpdq-rule", "cpp", "--query-percent", "0", "--vpdq", "query.json").want(t, 0)
	if got := jsonLines[videoMatchLine](t, r.stdout); len(got[0].Video) != 1 || got[0].Video[0].QueryPercent != 50 || got[0].Video[0].ComparedPercent != 50 {
		t.Errorf("cpp rule: %s", r.stdout)
	}
	// Text forms.
	r = cli(t, dir, "", "match", "--db", "v.db", "--query-percent", "75", "--vpdq", "query.json").want(t, 0)
	if want := "query.json: acme/clip-1 vpdq query 75.00% compared 75.00% labels entity:example\n"; r.stdout != want {
		t.Errorf("text: %q, want %q", r.stdout, want)
	}
	r = cli(t, dir, "", "match", "--db", "v.db", "--all", "--query-percent", "75", "--vpdq", "query.json").want(t, 0)
	if want := "query.json\tvpdq\t75.00/75.00\tacme/clip-1\tentity:example\n"; r.stdout != want {
		t.Errorf("--all: %q, want %q", r.stdout, want)
	}
	cli(t, dir, "", "match", "--db", "v.db", "--vpdq", "other.txt").want(t, 1)
	cli(t, dir, "", "match", "--db", "v.db", "--vpdq", "bad.txt").want(t, 2)
	cli(t, dir, "", "match", "--db", "v.db", "--vpdq-rule", "tmk", "--vpdq", "query.json").want(t, 2)
	cli(t, dir, "", "match", "--db", "v.db", "--vpdq", "query.json", "stored.txt").want(t, 2)
}

// TestVideoUpstreamPercentages stores upstream's chair-20 hash file and
// matches chair-19's through the CLI: the percentages upstream's own
// matchers give (spec §1.6).
func TestVideoUpstreamPercentages(t *testing.T) {
	root := os.Getenv("HASHSHARE_TESTDATA")
	hashes := filepath.Join(root, "vpdq", "hashes")
	if _, err := os.Stat(hashes); root == "" || err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("HASHSHARE_TESTDATA=%q has no vpdq/hashes", root)
		}
		t.Skip("HASHSHARE_TESTDATA is not set or has no vpdq/hashes; point it at the shared testdata folder")
	}
	dir := t.TempDir()
	cli(t, dir, "", "add", "--db", "v.db", "--source", "upstream", "--id", "chair-20", "--vpdq", filepath.Join(hashes, "chair-20-sd-bar.txt")).want(t, 0)
	q := filepath.Join(hashes, "chair-19-sd-bar.txt")
	for _, c := range []struct{ rule, want string }{{"pytx", "100.00 92.76"}, {"cpp", "100.00 92.18"}} {
		r := cli(t, dir, "", "match", "--db", "v.db", "--json", "--vpdq-rule", c.rule, "--vpdq", q).want(t, 0)
		got := jsonLines[videoMatchLine](t, r.stdout)
		if len(got) != 1 || len(got[0].Video) != 1 {
			t.Fatalf("%s: %s", c.rule, r.stdout)
		}
		v := got[0].Video[0]
		if s := fmt.Sprintf("%.2f %.2f", v.QueryPercent, v.ComparedPercent); s != c.want {
			t.Errorf("%s rule: %s, upstream %s", c.rule, s, c.want)
		}
	}
}
