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

// TestPyFormat3 checks the timestamp format against Python's own
// format(x, '.3') (values printed by CPython 3).
func TestPyFormat3(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		want string
	}{
		{0, "0.0"}, {1.0 / 30, "0.0333"}, {0.033, "0.033"}, {30, "30.0"}, {99.96, "1e+02"}, {100, "1e+02"},
		{123.456, "1.23e+02"}, {600, "6e+02"}, {1234.5, "1.23e+03"}, {9.966, "9.97"}, {9.97, "9.97"},
		{0.0001234, "0.000123"}, {1.234e-05, "1.23e-05"}, {1, "1.0"}, {2, "2.0"}, {20, "20.0"}, {0.5, "0.5"},
		{0.96666664, "0.967"}, {19.966667, "20.0"}, {0.99, "0.99"}, {999.5, "1e+03"}, {0.0001, "0.0001"}, {5.0005, "5.0"},
	} {
		if got := pyFormat3(tc.x); got != tc.want {
			t.Errorf("pyFormat3(%v) = %q, want %q", tc.x, got, tc.want)
		}
	}
}

func TestPytxForm(t *testing.T) {
	var a, b [32]byte
	a[0], b[31] = 0xf0, 0x0d
	v := &vpdq.Hash{Features: []vpdq.Feature{{Frame: 0, Quality: 100, PDQ: a}, {Frame: 1, Quality: 7, PDQ: b, Seconds: float64(float32(1) / float32(30))}}}
	want := `["f000000000000000000000000000000000000000000000000000000000000000,100,0.0", ` +
		`"000000000000000000000000000000000000000000000000000000000000000d,7,0.0333"]`
	if got := pytxForm(v); got != want {
		t.Errorf("pytxForm =\n%s\nwant\n%s", got, want)
	}
	if got := pytxForm(&vpdq.Hash{}); got != "[]" {
		t.Errorf("empty: %q", got)
	}
	var buf bytes.Buffer
	writeCPP(&buf, v)
	if want := "0,100,f000000000000000000000000000000000000000000000000000000000000000,0.000\n" +
		"1,7,000000000000000000000000000000000000000000000000000000000000000d,0.033\n"; buf.String() != want {
		t.Errorf("writeCPP =\n%s", buf.String())
	}
}

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
		if len(p) != 3 || p[1] != "100" || p[0] != want[2] || p[2] != pyFormat3(float64(float32(30*i)/30)) {
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
