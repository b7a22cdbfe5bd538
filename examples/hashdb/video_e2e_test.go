package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashshare/hashshare/internal/testenv"
)

// TestVideoEndToEnd adds a video file and matches a re-encode of it, the
// whole way through the command line: hashing by ffmpeg, storing the
// vPDQ with the digests, matching by frames.
func TestVideoEndToEnd(t *testing.T) {
	ffmpeg, _ := testenv.FFmpeg(t)
	dir := t.TempDir()
	orig, reenc := filepath.Join(dir, "orig.mp4"), filepath.Join(dir, "reenc.mkv")
	for _, args := range [][]string{
		{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=6", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", orig},
		{"-i", orig, "-vf", "scale=256:192", "-c:v", "libx264", "-crf", "35", "-preset", "ultrafast", reenc}, // smaller, and lossier
	} {
		if out, err := exec.Command(ffmpeg, append([]string{"-nostdin", "-loglevel", "error", "-y"}, args...)...).CombinedOutput(); err != nil {
			t.Skipf("ffmpeg cannot make the clips (%v): %s", err, out)
		}
	}
	cli(t, dir, "", "add", "--db", "v.db", "--source", "acme", "--label", "type:video", orig).want(t, 0)
	st := statsOf(t, dir, "v.db")
	if st.Items != 1 || st.Signals["md5"] != 1 {
		t.Fatalf("stats after adding a video: %+v", st)
	}
	r := cli(t, dir, "", "match", "--db", "v.db", "--json", reenc).want(t, 0)
	lines := jsonLines[videoMatchLine](t, r.stdout)
	var found *videoMatchJSON
	for i := range lines {
		for j := range lines[i].Video {
			found = &lines[i].Video[j]
		}
	}
	if found == nil || found.QueryPercent < 80 || found.ComparedPercent < 80 {
		t.Fatalf("the re-encode does not match the stored video:\n%s", r.stdout)
	}
	// The re-encode's bytes differ: no digest matched, the frames did.
	if strings.Contains(r.stdout, `"query":"md5:`) {
		t.Errorf("a digest matched a re-encode:\n%s", r.stdout)
	}
}
