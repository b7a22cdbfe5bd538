package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/vpdq"
	"github.com/hashshare/hashshare/internal/testenv"
)

// videoLine is a line of "hashdb hash --json" for a video.
type videoLine struct {
	File string `json:"file"`
	media.JSON
	VPDQ  string `json:"vpdq"`
	Video struct {
		Frames   int     `json:"frames"`
		FPS      float64 `json:"fps"`
		Width    int     `json:"width"`
		Height   int     `json:"height"`
		Duration float64 `json:"duration"`
	} `json:"video"`
}

// TestHashVideo runs "hashdb hash" on the shared videos: the pytx form of
// chair-20 that python-threatexchange's own test expects (21 frames a
// second apart, all of quality 100), with the hashes of Meta's reference
// on this FFmpeg (reference-debian/chair-20-sd-bar-1s.txt), and
// --vpdq-file byte-identical with the reference's files.
func TestHashVideo(t *testing.T) {
	testenv.FFmpeg(t)
	dir := testenv.Dir(t, "vpdq")
	chair := filepath.Join(dir, "videos", "chair-20-sd-bar.mp4")
	r := cli(t, t.TempDir(), "", "hash", "--json", chair).want(t, 0)
	got := jsonLines[videoLine](t, r.stdout)
	if len(got) != 1 {
		t.Fatalf("%d lines", len(got))
	}
	l := got[0]
	var frames []string
	if err := json.Unmarshal([]byte(l.VPDQ), &frames); err != nil {
		t.Fatalf("vpdq %q: %v", l.VPDQ, err)
	}
	sample, err := os.ReadFile(filepath.Join(dir, "reference-debian", "chair-20-sd-bar-1s.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(sample), "\n")
	if len(frames) != 21 {
		t.Fatalf("%d frames in %s", len(frames), l.VPDQ)
	}
	for i, f := range frames {
		p := strings.Split(f, ",")
		want := strings.Split(lines[i], ",")
		ts := strings.Split(strings.Trim((&vpdq.Hash{Features: []vpdq.Feature{{Seconds: float64(float32(30*i) / 30)}}}).PyTX(), `[]"`), ",")[2]
		if len(p) != 3 || p[1] != "100" || p[0] != want[2] || p[2] != ts {
			t.Errorf("frame %d: %q, reference %q", 30*i, f, lines[i])
		}
	}
	if v := l.Video; v.Frames != 614 || v.FPS != 30 || v.Width != 480 || v.Height != 720 || v.Duration < 20.4 || v.Duration > 20.6 {
		t.Errorf("video %+v", v)
	}
	if !hex32.MatchString(l.MD5) || l.Format != "mp4" || l.PDQ != "" {
		t.Errorf("digests or format wrong: %+v", l.JSON)
	}

	text := cli(t, t.TempDir(), "", "hash", chair).want(t, 0).stdout
	if !strings.HasPrefix(text, "vpdq:"+l.VPDQ+"\t"+chair+"\n") || !strings.Contains(text, "md5:"+l.MD5+"\t"+chair) {
		t.Errorf("text output:\n%.300s", text)
	}

	door := filepath.Join(dir, "videos", "doorknob-hd-no-bar.mp4")
	for _, tc := range []struct{ every, ref string }{{"0", "doorknob-hd-no-bar.txt"}, {"1", "doorknob-hd-no-bar-1s.txt"}} {
		want, err := os.ReadFile(filepath.Join(dir, "reference-debian", tc.ref))
		if err != nil {
			t.Fatal(err)
		}
		if got := cli(t, t.TempDir(), "", "hash", "--vpdq-file", "--every", tc.every, door).want(t, 0).stdout; got != string(want) {
			t.Errorf("--vpdq-file --every %s differs from reference-debian/%s", tc.every, tc.ref)
		}
	}
	cli(t, t.TempDir(), "", "hash", "--vpdq-file", door, chair).want(t, 2)
	cli(t, t.TempDir(), "", "hash", "--every", "-1", door).want(t, 2)

	// Without ffmpeg: the digests, and a warning saying how to install it.
	cmd := exec.Command(binary, "hash", "--json", door)
	cmd.Env = []string{"PATH=" + t.TempDir(), "HASHSHARE_DB="}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), "apt-get install ffmpeg") {
		t.Errorf("without ffmpeg: %v, stderr %q", err, stderr.String())
	}
	nf := jsonLines[videoLine](t, stdout.String())
	if len(nf) != 1 || !hex32.MatchString(nf[0].MD5) || nf[0].VPDQ != "" {
		t.Errorf("without ffmpeg: %q", stdout.String())
	}
}
