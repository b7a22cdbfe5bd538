package main

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashshare/hashshare/hashdb/tmk"
	"github.com/hashshare/hashshare/internal/testenv"
)

type tmkHashLine struct {
	File    string `json:"file"`
	VPDQ    string `json:"vpdq"`
	TMKPDQF string `json:"tmk_pdqf"`
}

type tmkMatchLine struct {
	Query string `json:"query"`
	TMK   []struct {
		Signal string  `json:"signal"`
		Level1 float64 `json:"level1"`
		Level2 float64 `json:"level2"`
		Items  []struct {
			Source string `json:"source"`
			ID     string `json:"id"`
		} `json:"items"`
	} `json:"tmk_matches"`
}

// TestTMKEndToEnd: hash --tmk prints the reference's TMK+PDQF of a shared
// video, add --tmk stores it, match --tmk finds the video again from a
// re-encode, with its level-1 and level-2 scores, and dump shows it.
func TestTMKEndToEnd(t *testing.T) {
	ffmpeg, _ := testenv.FFmpeg(t)
	video := filepath.Join(testenv.Dir(t, "vpdq/videos"), "doorknob-hd-no-bar.mp4")
	refFile, err := os.ReadFile(filepath.Join(testenv.Dir(t, "tmk/reference-debian"), "doorknob-hd-no-bar.tmk"))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := tmk.Parse(refFile)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	reenc := filepath.Join(dir, "reenc.mkv")
	if out, err := exec.Command(ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-i", video, "-vf", "scale=480:270", "-c:v", "libx264", "-crf", "30", "-preset", "ultrafast", reenc).CombinedOutput(); err != nil {
		t.Skipf("ffmpeg cannot re-encode (%v): %s", err, out)
	}
	r := cli(t, dir, "", "hash", "--json", "--tmk", video).want(t, 0)
	hl := decodeAll[tmkHashLine](t, r.stdout)
	if len(hl) != 1 || hl[0].TMKPDQF != ref.String() || hl[0].VPDQ == "" {
		t.Fatalf("hash --json --tmk: %d lines, tmk_pdqf the reference's: %v", len(hl), len(hl) == 1 && hl[0].TMKPDQF == ref.String())
	}
	if r := cli(t, dir, "", "hash", "--json", video).want(t, 0); strings.Contains(r.stdout, "tmk_pdqf") {
		t.Fatal("hash without --tmk printed a TMK")
	}
	cli(t, dir, "", "add", "--db", "v.db", "--source", "acme", "--id", "door", "--tmk", video).want(t, 0)
	r = cli(t, dir, "", "match", "--db", "v.db", "--json", "--tmk", reenc).want(t, 0)
	var found bool
	for _, l := range decodeAll[tmkMatchLine](t, r.stdout) {
		for _, m := range l.TMK {
			if m.Signal == "tmk_pdqf" && len(m.Items) == 1 && m.Items[0].ID == "door" && m.Level1 >= 0.9 && m.Level2 >= 0.9 {
				found = true
				t.Logf("re-encode: level1 %.6f level2 %.6f", m.Level1, m.Level2)
			}
		}
	}
	if !found {
		t.Fatalf("the re-encode does not match by TMK:\n%.2000s", r.stdout)
	}
	// dump shows the stored video hashes as hash --json printed them,
	// and its pytx list carries the vPDQ.
	r = cli(t, dir, "", "dump", "--db", "v.db").want(t, 0)
	if dl := decodeAll[tmkHashLine](t, r.stdout); len(dl) != 1 || dl[0].TMKPDQF != ref.String() || dl[0].VPDQ != hl[0].VPDQ {
		t.Fatalf("dump: %d lines, tmk_pdqf and vpdq as hash printed them: %v", len(dl), len(dl) == 1 && dl[0].TMKPDQF == ref.String() && dl[0].VPDQ == hl[0].VPDQ)
	}
	r = cli(t, dir, "", "dump", "--db", "v.db", "--format", "pytx").want(t, 0)
	if !strings.Contains(r.stdout, "\nvpdq "+hl[0].VPDQ+"\n") || !strings.Contains(r.stderr, "1 no pytx type for tmk_pdqf") {
		t.Fatalf("dump --format pytx:\n%.300s\nstderr %s", r.stdout, r.stderr)
	}
}

// decodeAll decodes a stream of JSON values, whatever their length (a
// TMK's line is over 351,000 bytes).
func decodeAll[T any](t *testing.T, out string) []T {
	t.Helper()
	var vs []T
	d := json.NewDecoder(strings.NewReader(out))
	for {
		var v T
		if err := d.Decode(&v); err == io.EOF {
			return vs
		} else if err != nil {
			t.Fatalf("%v in output:\n%.500s", err, out)
		}
		vs = append(vs, v)
	}
}

// TestTMKFiles: add --tmk-file stores a shared TMK+PDQF hash (binary or
// string form) and match --tmk-file finds it, at the reference's
// thresholds or those given; no ffmpeg needed.
func TestTMKFiles(t *testing.T) {
	dir := t.TempDir()
	ref := filepath.Join(testenv.Dir(t, "tmk/reference-debian"), "chair-20-sd-bar.tmk")
	up := testenv.Dir(t, "tmk/upstream")
	b, err := os.ReadFile(filepath.Join(up, "chair-22-sd-sepia-bar.tmk"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := tmk.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	str := filepath.Join(dir, "sepia.txt")
	if err := os.WriteFile(str, []byte(h.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.tmk")
	if err := os.WriteFile(bad, []byte("TMK1FVECPDQF|AAAA"), 0o600); err != nil {
		t.Fatal(err)
	}
	cli(t, dir, "", "add", "--db", "v.db", "--source", "acme", "--id", "chair", "--tmk-file", ref).want(t, 0)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"binary", []string{"--tmk-file", filepath.Join(up, "chair-22-sd-sepia-bar.tmk")}, 0, "\ttmk_pdqf\t0.985554/0.988220\tacme/chair\t"},
		{"string form", []string{"--tmk-file", str}, 0, "\ttmk_pdqf\t0.985554/0.988220\tacme/chair\t"},
		{"over level 2", []string{"--tmk-file", str, "--tmk-level2", "0.99"}, 1, ""},
		{"another video", []string{"--tmk-file", filepath.Join(up, "pattern-hd-no-bar.tmk")}, 1, ""},
		{"every score", []string{"--tmk-file", filepath.Join(up, "pattern-hd-no-bar.tmk"), "--tmk-level1", "-1", "--tmk-level2", "-1"}, 0, "acme/chair"},
		{"malformed", []string{"--tmk-file", bad}, 2, ""},
		{"level out of range", []string{"--tmk-file", str, "--tmk-level1", "2"}, 2, ""},
		{"exclusive", []string{"--tmk-file", str, "--vpdq", str}, 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cli(t, dir, "", append([]string{"match", "--db", "v.db"}, tc.args...)...).want(t, tc.code)
			if !strings.Contains(r.stdout, tc.want) {
				t.Errorf("stdout %q, want it to hold %q", r.stdout, tc.want)
			}
		})
	}
	r := cli(t, dir, "", "match", "--db", "v.db", "--json", "--tmk-file", str).want(t, 0)
	if l := decodeAll[tmkMatchLine](t, r.stdout); len(l) != 1 || len(l[0].TMK) != 1 || l[0].TMK[0].Level1 < 0.9855 || l[0].TMK[0].Level2 < 0.9882 {
		t.Fatalf("match --json --tmk-file: %.300s", r.stdout)
	}
}
